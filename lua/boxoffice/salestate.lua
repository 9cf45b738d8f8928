-- What the edge knows of each session without asking Redis per request:
-- the sold-out flag, the seat limit and the Bloom filter of reserved
-- buyers, kept in a lua_shared_dict. A timer on one worker refreshes them
-- every few tenths of a second (BOXOFFICE_EDGE_STATE_REFRESH) for sessions
-- seen in the last minute, so a flag is at most about twice that stale.
-- Until a session's filter is loaded, requests pass to the script, whose
-- reserved set is definitive.
local bloom = require "boxoffice.bloom"
local keys = require "boxoffice.keys"

local ngx = ngx
local setmetatable = setmetatable
local type, tonumber, tostring = type, tonumber, tostring
local match = string.match

local _M = { _VERSION = "0.1" }
local mt = { __index = _M }

local ACTIVE_TTL = 60
local SEEN_EVERY = 10 -- seconds between a worker's marks of a session it sees

-- new returns the sale state kept in the lua_shared_dict dict_name and
-- refreshed from sale (a boxoffice.redis connector), or nil and an error.
function _M.new(dict_name, sale)
    local dict = ngx.shared[dict_name]
    if not dict then
        return nil, "no lua_shared_dict " .. tostring(dict_name)
    end
    -- filters is each worker's copy of the sessions' filter bits, so a
    -- request does not copy the bitset out of shared memory:
    -- sid → { meta, m, k, bits }. seen_at is when this worker last marked
    -- each session active.
    return setmetatable({ dict = dict, sale = sale, filters = {}, seen_at = {} }, mt)
end

-- seen marks a session as active so the timer keeps its flags fresh: a
-- write to shared memory every SEEN_EVERY seconds per worker, not per grab.
function _M:seen(sid)
    local now = ngx.now()
    if (self.seen_at[sid] or 0) + SEEN_EVERY > now then
        return
    end
    self.seen_at[sid] = now
    self.dict:set("active:" .. sid, true, ACTIVE_TTL)
end

-- sold_out returns when (ngx.now()) a refresh that began then first read
-- the session's sold-out flag raised, or nil while it is not.
function _M:sold_out(sid)
    return self.dict:get("soldout_at:" .. sid)
end

-- recovering reports whether the session is being repaired after a sale
-- Redis loss (meta "recovering"): grabs answer 503 until it is done.
function _M:recovering(sid)
    return self.dict:get("recovering:" .. sid) == true
end

-- limit is the session's per-buyer seat limit, if known.
function _M:limit(sid)
    return self.dict:get("limit:" .. sid)
end

-- eligible is false only when the session's filter is loaded and says the
-- buyer certainly did not reserve.
function _M:eligible(sid, uid)
    local meta = self.dict:get("bloomv:" .. sid)
    if not meta then
        return true
    end
    local f = self.filters[sid]
    if not f or f.meta ~= meta then
        local bits = self.dict:get("bloom:" .. sid)
        local m, k = match(meta, "^%d+:(%d+):(%d+)$")
        if not bits or not m then
            return true
        end
        f = { meta = meta, m = tonumber(m), k = tonumber(k), bits = bits }
        self.filters[sid] = f
    end
    return bloom.test(f.bits, f.m, f.k, tostring(uid))
end

-- refresh_one reads one session's flags and, when its arm version moved,
-- its filter; at is when the read began.
local function refresh_one(d, red, sid, at)
    red:init_pipeline()
    red:get(keys.key(sid, "soldout"))
    red:hmget(keys.key(sid, "meta"), "version", "bloom_m", "bloom_k", "limit", "recovering")
    local res, err = red:commit_pipeline()
    if not res then
        return nil, err
    end
    if res[1] ~= "1" then
        d:delete("soldout_at:" .. sid)
    elseif not d:get("soldout_at:" .. sid) then
        d:set("soldout_at:" .. sid, at)
    end
    local meta = res[2]
    if type(meta) ~= "table" or meta[1] == ngx.null then
        d:delete("bloomv:" .. sid)
        return true
    end
    d:set("limit:" .. sid, tonumber(meta[4]))
    d:set("recovering:" .. sid, meta[5] ~= ngx.null)
    local v = meta[1] .. ":" .. meta[2] .. ":" .. meta[3]
    if d:get("bloomv:" .. sid) ~= v then
        local bits = red:get(keys.key(sid, "bloom"))
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

-- refresh reads the state of every active session from the sale Redis,
-- logging what fails.
function _M:refresh()
    for _, key in ipairs(self.dict:get_keys(0)) do
        local sid = match(key, "^active:(%d+)$")
        if sid then
            local red, err = self.sale:connect(sid)
            if not red then
                ngx.log(ngx.WARN, "sale state refresh: ", err)
                return
            end
            ngx.update_time()
            local ok, rerr = refresh_one(self.dict, red, sid, ngx.now())
            if ok then
                self.sale:release(red)
            else
                ngx.log(ngx.WARN, "sale state refresh of session ", sid, ": ", rerr)
                red:close() -- a failed call may leave the connection unusable
            end
        end
    end
end

-- start refreshes every `every` seconds; call it from init_worker on one
-- worker.
function _M:start(every)
    local ok, err = ngx.timer.every(every, function(premature)
        if not premature then
            self:refresh()
        end
    end)
    if not ok then
        ngx.log(ngx.ERR, "cannot start the sale state timer: ", err)
    end
end

return _M
