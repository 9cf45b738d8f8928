-- Wiring of the edge's sale path: at init the settings, the sale Redis and
-- what reads it (sale state, seat maps, grabs); per worker the timer.
local cluster = require "boxoffice.cluster"
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

-- cfg, sale and state are set once by init.
local cfg, sale, state

local CLUSTER_REFRESH = 5 -- seconds between reads of a cluster's slot map

-- sale_redis is the connector to the sale Redis: to the masters of a
-- cluster when the settings list its nodes (redis_cluster).
local function sale_redis(c)
    local opts = { host = c.redis_host, port = c.redis_port, password = c.redis_password,
        timeout = c.redis_timeout_ms, pool_size = c.redis_pool, backlog = c.redis_backlog, track_run = true }
    if not (c.redis_cluster and c.redis_cluster[1]) then
        return redis.new(opts)
    end
    opts.seeds, opts.dict = c.redis_cluster, ngx.shared.boxoffice_cluster
    return cluster.new(opts)
end

-- init reads the settings (non-secrets from the rendered nginx.conf,
-- secrets from the environment) and the hold script; call from init_by_lua.
-- It sets _M.seatmap, the seat maps that seatmap.serve answers from, and
-- _M.grabcounts, the grab counts every grab's answer adds to.
function _M.init(settings)
    local err
    cfg, err = config.load(settings)
    if not cfg then
        error("edge settings: " .. err, 2)
    end
    sale = assert(sale_redis(cfg))
    state = assert(salestate.new("boxoffice_sale", sale))
    _M.seatmap = assert(seatmap.new("boxoffice_seats", sale, cfg.seats_ttl))
    _M.grabcounts = assert(grabcounts.new("boxoffice_grab_counts", sale))
    grab.init(sale, state, cfg.jwt_keys, scripts.source(settings.lua_dir, "hold"),
        limit.new(ngx.shared.boxoffice_limits, cfg.rate_ip, cfg.burst_ip), _M.seatmap,
        _M.grabcounts)
end

-- init_worker starts the sale state refresh, the grab counts' flush and,
-- on a cluster, the slot map's refresh on one worker.
function _M.init_worker()
    if ngx.worker.id() == 0 then
        if sale.start then
            sale:start(CLUSTER_REFRESH)
        end
        state:start(cfg.state_refresh)
        _M.grabcounts:start()
    end
end

return _M
