-- What the edge knows of each session without asking Redis per request:
-- the sold-out flag, the seat limit and the Bloom filter of reserved
-- buyers. A timer on one worker refreshes them every cfg.state_refresh
-- seconds (0.5 by default) for sessions seen in the last minute, so a flag
-- is at most about twice that stale. Until a
-- session's filter is loaded, requests pass to the script, whose reserved
-- set is definitive.
local bloom = require "boxoffice.bloom"
local redisconn = require "boxoffice.redisconn"

local ngx = ngx
local tonumber, tostring = tonumber, tostring
local match = string.match

local _M = { _VERSION = "0.1" }

local ACTIVE_TTL = 60

-- Per-worker copy of each session's filter bits, so a request does not
-- copy the bitset out of shared memory: sid → { version, m, k, bits }.
local filters = {}

local function shm()
    return ngx.shared.boxoffice_sale
end

-- seen marks a session as active so the timer keeps its flags fresh.
function _M.seen(sid)
    shm():set("active:" .. sid, true, ACTIVE_TTL)
end

-- sold_out reports the session's sold-out flag.
function _M.sold_out(sid)
    return shm():get("soldout:" .. sid) == true
end

-- set_sold_out raises the flag at once (the script saw the last seat go).
function _M.set_sold_out(sid)
    shm():set("soldout:" .. sid, true)
end

-- limit is the session's per-buyer seat limit, if known.
function _M.limit(sid)
    return shm():get("limit:" .. sid)
end

-- eligible is false only when the session's filter is loaded and says the
-- buyer certainly did not reserve.
function _M.eligible(sid, uid)
    local meta = shm():get("bloomv:" .. sid)
    if not meta then
        return true
    end
    local f = filters[sid]
    if not f or f.meta ~= meta then
        local bits = shm():get("bloom:" .. sid)
        local m, k = match(meta, "^%d+:(%d+):(%d+)$")
        if not bits or not m then
            return true
        end
        f = { meta = meta, m = tonumber(m), k = tonumber(k), bits = bits }
        filters[sid] = f
    end
    return bloom.test(f.bits, f.m, f.k, tostring(uid))
end

-- refresh_one reads one session's flags and, when its arm version moved,
-- its filter.
local function refresh_one(red, sid)
    local d = shm()
    red:init_pipeline()
    red:get("{s:" .. sid .. "}:soldout")
    red:hmget("{s:" .. sid .. "}:meta", "version", "bloom_m", "bloom_k", "limit")
    local res, err = red:commit_pipeline()
    if not res then
        return nil, err
    end
    d:set("soldout:" .. sid, res[1] == "1")
    local meta = res[2]
    if type(meta) ~= "table" or meta[1] == ngx.null then
        d:delete("bloomv:" .. sid)
        return true
    end
    d:set("limit:" .. sid, tonumber(meta[4]))
    local v = meta[1] .. ":" .. meta[2] .. ":" .. meta[3]
    if d:get("bloomv:" .. sid) ~= v then
        local bits = red:get("{s:" .. sid .. "}:bloom")
        if type(bits) == "string" then
            local ok, serr = d:set("bloom:" .. sid, bits)
            if not ok then
                return nil, "bloom of session " .. sid .. " does not fit: " .. tostring(serr)
            end
            d:set("bloomv:" .. sid, v)
        end
    end
    return true
end

local function refresh(premature, cfg)
    if premature then
        return
    end
    local keys = shm():get_keys(0)
    local red, err
    for _, key in ipairs(keys) do
        local sid = match(key, "^active:(%d+)$")
        if sid then
            if not red then
                red, err = redisconn.connect(cfg)
                if not red then
                    ngx.log(ngx.WARN, "sale state refresh: ", err)
                    return
                end
            end
            local ok, rerr = refresh_one(red, sid)
            if not ok then
                ngx.log(ngx.WARN, "sale state refresh of session ", sid, ": ", rerr)
                red:close() -- a failed call may leave the connection unusable
                red = nil
            end
        end
    end
    if red then
        redisconn.release(red, cfg)
    end
end

-- start runs the refresh timer; call it from init_worker on one worker.
function _M.start(cfg)
    local ok, err = ngx.timer.every(cfg.state_refresh, refresh, cfg)
    if not ok then
        ngx.log(ngx.ERR, "cannot start the sale state timer: ", err)
    end
end

return _M
