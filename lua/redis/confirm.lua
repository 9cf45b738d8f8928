-- Confirms a paid hold: its seats go from LOCKED to SOLD, all or none.
-- Idempotent; a hold released before the money came is not revived, and a
-- hold whose seats are not all still locked by it sells nothing (conflict,
-- an integrity fault): the caller flags a refund. Run by the payment notification (internal/payments, settle.go).
-- Writes the seats SOLD, the hold SOLD, drops its expiry, and XADDs
-- hold.sold to {s:N}:outbox, read by workers/relay (stream.go), with the
-- next {s:N}:eventseq.
-- KEYS: 1 seats, 2 tier, 3 counts, 4 holds, 5 expiry, 6 outbox, 7 eventseq,
--       8 index, 9 packed, 10 conflict.
-- ARGV: 1 session id, 2 order number, 3 gateway transaction id.
-- Returns {outcome}: sold, sold_already, released, conflict or unknown.

local sid, order_no = ARGV[1], ARGV[2]
local raw = redis.call("HGET", KEYS[4], order_no)
if not raw then
    return { "unknown" }
end
local h = cjson.decode(raw)
if h.state == "SOLD" then
    return { "sold_already" }
end
if h.state == "RELEASED" then
    return { "released" }
end
for seat in string.gmatch(h.seats, "[^,]+") do
    if redis.call("HGET", KEYS[1], seat) ~= "L:" .. order_no then
        return { "conflict" }
    end
end
local now = now_ms()
for seat in string.gmatch(h.seats, "[^,]+") do
    local tier = redis.call("HGET", KEYS[2], seat)
    redis.call("HSET", KEYS[1], seat, "S:" .. order_no)
    pack(KEYS[8], KEYS[9], KEYS[10], seat, "S")
    redis.call("HINCRBY", KEYS[3], "locked:" .. tier, -1)
    redis.call("HINCRBY", KEYS[3], "sold:" .. tier, 1)
end
redis.call("ZREM", KEYS[5], order_no)
h.state, h.txn, h.sold_at = "SOLD", ARGV[3], now
redis.call("HSET", KEYS[4], order_no, cjson.encode(h))
redis.call("XADD", KEYS[6], "*", "type", "hold.sold", "id", order_no .. ":sold",
    "session", sid, "order_no", order_no, "user", string.format("%d", h.user), "seats", h.seats,
    "amount", h.amount, "txn", ARGV[3], "at", now, "seq", redis.call("INCR", KEYS[7]))
return { "sold" }
