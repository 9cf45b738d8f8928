-- Grabs seats for a buyer: the whole hot path of a sale in one call.
-- Run by the edge (lua/boxoffice/grab.lua) for each grab that passes its
-- checks. Writes the seats LOCKED, the hold ({s:N}:holds), its expiry
-- ({s:N}:expiry, read by workers/timeouts, scan.go) and the idempotency
-- record, and XADDs hold.created to {s:N}:outbox, read by workers/relay
-- (stream.go), which publishes it to Kafka; workers/orders inserts the
-- order into MySQL from there.
-- KEYS (keys.hold in lua/boxoffice/keys.lua): 1 meta, 2 seats, 3 price,
--       4 tier, 5 counts, 6 soldout, 7 reserved, 8 held, 9 holds, 10 expiry,
--       11 outbox, 12 seq, 13 conflict (seats kept out of sale), 14 eventseq,
--       15 index, 16 packed (the packed seat map, written with the seats),
--       17 holders (the grabs granted a hold, a Bloom filter of their
--       idempotency records' names: 3 bits each, the first three 4-byte
--       words of the name's SHA-1 mod the bitmap's size, which arming
--       fixes; read by the edge to let their retries past its refusals),
--       18 the idempotency record of this buyer and key.
-- ARGV: 1 session id, 2 user id, 3 canonical body (sorted seat ids, comma
--       separated), 4 the server's run id as the caller read it on this
--       connection (INFO server), then the seat ids.
-- Returns {status, code, payload}: payload is JSON, the body's fields.
-- Checks run cheapest first and nothing is written until all pass, so a
-- refusal locks nothing; the hold and its event are written together.
local sid, uid, body = ARGV[1], ARGV[2], ARGV[3]
local n = #ARGV - 4

-- A session being repaired after a sale-Redis loss (meta "recovering"),
-- or not yet checked against MySQL since this server started (meta
-- "verified" is another server's run id: it may have come back older),
-- answers 503 recovering and changes nothing.
local meta = redis.call("HMGET", KEYS[1], "state", "opens_at", "closes_at", "limit", "hold_ms", "recovering",
    "verified")
if not meta[1] then
    return { 404, "not_found", cjson.encode({ message = "no session " .. sid .. " on sale" }) }
end
if meta[6] or meta[7] ~= ARGV[4] then
    return { 503, "recovering", "{}" }
end
-- A repeated key replays its first answer even once the sale has closed:
-- the buyer holds those seats.
local replay = redis.call("GET", KEYS[18])
if replay then
    local first = cjson.decode(replay)
    if first.body ~= body then
        return { 422, "idempotency_conflict", "{}" }
    end
    return { 201, "replay", first.answer }
end

local now = now_ms()
local opens, closes = tonumber(meta[2]), tonumber(meta[3])
if meta[1] ~= "ON_SALE" or now < opens or now >= closes then
    return { 403, "sale_not_open", cjson.encode({ opens_at = opens, closes_at = closes, state = meta[1] }) }
end

if redis.call("SISMEMBER", KEYS[7], uid) == 0 then
    return { 403, "not_eligible", "{}" }
end
local limit = tonumber(meta[4])
if n > limit then
    return { 400, "bad_request", cjson.encode({ limit = limit }) }
end
local held = tonumber(redis.call("HGET", KEYS[8], uid) or "0")
if held + n > limit then
    return { 403, "limit_exceeded", cjson.encode({ limit = limit, held = held }) }
end

local ids = {}
for i = 1, n do ids[i] = ARGV[4 + i] end
local states = redis.call("HMGET", KEYS[2], unpack(ids))
local conflicts = redis.call("HMGET", KEYS[13], unpack(ids))
local unknown, taken = {}, {}
for i = 1, n do
    if not states[i] then
        unknown[#unknown + 1] = tonumber(ids[i])
    elseif states[i] ~= "A" or conflicts[i] then
        taken[#taken + 1] = tonumber(ids[i])
    end
end
if #unknown > 0 then
    return { 404, "not_found", cjson.encode({ seat_ids = unknown }) }
end
if #taken > 0 then
    return { 409, "seat_unavailable", cjson.encode({ seat_ids = taken }) }
end

local seq = redis.call("INCR", KEYS[12])
local order_no = "B" .. sid .. "-" .. now .. "-" .. seq
local prices = redis.call("HMGET", KEYS[3], unpack(ids))
local tiers = redis.call("HMGET", KEYS[4], unpack(ids))
-- The packed seat map (none for a session armed before there were any).
local index = redis.call("HMGET", KEYS[15], unpack(ids))
local packed = { "BITFIELD", KEYS[16] }
local amount = 0
for i = 1, n do
    redis.call("HSET", KEYS[2], ids[i], "L:" .. order_no)
    if index[i] then
        local at = #packed
        packed[at + 1], packed[at + 2], packed[at + 3], packed[at + 4] = "SET", "u2", "#" .. index[i], 1
    end
    redis.call("HINCRBY", KEYS[5], "avail:" .. tiers[i], -1)
    redis.call("HINCRBY", KEYS[5], "locked:" .. tiers[i], 1)
    amount = amount + tonumber(prices[i])
end
if #packed > 2 then redis.call(unpack(packed)) end
if redis.call("HINCRBY", KEYS[5], "avail", -n) <= 0 then
    redis.call("SET", KEYS[6], "1")
end
redis.call("HINCRBY", KEYS[8], uid, n)
local bits = 8 * redis.call("STRLEN", KEYS[17])
if bits > 0 then
    local sum = redis.sha1hex(KEYS[18])
    for i = 0, 2 do
        redis.call("SETBIT", KEYS[17], tonumber(sum:sub(8 * i + 1, 8 * i + 8), 16) % bits, 1)
    end
end
local expires = now + tonumber(meta[5])
local seats = table.concat(ids, ",")
redis.call("HSET", KEYS[9], order_no, cjson.encode({
    user = tonumber(uid), seats = seats, amount = amount, expires_at = expires, created_at = now,
    state = "LOCKED" }))
redis.call("ZADD", KEYS[10], expires, order_no)
redis.call("XADD", KEYS[11], "*", "type", "hold.created", "id", order_no .. ":created",
    "session", sid, "order_no", order_no, "user", uid, "seats", seats,
    "amount", amount, "expires_at", expires, "at", now, "seq", redis.call("INCR", KEYS[14]))

local numeric = {}
for i = 1, n do numeric[i] = tonumber(ids[i]) end
local answer = cjson.encode({ order_no = order_no, session_id = tonumber(sid), seat_ids = numeric,
    amount_cents = amount, expires_at = expires })
redis.call("SET", KEYS[18], cjson.encode({ body = body, answer = answer }), "PX", 86400000)
return { 201, "created", answer }
