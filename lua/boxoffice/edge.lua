-- Wiring of the edge's sale path: at init the settings, the sale Redis and
-- what reads it (sale state, seat maps, grabs); per worker the timer.
local config = require "boxoffice.config"
local grab = require "boxoffice.grab"
local grabcounts = require "boxoffice.grabcounts"
local limit = require "boxoffice.limit"
local redis = require "boxoffice.redis"
local salestate = require "boxoffice.salestate"
local scripts = require "boxoffice.scripts"
local seatmap = require "boxoffice.seatmap"

local ngx = ngx

local _M = { _VERSION = "0.1" }

-- cfg and state are set once by init.
local cfg, state

-- init reads the settings (non-secrets from the rendered nginx.conf,
-- secrets from the environment) and the hold script; call from init_by_lua.
-- It sets _M.seatmap, the seat maps that seatmap.serve answers from, and
-- _M.grabcounts, the grab counts the grab location's log phase adds to.
function _M.init(settings)
    local err
    cfg, err = config.load(settings)
    if not cfg then
        error("edge settings: " .. err, 2)
    end
    local sale = assert(redis.new({ host = cfg.redis_host, port = cfg.redis_port, password = cfg.redis_password,
        timeout = cfg.redis_timeout_ms, pool_size = cfg.redis_pool, backlog = cfg.redis_backlog, track_run = true }))
    state = assert(salestate.new("boxoffice_sale", sale))
    _M.seatmap = assert(seatmap.new("boxoffice_seats", sale, cfg.seats_ttl))
    _M.grabcounts = assert(grabcounts.new("boxoffice_grab_counts", sale))
    grab.init(sale, state, cfg.jwt_keys, scripts.source(settings.lua_dir, "hold"),
        limit.new(ngx.shared.boxoffice_limits, cfg.rate_ip, cfg.burst_ip), _M.seatmap)
end

-- init_worker starts the sale state refresh and the grab counts' flush
-- on one worker.
function _M.init_worker()
    if ngx.worker.id() == 0 then
        state:start(cfg.state_refresh)
        _M.grabcounts:start()
    end
end

return _M
