-- Builds the packed seat map of a session armed by a version without
-- packed maps, once the caller has written its {s:N}:index. Run by
-- internal/sale (packed.go, RebuildPacked) for workers/timeouts' loss
-- check. Writes {s:N}:packed from the live seats and conflicts, then
-- {s:N}:order, which shows the map to the edge (seatmap.lua reads both):
-- one call, so the map agrees with the seats. Seat scripts run before it
-- have already packed the seats they changed (they found the index). No
-- event.
-- KEYS: 1 seats, 2 conflict, 3 index, 4 packed, 5 order.
-- ARGV: 1 the seat order (JSON runs, as arming writes it).
-- Returns 1 if it built the map, 0 if the session had one already.
if redis.call("EXISTS", KEYS[5]) == 1 then
    return 0
end
local index, out = {}, {}
local flat = redis.call("HGETALL", KEYS[3])
for i = 1, #flat, 2 do index[flat[i]] = flat[i + 1] end
flat = redis.call("HGETALL", KEYS[2])
for i = 1, #flat, 2 do out[flat[i]] = true end

redis.call("DEL", KEYS[4])
local seats = redis.call("HGETALL", KEYS[1])
local set = { "BITFIELD", KEYS[4] }
for i = 1, #seats, 2 do
    local seat, at = seats[i], index[seats[i]]
    if at then
        local n = #set
        set[n + 1], set[n + 2], set[n + 3] = "SET", "u2", "#" .. at
        set[n + 4] = out[seat] and 3 or CODE[seats[i + 1]:sub(1, 1)]
        if n + 4 >= 4000 then
            redis.call(unpack(set))
            set = { "BITFIELD", KEYS[4] }
        end
    end
end
if #set > 2 then redis.call(unpack(set)) end
redis.call("SET", KEYS[5], ARGV[1])
return 1
