-- GET /api/sale/sessions/{sid}/seats: live seat states (id → AVAILABLE,
-- LOCKED or SOLD), micro-cached in shared memory for cfg.seats_ttl seconds
-- (1 by default). One
-- request per node refreshes an expired copy; the others serve the copy
-- that just expired rather than queue on Redis.
local redisconn = require "boxoffice.redisconn"
local response = require "boxoffice.response"

local ngx = ngx
local cjson = require "cjson.safe"
local byte = string.byte

local _M = { _VERSION = "0.1" }

local STALE = 10 -- seconds an expired copy may stand in during a refresh
local NAMES = { [65] = "AVAILABLE", [76] = "LOCKED", [83] = "SOLD" }

local function shm()
    return ngx.shared.boxoffice_seats
end

local function fetch(cfg, sid)
    local red, err = redisconn.connect(cfg)
    if not red then
        return nil, err
    end
    local flat
    flat, err = red:hgetall("{s:" .. sid .. "}:seats")
    if not flat then
        red:close()
        return nil, err
    end
    redisconn.release(red, cfg)
    if #flat == 0 then
        return ""
    end
    local seats = {}
    for i = 1, #flat, 2 do
        seats[flat[i]] = NAMES[byte(flat[i + 1], 1)] or "UNKNOWN"
    end
    local now = ngx.now()
    local at = os.date("!%Y-%m-%dT%H:%M:%S", math.floor(now)) .. string.format(".%03dZ", math.floor(now * 1000) % 1000)
    return cjson.encode({ session_id = tonumber(sid), seats = seats, at = at })
end

local function send(json)
    if json == "" then
        return response.error(404, "not_found", "no session on sale with this id")
    end
    ngx.header["Content-Type"] = "application/json"
    ngx.header["Cache-Control"] = "no-store"
    ngx.print(json)
    return ngx.exit(200)
end

-- serve answers the seat map of the request's session.
function _M.serve(cfg)
    local method = ngx.req.get_method()
    if method ~= "GET" and method ~= "HEAD" then
        ngx.header["Allow"] = "GET, HEAD"
        return response.error(405, "method_not_allowed", "use GET")
    end
    local sid = ngx.var.grab_sid
    local d = shm()
    local fresh = d:get("fresh:" .. sid)
    if fresh then
        return send(fresh)
    end
    local stale = d:get("stale:" .. sid)
    if stale and not d:add("lock:" .. sid, true, cfg.seats_ttl) then
        return send(stale)
    end
    local json, err = fetch(cfg, sid)
    d:delete("lock:" .. sid)
    if not json then
        ngx.log(ngx.ERR, "seat map of session ", sid, ": ", err)
        if stale then
            return send(stale)
        end
        return response.error(503, "unavailable", "seat states are unavailable; try again shortly", { retry_after = 1 })
    end
    d:set("fresh:" .. sid, json, cfg.seats_ttl)
    d:set("stale:" .. sid, json, STALE)
    return send(json)
end

return _M
