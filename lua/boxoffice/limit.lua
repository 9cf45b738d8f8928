-- A per-key request rate limit in a shared dict, counted as nginx's
-- limit_req with nodelay counts: a key may send burst requests above rate
-- per second; past that a request is refused (and not counted) until the
-- excess drains at the rate. For where limit_req would run too late.
local max = math.max
local match = string.match
local format = string.format

local _M = { _VERSION = "0.1" }
local mt = { __index = _M }

-- new returns a limiter over dict (a lua_shared_dict) allowing rate
-- requests per second with burst more.
function _M.new(dict, rate, burst)
    return setmetatable({ dict = dict, rate = rate, burst = burst }, mt)
end

-- incoming counts a request of key at now (seconds) and reports whether
-- it is allowed.
function _M:incoming(key, now)
    local excess = 0
    local e, last = match(self.dict:get(key) or "", "^([^:]+):(.+)$")
    if e then
        excess = max(tonumber(e) - self.rate * (now - tonumber(last)), 0)
    end
    if excess > self.burst then
        return false
    end
    excess = excess + 1
    -- Forgotten once drained.
    self.dict:set(key, format("%.3f:%.3f", excess, now), excess / self.rate + 1)
    return true
end

return _M
