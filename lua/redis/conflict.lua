-- Keeps seats out of sale, or puts one back, after an integrity conflict
-- between MySQL and the sale Redis. Run by internal/sale (conflicts.go):
-- workers/orders flags, an admin clears. Writes {s:N}:conflict (read by
-- hold.lua, which treats its seats as taken, and the admin stats) and the
-- packed seat map in the same call: 3 while flagged, the seat's state
-- again once cleared. No event.
-- KEYS: 1 conflict, 2 seats, 3 index, 4 packed.
-- ARGV: 1 "flag", then per seat: seat id, conflict JSON; or 1 "clear",
--       2 seat id.
-- Returns the number of seats flagged, or 1 if the seat was cleared (0 if
-- it was not flagged).
if ARGV[1] == "clear" then
    local seat = ARGV[2]
    if redis.call("HDEL", KEYS[1], seat) == 0 then
        return 0
    end
    pack(KEYS[3], KEYS[4], KEYS[1], seat, redis.call("HGET", KEYS[2], seat) or "A")
    return 1
end
for i = 2, #ARGV, 2 do
    redis.call("HSET", KEYS[1], ARGV[i], ARGV[i + 1])
    pack_code(KEYS[3], KEYS[4], ARGV[i], 3)
end
return (#ARGV - 1) / 2
