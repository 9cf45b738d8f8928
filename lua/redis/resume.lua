-- Ends a session's repair after a sale-Redis loss (boxoffice sale
-- recovery): its change sequence is raised past what MySQL has applied,
-- so the next check finds it whole, and grabs resume (hold.lua and the
-- edge's salestate.lua read meta "recovering"; hold.lua meta "verified",
-- set to the run id of the server checked). Run by internal/sale
-- (recover.go). No event.
-- KEYS: 1 meta, 2 eventseq. ARGV: 1 MySQL's applied sequence, 2 the
-- server's run id, read before the check.
-- Returns the session's sequence.
local seq = math.max(tonumber(redis.call("GET", KEYS[2]) or "0"), tonumber(ARGV[1]))
redis.call("SET", KEYS[2], seq)
redis.call("HDEL", KEYS[1], "recovering")
redis.call("HSET", KEYS[1], "verified", ARGV[2])
return seq
