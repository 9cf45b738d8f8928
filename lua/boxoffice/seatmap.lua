-- GET /api/sale/sessions/{sid}/seats: live seat states (id → AVAILABLE,
-- LOCKED or SOLD), micro-cached in a lua_shared_dict for a second or so
-- (BOXOFFICE_EDGE_SEATS_TTL). One request per node refreshes an expired
-- copy; the others serve the copy that just expired rather than queue on
-- Redis.
local cjson = require "cjson.safe"
local keys = require "boxoffice.keys"
local response = require "boxoffice.response"

local ngx = ngx
local setmetatable = setmetatable
local tostring = tostring
local byte = string.byte

local _M = { _VERSION = "0.1" }
local mt = { __index = _M }

local STALE = 10 -- seconds an expired copy may stand in during a refresh
local NAMES = { [65] = "AVAILABLE", [76] = "LOCKED", [83] = "SOLD" }
local NONE = "" -- the copy of a session the sale Redis does not have

-- new returns seat maps read from sale (a boxoffice.redis connector) and
-- kept ttl seconds in the lua_shared_dict dict_name, or nil and an error.
function _M.new(dict_name, sale, ttl)
    local dict = ngx.shared[dict_name]
    if not dict then
        return nil, "no lua_shared_dict " .. tostring(dict_name)
    end
    return setmetatable({ dict = dict, sale = sale, ttl = ttl }, mt)
end

local function iso_now()
    local now = ngx.now()
    return os.date("!%Y-%m-%dT%H:%M:%S", math.floor(now)) .. string.format(".%03dZ", math.floor(now * 1000) % 1000)
end

-- fetch reads the seat map from the sale Redis: its JSON, NONE, or nil and
-- the error.
local function fetch(sale, sid)
    local red, err = sale:connect()
    if not red then
        return nil, err
    end
    local flat
    flat, err = red:hgetall(keys.key(sid, "seats"))
    if not flat then
        red:close()
        return nil, err
    end
    sale:release(red)
    if #flat == 0 then
        return NONE
    end
    local seats = {}
    for i = 1, #flat, 2 do
        seats[flat[i]] = NAMES[byte(flat[i + 1], 1)] or "UNKNOWN"
    end
    return cjson.encode({ session_id = tonumber(sid), seats = seats, at = iso_now() })
end

local function found(json)
    if json == NONE then
        return nil, "not_found"
    end
    return json
end

-- get returns session sid's seat map as JSON, or nil and "not_found" or
-- "unavailable" (the sale Redis failed and no copy is left).
function _M:get(sid)
    local d = self.dict
    local fresh = d:get("fresh:" .. sid)
    if fresh then
        return found(fresh)
    end
    local stale = d:get("stale:" .. sid)
    if stale and not d:add("lock:" .. sid, true, self.ttl) then
        return found(stale)
    end
    local json, err = fetch(self.sale, sid)
    d:delete("lock:" .. sid)
    if not json then
        ngx.log(ngx.ERR, "seat map of session ", sid, ": ", err)
        if stale then
            return found(stale)
        end
        return nil, "unavailable"
    end
    d:set("fresh:" .. sid, json, self.ttl)
    d:set("stale:" .. sid, json, STALE)
    return found(json)
end

-- serve answers the request for $grab_sid's seat map from maps (a seat
-- map store made by new).
function _M.serve(maps)
    local method = ngx.req.get_method()
    if method ~= "GET" and method ~= "HEAD" then
        ngx.header["Allow"] = "GET, HEAD"
        return response.error(405, "method_not_allowed", "use GET")
    end
    local json, err = maps:get(ngx.var.grab_sid)
    if json then
        return response.send(200, json)
    end
    if err == "not_found" then
        return response.error(404, "not_found", "no session on sale with this id")
    end
    return response.error(503, "unavailable", "seat states are unavailable; try again shortly", { retry_after = 1 })
end

return _M
