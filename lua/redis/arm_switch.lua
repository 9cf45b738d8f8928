-- Switches a session to its freshly built state (boxoffice sale arming).
-- Run by internal/sale (arm.go) when an admin arms a session. Writes the
-- live keys the grab reads (hold.lua) and the edge keeps a copy of
-- ({s:N}:meta, bloom and soldout, read by the edge's salestate.lua). No
-- event.
-- KEYS: the live keys meta, seats, price, tier, counts, reserved, bloom,
--       held, index, packed, order, then their staging keys in the same
--       order, then soldout, then conflict (seats kept out of sale, packed
--       as 3).
-- Returns the number of AVAILABLE seats, or -1 (nothing touched) when the
-- live session is past ARMED (ON_SALE or CLOSED): a live sale is never
-- re-armed.
-- The sale Redis is the authority for seat state: when a live state exists
-- (a re-arm), each seat keeps its live state and each buyer its live count,
-- so holds that MySQL has not seen yet are never forgotten. The staging
-- build, made from MySQL, decides only for seats the live state lacks.
-- One call, so readers see either the old state or the new one.
local n = 11
local SEATS, TIER, COUNTS, HELD, INDEX, PACKED = 2, 4, 5, 8, 9, 10

-- pack writes a seat's code into the staging packed seat map.
local function pack(seat, c)
    pack_code(KEYS[n + INDEX], KEYS[n + PACKED], seat, c)
end

local live_state = redis.call("HGET", KEYS[1], "state")
if live_state and live_state ~= "ARMED" then
    return -1
end

local live = redis.call("HGETALL", KEYS[SEATS])
for i = 1, #live, 2 do
    local seat, state = live[i], live[i + 1]
    local built = redis.call("HGET", KEYS[n + SEATS], seat)
    if built and built ~= state then
        recount(KEYS[n + COUNTS], redis.call("HGET", KEYS[n + TIER], seat), built, state)
        redis.call("HSET", KEYS[n + SEATS], seat, state)
        pack(seat, CODE[state:sub(1, 1)])
    end
end
for _, seat in ipairs(redis.call("HKEYS", KEYS[2 * n + 2])) do
    pack(seat, 3)
end
if #live > 0 then
    redis.call("DEL", KEYS[n + HELD]) -- live counts stay
end

for i = 1, n do
    if redis.call("EXISTS", KEYS[n + i]) == 1 then
        redis.call("RENAME", KEYS[n + i], KEYS[i])
    elseif i ~= HELD or #live == 0 then
        redis.call("DEL", KEYS[i])
    end
end

return flag_soldout(KEYS[COUNTS], KEYS[2 * n + 1])
