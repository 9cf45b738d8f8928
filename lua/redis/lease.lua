#!lua flags=allow-oom
-- Takes, renews or gives back a lease: a key whose value is the token of
-- the process that holds it (the timeouts daemon's per-session and global
-- leases). Only the holder renews or releases it. Run and read by
-- workers/timeouts (lease.go); writes only the lease key. allow-oom: a
-- full sale Redis (maxmemory, noeviction) still grants leases, so the
-- reconciler can trim settled sessions and free memory.
-- KEYS: 1 the lease.
-- ARGV: 1 the caller's token, 2 the time to live in ms, or "0" to release.
-- Returns 1 if the caller now holds the lease (or released its own), 0 if
-- another process holds it (or, on release, the caller did not).
local token, ttl = ARGV[1], tonumber(ARGV[2])
local holder = redis.call("GET", KEYS[1])
if ttl == 0 then
    if holder == token then
        redis.call("DEL", KEYS[1])
        return 1
    end
    return 0
end
if holder == token then
    redis.call("PEXPIRE", KEYS[1], ttl)
    return 1
end
if holder then
    return 0
end
redis.call("SET", KEYS[1], token, "PX", ttl)
return 1
