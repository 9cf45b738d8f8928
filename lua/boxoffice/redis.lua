-- Connections to one Redis server from the keepalive pool, for everything
-- the edge reads: the sale Redis (grabs, sale state, seat maps) and the
-- cache Redis (catalog version). new() once with where the server is; then
-- per request connect → use → release, or close after an error. Timeouts
-- keep a slow Redis from hanging a request.
local client = require("boxoffice.resty").require("redis")

local type, tonumber, tostring, match = type, tonumber, tostring, string.match
local setmetatable = setmetatable

local _M = { _VERSION = "0.1" }
local mt = { __index = _M }

local IDLE = 60000 -- ms a pooled connection may stay idle

-- new returns a connector, or nil and what is wrong with opts: host, port,
-- password (nil or "" for none), timeout (ms for connect, send and read
-- each), pool_size (connections per worker, kept alive between requests)
-- and backlog (nil or 0 for none): with a backlog, a connect while all
-- pool_size connections are busy waits for one (at most timeout ms),
-- backlog such connects at most, so a worker never holds more than
-- pool_size connections; without, it opens one more, closed after use.
-- With track_run, each new connection reads the server's run id into the
-- connector's run_id (the sale Redis's fence, lua/redis/hold.lua): a
-- connection never outlives its server, so it is the id of the server of
-- every connection in use since.
function _M.new(opts)
    if type(opts) ~= "table" or type(opts.host) ~= "string" or opts.host == "" then
        return nil, "host is required"
    end
    local port = tonumber(opts.port)
    if not port or port < 1 or port > 65535 then
        return nil, "port must be 1-65535"
    end
    local password = opts.password
    if password == "" then
        password = nil
    end
    local backlog = opts.backlog
    if backlog == 0 then
        backlog = nil
    end
    return setmetatable({ host = opts.host, port = port, password = password,
        timeout = opts.timeout, pool_size = opts.pool_size, backlog = backlog, track_run = opts.track_run }, mt)
end

-- run_of returns the run id of the server of a connection this connector
-- gave (with track_run).
function _M:run_of()
    return self.run_id
end

-- connect returns a connected client, or nil and the error. It takes the
-- session id whose keys the caller will use, as boxoffice.cluster does; one
-- server has them all.
function _M:connect()
    local red, err = client:new()
    if not red then
        return nil, "redis: " .. tostring(err)
    end
    -- set_timeout (connect, send and read alike) exists in every
    -- lua-resty-redis; set_timeouts only in OpenResty's newer ones.
    red:set_timeout(self.timeout)
    local ok
    ok, err = red:connect(self.host, self.port, { pool_size = self.pool_size, backlog = self.backlog })
    if not ok then
        return nil, "connect: " .. tostring(err)
    end
    if red:get_reused_times() > 0 then
        return red
    end
    if self.password then
        ok, err = red:auth(self.password)
        if not ok then
            red:close()
            return nil, "auth: " .. tostring(err)
        end
    end
    if self.track_run then
        local info
        info, err = red:info("server")
        local id = type(info) == "string" and match(info, "run_id:(%x+)")
        if not id then
            red:close()
            return nil, "info: " .. tostring(err or "no run_id")
        end
        self.run_id = id
    end
    return red
end

-- release returns a connection to the pool.
function _M:release(red)
    red:set_keepalive(IDLE, self.pool_size)
end

return _M
