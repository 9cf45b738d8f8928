-- Sets an armed session's sale state (ARMED, ON_SALE, CLOSED). Run by the
-- admin API's open and close (admin/sale.go). Writes "state" in
-- {s:N}:meta, read by hold.lua on every grab.
-- KEYS[1]: the session's meta hash. ARGV[1]: the new state.
-- Returns 0 if the session is not armed in this Redis, else 1.
if redis.call("EXISTS", KEYS[1]) == 0 then
    return 0
end
redis.call("HSET", KEYS[1], "state", ARGV[1])
return 1
