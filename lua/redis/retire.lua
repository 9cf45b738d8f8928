#!lua flags=allow-oom
-- Marks a session whose sale is over, and whose every change MySQL has,
-- as trimmed: it is CLOSED, no hold waits in its expiry queue, its outbox
-- is drained (workers/relay deletes what Kafka has) and its change
-- sequence is at most the one MySQL applied. Run by internal/sale
-- (events.go, Retire) for workers/timeouts' reconciler, which then deletes
-- the session's hold and idempotency records. Writes "trimmed" (the
-- change sequence) in {s:N}:meta, read by the loss check and the repair,
-- which leave a trimmed session alone. allow-oom: a full sale Redis is
-- when trimming matters most.
-- KEYS: 1 meta, 2 expiry, 3 outbox, 4 eventseq.
-- ARGV: 1 the change sequence MySQL has applied.
-- Returns 1 if the session is (now) trimmed, 0 if not yet.
local seq = tonumber(redis.call("GET", KEYS[4]) or "0")
if redis.call("HGET", KEYS[1], "state") ~= "CLOSED" or redis.call("ZCARD", KEYS[2]) > 0
    or redis.call("XLEN", KEYS[3]) > 0 or seq > tonumber(ARGV[1]) then
    return 0
end
redis.call("HSET", KEYS[1], "trimmed", seq)
return 1
