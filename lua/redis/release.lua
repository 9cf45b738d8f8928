-- Releases a hold: its seats become AVAILABLE again (timeout, buyer cancel,
-- reconciliation). Idempotent: a released hold stays released, a sold one
-- is never released. Run by workers/timeouts (scan.go) and the api's
-- cancel (through internal/sale, holds.go). Writes the seats AVAILABLE
-- (clearing {s:N}:soldout, read by the edge's salestate.lua), the hold
-- RELEASED, and XADDs hold.released to {s:N}:outbox, read by workers/relay
-- (stream.go), with the next {s:N}:eventseq.
-- KEYS: 1 seats, 2 tier, 3 counts, 4 soldout, 5 held, 6 holds, 7 expiry,
--       8 outbox, 9 eventseq, 10 index, 11 packed, 12 conflict.
-- ARGV: 1 session id, 2 order number, 3 reason, 4 the owner's user id or
--       "0" for any, 5 "1" to release only a hold that is due (its expiry,
--       or its payment deadline while PAYING).
-- Returns {outcome}: released, released_already, sold, unknown, not_owner
-- or not_due.

local sid, order_no, reason = ARGV[1], ARGV[2], ARGV[3]
local raw = redis.call("HGET", KEYS[6], order_no)
if not raw then
    return { "unknown" }
end
local h = cjson.decode(raw)
if ARGV[4] ~= "0" and string.format("%d", h.user) ~= ARGV[4] then
    return { "not_owner" }
end
if h.state == "RELEASED" then
    return { "released_already" }
end
if h.state == "SOLD" then
    return { "sold" }
end
local now = now_ms()
if ARGV[5] == "1" then
    local due = h.expires_at
    if h.state == "PAYING" then due = h.pay_deadline end
    if now < due then
        return { "not_due" }
    end
end

local n, back = 0, 0
for seat in string.gmatch(h.seats, "[^,]+") do
    n = n + 1
    if redis.call("HGET", KEYS[1], seat) == "L:" .. order_no then
        local tier = redis.call("HGET", KEYS[2], seat)
        redis.call("HSET", KEYS[1], seat, "A")
        pack(KEYS[10], KEYS[11], KEYS[12], seat, "A")
        redis.call("HINCRBY", KEYS[3], "avail:" .. tier, 1)
        redis.call("HINCRBY", KEYS[3], "locked:" .. tier, -1)
        back = back + 1
    end
end
if back > 0 then
    redis.call("HINCRBY", KEYS[3], "avail", back)
    redis.call("DEL", KEYS[4])
end
local uid = string.format("%d", h.user)
if redis.call("HINCRBY", KEYS[5], uid, -n) <= 0 then
    redis.call("HDEL", KEYS[5], uid)
end
redis.call("ZREM", KEYS[7], order_no)
h.state, h.reason, h.released_at = "RELEASED", reason, now
redis.call("HSET", KEYS[6], order_no, cjson.encode(h))
redis.call("XADD", KEYS[8], "*", "type", "hold.released", "id", order_no .. ":released",
    "session", sid, "order_no", order_no, "user", uid, "seats", h.seats,
    "amount", h.amount, "reason", reason, "at", now, "seq", redis.call("INCR", KEYS[9]))
return { "released" }
