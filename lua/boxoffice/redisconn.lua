-- One sale-Redis connection per request from the keepalive pool:
-- connect → use → release. Timeouts keep a slow Redis from hanging a request.
local redis = require "boxoffice.redis"

local _M = { _VERSION = "0.1" }

-- connect returns a connected client, or nil and the error.
function _M.connect(cfg)
    local red = redis:new()
    -- set_timeout (connect, send and read alike) exists in every
    -- lua-resty-redis; set_timeouts only in OpenResty's newer ones.
    red:set_timeout(cfg.redis_timeout_ms)
    local ok, err = red:connect(cfg.redis_host, cfg.redis_port, { pool_size = cfg.redis_pool })
    if not ok then
        return nil, err
    end
    if cfg.redis_password and red:get_reused_times() == 0 then
        ok, err = red:auth(cfg.redis_password)
        if not ok then
            red:close()
            return nil, err
        end
    end
    return red
end

-- release returns the connection to the pool.
function _M.release(red, cfg)
    red:set_keepalive(60000, cfg.redis_pool)
end

return _M
