-- The catalog version of the edge cache (L2). Public catalog reads are
-- cached by nginx under a key that starts with this version; the api bumps
-- it in the cache Redis (catalog:edge:version, see internal/catalog) after
-- every admin write, so every cached read is left behind at once.
--
-- Each cacheable request reads the version from the cache Redis (one GET,
-- at most 50 ms). When Redis is slow or down it uses the last
-- version this nginx read (a lua_shared_dict), so reads keep being served:
-- stale by at most the L2 TTL, since entries under an old key expire.
local redis = require "boxoffice.redis"

local ngx = ngx
local type = type
local tostring = tostring
local str_find = string.find

local _M = { _VERSION = "0.1" }

-- KEY is the cache-Redis key of the version; DICT the lua_shared_dict.
_M.KEY = "catalog:edge:version"
_M.DICT = "catalog_edge"

local LAST = "version" -- DICT key: the last version read from Redis
local LOGGED = "logged" -- DICT key: set while a Redis failure was logged
local LOG_EVERY = 10 -- seconds between two log lines about Redis failures

local cache -- the cache Redis, set once by configure

-- configure sets where the cache Redis is: opts.host, opts.port and
-- opts.password; opts.timeout (ms, 50 by default) and opts.pool_size (64).
-- Call it from init_by_lua.
function _M.configure(opts)
    local conn, err = redis.new({ host = opts.host, port = opts.port, password = opts.password,
        timeout = opts.timeout or 50, pool_size = opts.pool_size or 64 })
    if not conn then
        error("catalog_edge.configure: " .. err, 2)
    end
    cache = conn
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
    local red, err = cache:connect()
    if not red then
        return nil, err
    end
    local value
    value, err = red:get(_M.KEY)
    if err then
        red:close()
        return nil, "get: " .. tostring(err)
    end
    cache:release(red)
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
