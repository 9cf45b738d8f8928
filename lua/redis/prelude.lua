-- What the sale scripts share. Not a script: every script in this folder
-- is sent to Redis with this text first (after its "#!lua" line, if it has
-- one), by lua/lua.go for Go and by boxoffice.scripts for the edge, so
-- these locals are in scope in each script.

-- CODE is a seat state's code in the packed seat map, by the state's first
-- letter ("A", "L:<order>", "S:<order>"); a seat kept out of sale is 3.
local CODE = { A = 0, L = 1, S = 2 }
-- KIND names a state's counters in {s:N}:counts ("avail:<tier>", ...).
local KIND = { A = "avail", L = "locked", S = "sold" }

-- now_ms is the Redis server's time in milliseconds.
local function now_ms()
    local t = redis.call("TIME")
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- pack_code writes code c for seat into the packed seat map packed, at the
-- seat's place in index. A session armed before there were packed maps has
-- no index and no map: nothing is written.
local function pack_code(index, packed, seat, c)
    local i = redis.call("HGET", index, seat)
    if i then
        redis.call("BITFIELD", packed, "SET", "u2", "#" .. i, c)
    end
end

-- pack writes seat's state into the packed seat map: its CODE, or 3 while
-- the seat is in conflict (kept out of sale).
local function pack(index, packed, conflict, seat, state)
    local c = CODE[state:sub(1, 1)]
    if redis.call("HEXISTS", conflict, seat) == 1 then c = 3 end
    pack_code(index, packed, seat, c)
end

-- recount moves one seat of tier from the counters of state from to those
-- of state to; "avail" counts the available seats of every tier.
local function recount(counts, tier, from, to)
    local a, b = KIND[from:sub(1, 1)], KIND[to:sub(1, 1)]
    if a == b then return end
    redis.call("HINCRBY", counts, a .. ":" .. tier, -1)
    redis.call("HINCRBY", counts, b .. ":" .. tier, 1)
    if a == "avail" then redis.call("HINCRBY", counts, "avail", -1) end
    if b == "avail" then redis.call("HINCRBY", counts, "avail", 1) end
end

-- flag_soldout sets or clears the sold-out flag soldout from the counters
-- and returns the number of seats available.
local function flag_soldout(counts, soldout)
    local avail = tonumber(redis.call("HGET", counts, "avail") or "0")
    if avail <= 0 then
        redis.call("SET", soldout, "1")
    else
        redis.call("DEL", soldout)
    end
    return avail
end
