-- Marks a LOCKED hold as PAYING with a payment deadline, for its owner, if
-- it has not expired. Idempotent: a PAYING hold answers as it is. Run by
-- the api (POST /api/orders/{no}/pay). Writes the hold ({s:N}:holds) and
-- moves its {s:N}:expiry entry to the deadline, read by workers/timeouts
-- (scan.go), which asks the gateway before releasing it. No event.
-- KEYS: 1 holds, 2 expiry. ARGV: 1 order number, 2 owner's user id,
--       3 payment window in ms.
-- Returns {outcome, hold JSON}: paying, unknown, not_owner, expired,
-- released or sold.
local order_no = ARGV[1]
local raw = redis.call("HGET", KEYS[1], order_no)
if not raw then
    return { "unknown", "{}" }
end
local h = cjson.decode(raw)
if string.format("%d", h.user) ~= ARGV[2] then
    return { "not_owner", "{}" }
end
if h.state == "PAYING" then
    return { "paying", raw }
end
if h.state ~= "LOCKED" then
    return { string.lower(h.state), raw }
end
local now = now_ms()
if now >= h.expires_at then
    return { "expired", raw }
end
h.state, h.pay_deadline = "PAYING", now + tonumber(ARGV[3])
raw = cjson.encode(h)
redis.call("HSET", KEYS[1], order_no, raw)
redis.call("ZADD", KEYS[2], h.pay_deadline, order_no)
return { "paying", raw }
