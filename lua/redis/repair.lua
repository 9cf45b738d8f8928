-- Brings holds the sale Redis lost (or knows older) back to MySQL's word,
-- after the sale Redis came back with older data. Run by internal/sale
-- (recover.go) for workers/timeouts' automatic repair and recover-sale.
-- A hold whose Redis state is as far along as MySQL's (LOCKED < PAYING <
-- SOLD or RELEASED) is left alone. Otherwise its record, seats, counters,
-- held count and expiry become MySQL's. A seat MySQL gives to the order
-- but a newer hold (one MySQL never saw) locked meanwhile: that hold is
-- released, with a hold.released event (reason "recovered") so MySQL
-- learns it; a seat another order bought meanwhile is reported, not taken.
-- KEYS: 1 seats, 2 tier, 3 counts, 4 held, 5 holds, 6 expiry, 7 outbox,
--       8 eventseq, 9 soldout (set again from the counters), 10 index,
--       11 packed, 12 conflict.
-- ARGV: 1 session id, 2 the sequence MySQL has applied (the change
--       sequence is raised to it first, so a released newer hold's event
--       never reuses a number MySQL has seen), then per hold: order
--       number, hold JSON (EncodeHold).
-- Returns {repaired, displaced, conflicts}: holds changed, newer holds
-- released, and "order:seat" a sold seat kept from MySQL's order.
local sid = ARGV[1]
local rank = { LOCKED = 1, PAYING = 2, SOLD = 3, RELEASED = 3 }
local repaired, displaced, conflicts = 0, 0, {}
local now = now_ms()
if tonumber(redis.call("GET", KEYS[8]) or "0") < tonumber(ARGV[2]) then
    redis.call("SET", KEYS[8], ARGV[2])
end

local function move(seat, to)
    local from = redis.call("HGET", KEYS[1], seat)
    if not from then return end
    redis.call("HSET", KEYS[1], seat, to)
    pack(KEYS[10], KEYS[11], KEYS[12], seat, to)
    recount(KEYS[3], redis.call("HGET", KEYS[2], seat), from, to)
end

local function held(uid, n)
    if redis.call("HINCRBY", KEYS[4], uid, n) <= 0 then
        redis.call("HDEL", KEYS[4], uid)
    end
end

-- free gives back the seats order_no still locks, and its held count.
local function free(order_no, h)
    local n = 0
    for seat in string.gmatch(h.seats, "[^,]+") do
        n = n + 1
        if redis.call("HGET", KEYS[1], seat) == "L:" .. order_no then move(seat, "A") end
    end
    held(string.format("%d", h.user), -n)
    redis.call("ZREM", KEYS[6], order_no)
end

-- displace releases a newer hold that locked a seat MySQL gives to another.
local function displace(other)
    local raw = redis.call("HGET", KEYS[5], other)
    if not raw then return end
    local h = cjson.decode(raw)
    free(other, h)
    h.state, h.reason, h.released_at = "RELEASED", "recovered", now
    redis.call("HSET", KEYS[5], other, cjson.encode(h))
    redis.call("XADD", KEYS[7], "*", "type", "hold.released", "id", other .. ":released",
        "session", sid, "order_no", other, "user", string.format("%d", h.user), "seats", h.seats,
        "amount", h.amount, "reason", "recovered", "at", now, "seq", redis.call("INCR", KEYS[8]))
    displaced = displaced + 1
end

for i = 3, #ARGV, 2 do
    local order_no, want = ARGV[i], cjson.decode(ARGV[i + 1])
    local raw = redis.call("HGET", KEYS[5], order_no)
    local cur = raw and cjson.decode(raw)
    if not cur or rank[cur.state] < rank[want.state] then
        local live = cur and (cur.state == "LOCKED" or cur.state == "PAYING")
        if want.state == "RELEASED" then
            if live then free(order_no, cur) end
        else
            local mark = (want.state == "SOLD" and "S:" or "L:") .. order_no
            local n = 0
            for seat in string.gmatch(want.seats, "[^,]+") do
                n = n + 1
                local v = redis.call("HGET", KEYS[1], seat) or "A"
                if v:sub(3) ~= order_no and v:sub(1, 1) == "L" then
                    displace(v:sub(3))
                    v = "A"
                end
                if v == "A" or v:sub(3) == order_no then
                    move(seat, mark)
                else
                    conflicts[#conflicts + 1] = order_no .. ":" .. seat
                end
            end
            if not live then held(string.format("%d", want.user), n) end
            if want.state == "SOLD" then
                redis.call("ZREM", KEYS[6], order_no)
            else
                redis.call("ZADD", KEYS[6], want.state == "PAYING" and want.pay_deadline or want.expires_at, order_no)
            end
        end
        redis.call("HSET", KEYS[5], order_no, ARGV[i + 1])
        repaired = repaired + 1
    end
end
flag_soldout(KEYS[3], KEYS[9])
return { repaired, displaced, conflicts }
