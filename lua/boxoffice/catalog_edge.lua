-- The catalog version of the edge cache (L2). Public catalog reads are
-- cached by nginx under a key that starts with this version; the api bumps
-- it in the cache Redis (catalog:edge:version, see internal/catalog) after
-- every admin write, so every cached read is left behind at once.
--
-- Each cacheable request reads the version from the cache Redis (one GET,
-- at most conf.timeout ms). When Redis is slow or down it uses the last
-- version this nginx read (a lua_shared_dict), so reads keep being served:
-- stale by at most the L2 TTL, since entries under an old key expire.
local redis = require "boxoffice.redis"

local ngx = ngx
local type = type
local tostring = tostring
local tonumber = tonumber
local str_find = string.find

local _M = { _VERSION = "0.1" }

-- KEY is the cache-Redis key of the version; DICT the lua_shared_dict.
_M.KEY = "catalog:edge:version"
_M.DICT = "catalog_edge"

local LAST = "version" -- DICT key: the last version read from Redis
local LOGGED = "logged" -- DICT key: set while a Redis failure was logged
local LOG_EVERY = 10 -- seconds between two log lines about Redis failures

-- conf is set once by configure (init_by_lua); requests only read it.
local conf = {
    host = "127.0.0.1",
    port = 6391,
    password = nil,
    timeout = 50, -- ms, for connect, send and read each
    keepalive_idle = 60000, -- ms
    pool_size = 64,
}

-- configure sets where the cache Redis is. Call it from init_by_lua.
function _M.configure(opts)
    if type(opts) ~= "table" or type(opts.host) ~= "string" or opts.host == "" then
        error("catalog_edge.configure: opts.host is required", 2)
    end
    local port = tonumber(opts.port)
    if not port or port < 1 or port > 65535 then
        error("catalog_edge.configure: opts.port must be 1-65535", 2)
    end
    local password = opts.password
    if password == "" then
        password = nil
    end
    conf = {
        host = opts.host,
        port = port,
        password = password,
        timeout = opts.timeout or 50,
        keepalive_idle = opts.keepalive_idle or 60000,
        pool_size = opts.pool_size or 64,
    }
end

-- parse turns the reply of GET into a version string: "0" when the key is
-- missing, or nil, err when the value is not a decimal counter.
function _M.parse(value)
    if value == nil or value == ngx.null then
        return "0"
    end
    if type(value) ~= "string" or #value > 20 or not str_find(value, "^%d+$") then
        return nil, "bad catalog version " .. tostring(value)
    end
    return value
end

-- fetch reads the version from the cache Redis: version, or nil, err.
function _M.fetch()
    local red, err = redis:new()
    if not red then
        return nil, "redis: " .. tostring(err)
    end
    red:set_timeout(conf.timeout)
    local ok
    ok, err = red:connect(conf.host, conf.port)
    if not ok then
        return nil, "connect: " .. tostring(err)
    end
    if conf.password and red:get_reused_times() == 0 then
        ok, err = red:auth(conf.password)
        if not ok then
            red:close()
            return nil, "auth: " .. tostring(err)
        end
    end
    local value
    value, err = red:get(_M.KEY)
    if err then
        red:close()
        return nil, "get: " .. tostring(err)
    end
    red:set_keepalive(conf.keepalive_idle, conf.pool_size)
    return _M.parse(value)
end

-- current returns the version to key this request's cache entry with: the
-- one in Redis, else the last one seen, else "0". It never fails.
function _M.current()
    local dict = ngx.shared[_M.DICT]
    local version, err = _M.fetch()
    if version then
        dict:set(LAST, version)
        return version
    end
    if dict:add(LOGGED, true, LOG_EVERY) then
        ngx.log(ngx.WARN, "catalog edge version unavailable (", err, "); serving with the last known one")
    end
    return dict:get(LAST) or "0"
end

-- set_var stores the current version in $catalog_version (access phase).
function _M.set_var()
    ngx.var.catalog_version = _M.current()
end

return _M
