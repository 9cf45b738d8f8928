-- Wiring of the edge's sale path: settings at init, timers per worker.
local config = require "boxoffice.config"
local grab = require "boxoffice.grab"
local salestate = require "boxoffice.salestate"

local ngx = ngx
local io_open = io.open

local _M = { _VERSION = "0.1" }

local cfg

-- init reads the settings (non-secrets from the rendered nginx.conf,
-- secrets from the environment) and the hold script; call from init_by_lua.
function _M.init(settings)
    local err
    cfg, err = config.load(settings)
    if not cfg then
        error("edge settings: " .. err, 2)
    end
    local path = settings.lua_dir .. "/redis/hold.lua"
    local f = io_open(path, "rb")
    if not f then
        error("cannot read " .. path, 2)
    end
    local src = f:read("*a")
    f:close()
    grab.init(cfg, src)
end

-- init_worker starts the sale state refresh on one worker.
function _M.init_worker()
    if ngx.worker.id() == 0 then
        salestate.start(cfg)
    end
end

-- config returns the settings.
function _M.config()
    return cfg
end

return _M
