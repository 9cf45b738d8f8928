-- The edge's copy of each session's packed seat map: what
-- GET /api/sale/sessions/{sid}/seats answers, and what lets a grab of seats
-- known to be taken be refused without Redis. The sale scripts keep the
-- map ({s:N}:packed, 2 bits a seat at its index in the seat order
-- {s:N}:order) and the grabs granted a hold ({s:N}:holders, a Bloom
-- filter of idempotency records, set by hold.lua); one MGET per node per refresh
-- (BOXOFFICE_EDGE_SEATS_TTL) reads the three into a lua_shared_dict. One
-- request per node reads Redis, the first read too: the others serve the
-- copy that just expired or, when there is none yet, wait for it.
local bit = require "bit"
local cjson = require "cjson.safe"
local keys = require "boxoffice.keys"
local response = require "boxoffice.response"

local ngx = ngx
local setmetatable = setmetatable
local tostring, tonumber, type = tostring, tonumber, type
local byte, find, sub = string.byte, string.find, string.sub
local band, lshift, rshift = bit.band, bit.lshift, bit.rshift
local floor = math.floor

local _M = { _VERSION = "0.1" }
local mt = { __index = _M }

local STALE = 10   -- seconds an expired copy may stand in during a refresh
local WAIT = 1     -- seconds a request waits for another's first read
local POLL = 0.005 -- seconds between looks while waiting
local NONE = ""    -- the copy of a session the sale Redis does not have

-- Codes of the packed map (internal/sale/packed.go).
_M.AVAILABLE, _M.LOCKED, _M.SOLD, _M.OUT = 0, 1, 2, 3

-- new returns seat maps read from sale (a boxoffice.redis connector) and
-- kept ttl seconds in the lua_shared_dict dict_name, or nil and an error.
function _M.new(dict_name, sale, ttl)
    local dict = ngx.shared[dict_name]
    if not dict then
        return nil, "no lua_shared_dict " .. tostring(dict_name)
    end
    -- views is each worker's decoded copy for grabs: sid → { etag, packed,
    -- runs }, so a grab does not copy the map out of shared memory.
    return setmetatable({ dict = dict, sale = sale, ttl = ttl, views = {} }, mt)
end

local function iso(t)
    return os.date("!%Y-%m-%dT%H:%M:%S", floor(t)) .. string.format(".%03dZ", floor(t * 1000) % 1000)
end

-- fetch reads the packed map, the seat order and the holders: the three
-- ("" for holders when the session has none), NONE, or nil and the error.
local function fetch(sale, sid)
    local red, err = sale:connect(sid)
    if not red then
        return nil, err
    end
    local res
    res, err = red:mget(keys.key(sid, "packed"), keys.key(sid, "order"), keys.key(sid, "holders"))
    if not res then
        red:close()
        return nil, err
    end
    sale:release(red)
    if type(res[1]) ~= "string" or type(res[2]) ~= "string" then
        return NONE
    end
    return res[1], res[2], type(res[3]) == "string" and res[3] or ""
end

-- load reads session sid from Redis into the dict and gives back the lock
-- its caller took. "fresh:" and "read:" hold the time the read began,
-- "fresh:" only while the copy is fresh; "grab:" what
-- grabs use, in one value so a worker never mixes two reads: the ETag,
-- the seat order, the packed map's length, the packed map and the holders.
function _M:load(sid)
    local d = self.dict
    ngx.update_time()
    local at = ngx.now()
    local packed, order, holders = fetch(self.sale, sid)
    if not packed then
        ngx.log(ngx.ERR, "seat map of session ", sid, ": ", order)
    elseif packed == NONE then
        d:set("map:" .. sid, NONE, STALE)
        d:delete("etag:" .. sid)
        d:set("read:" .. sid, at, STALE)
        d:set("fresh:" .. sid, at, self.ttl)
    else
        -- A hold changes the packed map in the call that adds its buyer
        -- to the holders, so the ETag of the map versions both.
        local etag = 'W/"' .. ngx.md5(order .. packed) .. '"'
        local body = '{"session_id":' .. sid .. ',"at":"' .. iso(at) .. '","bits":2,"order":' .. order ..
            ',"states":"' .. ngx.encode_base64(packed) .. '"}\n'
        d:set("grab:" .. sid, etag .. "\n" .. order .. "\n" .. #packed .. "\n" .. packed .. holders, STALE)
        d:set("map:" .. sid, etag .. "\n" .. body, STALE)
        d:set("etag:" .. sid, etag, STALE)
        d:set("read:" .. sid, at, STALE)
        d:set("fresh:" .. sid, at, self.ttl)
    end
    d:delete("lock:" .. sid)
end

-- get returns session sid's seat map (JSON) and its ETag, or nil and
-- "not_found" or "unavailable" (the sale Redis failed and no copy is left).
function _M:get(sid)
    local d = self.dict
    if not d:get("fresh:" .. sid) then
        if d:add("lock:" .. sid, true, WAIT) then
            self:load(sid)
        else
            local deadline = ngx.now() + WAIT
            while not d:get("map:" .. sid) and d:get("lock:" .. sid) and ngx.now() < deadline do
                ngx.sleep(POLL)
            end
        end
    end
    local m = d:get("map:" .. sid)
    if not m then
        return nil, "unavailable"
    end
    if m == NONE then
        return nil, "not_found"
    end
    local nl = find(m, "\n", 1, true)
    return sub(m, nl + 1), sub(m, 1, nl - 1)
end

-- decode_order reads the seat order's JSON runs [[first id, count], ...]
-- into { first, count, offset } lists, or nil.
function _M.decode_order(json)
    local runs = cjson.decode(json)
    if type(runs) ~= "table" then
        return nil
    end
    local out, at = { first = {}, count = {}, offset = {} }, 0
    for i, r in ipairs(runs) do
        out.first[i], out.count[i], out.offset[i] = r[1], r[2], at
        at = at + r[2]
    end
    return out
end

-- index_of returns seat id's index in the seat order (runs from
-- decode_order), or nil if the session has no such seat.
function _M.index_of(runs, id)
    local first = runs.first
    local lo, hi = 1, #first
    while lo <= hi do
        local mid = floor((lo + hi) / 2)
        if first[mid] <= id then
            lo = mid + 1
        else
            hi = mid - 1
        end
    end
    if hi < 1 or id >= first[hi] + runs.count[hi] then
        return nil
    end
    return runs.offset[hi] + id - first[hi]
end

-- code_at returns the code of the seat at index i of a packed map: four
-- seats a byte, the first in the high bits (BITFIELD u2 #i).
function _M.code_at(packed, i)
    local b = byte(packed, rshift(i, 2) + 1)
    return b and band(rshift(b, 6 - 2 * band(i, 3)), 3)
end

-- load_later is the timer that refreshes a session in the background: a
-- function of its own, since a closure made in view would keep view's
-- every call out of the JIT compiler.
local function load_later(_, maps, sid)
    maps:load(sid)
end

-- refresh reads session sid again in the background unless a read is
-- running.
function _M:refresh(sid)
    local d = self.dict
    if d:add("lock:" .. sid, true, WAIT) then
        local ok, err = ngx.timer.at(0, load_later, self, sid)
        if not ok then
            d:delete("lock:" .. sid)
            ngx.log(ngx.ERR, "seat map refresh of session ", sid, ": ", err)
        end
    end
end

-- decode_view reads a "grab:" value (see load) into { etag, runs,
-- packed, holders }, or nil.
local function decode_view(s)
    local e = find(s, "\n", 1, true)
    local o = e and find(s, "\n", e + 1, true)
    local l = o and find(s, "\n", o + 1, true)
    local runs = l and _M.decode_order(sub(s, e + 1, o - 1))
    local len = l and tonumber(sub(s, o + 1, l - 1))
    if not runs or not len then
        return nil
    end
    return { etag = sub(s, 1, e - 1), runs = runs, packed = sub(s, l + 1, l + len), holders = sub(s, l + len + 1) }
end

-- view returns this worker's copy of session sid's map and the time its
-- read began if the node's copy is fresh (at most ttl old), or if stale is
-- true and an expired copy is left: false when the session has no map;
-- otherwise nil. Past ttl a refresh starts in the background unless one
-- is running.
function _M:view(sid, stale)
    local d = self.dict
    local at = d:get("fresh:" .. sid)
    if not at then
        self:refresh(sid)
        at = stale and d:get("read:" .. sid)
        if not at then
            return nil
        end
    end
    local etag = d:get("etag:" .. sid)
    if not etag then
        return false
    end
    local v = self.views[sid]
    if not v or v.etag ~= etag then
        v = decode_view(d:get("grab:" .. sid) or "")
        if not v then
            return nil
        end
        self.views[sid] = v
    end
    if v.read ~= at then
        -- taken: the seats this worker learned are taken since the read
        -- that began at v.read (learn); a new read may show them freed.
        v.read, v.taken = at, {}
    end
    return v, at
end

-- has reports whether the holders of v may have the grab whose
-- idempotency record is named idem: a Bloom filter, whose 3 bits of a
-- name are the first three 4-byte words (big-endian) of its SHA-1 mod the
-- bitmap's size, the first bit of a byte the high one (as hold.lua sets
-- them).
local function has(v, idem)
    local h = v.holders
    if h == "" then
        return false
    end
    local sum, bits = ngx.sha1_bin(idem), 8 * #h
    for j = 1, 9, 4 do
        local a, b, c, d = byte(sum, j, j + 3)
        local i = (((a * 256 + b) * 256 + c) * 256 + d) % bits
        if band(byte(h, floor(i / 8) + 1), lshift(1, 7 - i % 8)) == 0 then
            return false
        end
    end
    return true
end

-- codes returns the packed code of each seat of ids (strings) from a fresh
-- copy (nil for a seat the session lacks), or nil without a fresh copy.
function _M:codes(sid, ids)
    local v = self:view(sid)
    if not v then
        return nil
    end
    local out, taken = {}, v.taken
    for i, id in ipairs(ids) do
        local n = tonumber(id)
        local at = _M.index_of(v.runs, n)
        out[i] = at and (taken[n] or _M.code_at(v.packed, at))
    end
    return out
end

-- learn marks seats ids of session sid taken in this worker's copy, as
-- the hold script has just answered (held by this grab, or 409): until
-- the copy is read again, grabs of them are refused here instead of each
-- asking the sale Redis. A copy read again starts without them; it has
-- them, or they changed since.
function _M:learn(sid, ids)
    local v = self.views[sid]
    if not v or type(ids) ~= "table" then
        return
    end
    for _, id in ipairs(ids) do
        local n = tonumber(id)
        if n then
            v.taken[n] = _M.LOCKED
        end
    end
end

-- holder reports whether the grab whose idempotency record is named idem
-- may have been granted (a retry to replay), from a copy whose read began
-- after since: when the node first saw the session sold out, or 0 to ask
-- of the copy codes just read or a newer one. Grants are only ever added,
-- so an expired copy serves while it is read again. It is false only when
-- such a copy leaves the grab out, or the session keeps no holders; true
-- without such a copy, and a refresh starts.
function _M:holder(sid, idem, since)
    local v, at = self:view(sid, true)
    if v == false then
        return false
    end
    if not v then
        return true
    end
    if at <= since then
        self:refresh(sid)
        return true
    end
    return has(v, idem)
end

-- serve answers the request for $grab_sid's seat map from maps (a seat
-- map store made by new): 200 with its ETag, or 304 to a matching
-- If-None-Match.
function _M.serve(maps)
    local method = ngx.req.get_method()
    if method ~= "GET" and method ~= "HEAD" then
        ngx.header["Allow"] = "GET, HEAD"
        return response.error(405, "method_not_allowed", "use GET")
    end
    local body, etag = maps:get(ngx.var.grab_sid)
    if body then
        ngx.header["ETag"] = etag
        if ngx.var.http_if_none_match == etag then
            ngx.header["Cache-Control"] = "no-cache"
            ngx.status = 304
            return ngx.exit(304)
        end
        return response.send(200, body, nil, "no-cache")
    end
    if etag == "not_found" then
        return response.error(404, "not_found", "no session on sale with this id")
    end
    return response.error(503, "unavailable", "seat states are unavailable; try again shortly", { retry_after = 1 })
end

return _M
