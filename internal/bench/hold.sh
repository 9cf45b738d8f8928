#!/bin/sh
# Calls per second of lua/redis/hold.lua (EVALSHA) on a prepared session,
# with appendfsync everysec and always: make bench-hold. Each call grabs a
# random one of 100,000 seats for a random buyer, so the run mixes holds
# (201) and conflicts (409). Runs its own Redis on BENCH_PORT (20599).
set -eu
port=${BENCH_PORT:-20599}
dir=$(mktemp -d)
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly yes --daemonize yes \
  --logfile "$dir/redis.log" >/dev/null
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
# The script's text as the edge sends it: the scripts' prelude, then hold.lua.
scripts="$(dirname "$0")/../../lua/redis"
sha=$(redis-cli -p "$port" script load "$(cat "$scripts/prelude.lua" "$scripts/hold.lua")")
run=$(redis-cli -p "$port" info server | sed -n 's/^run_id:\([0-9a-f]*\).*/\1/p')
# Keys of hold.lua; __rand_int__ is a 12-digit number, so seat and buyer
# ids are prepared in that shape.
keys='{s:1}:meta {s:1}:seats {s:1}:price {s:1}:tier {s:1}:counts {s:1}:soldout {s:1}:reserved {s:1}:held {s:1}:holds {s:1}:expiry {s:1}:outbox {s:1}:seq {s:1}:conflict {s:1}:eventseq {s:1}:index {s:1}:packed'
for fsync in everysec always; do
  redis-cli -p "$port" flushall >/dev/null
  redis-cli -p "$port" eval "
    redis.call('HSET', '{s:1}:meta', 'state', 'ON_SALE', 'opens_at', 0, 'closes_at', 9e15, 'limit', 1000000, 'hold_ms', 600000,
      'verified', ARGV[1])
    redis.call('HSET', '{s:1}:counts', 'avail', 100000, 'avail:A', 100000)
    for i = 0, 99999 do
      local id = string.format('%012d', i)
      redis.call('HSET', '{s:1}:seats', id, 'A')
      redis.call('HSET', '{s:1}:price', id, 5000)
      redis.call('HSET', '{s:1}:tier', id, 'A')
      redis.call('HSET', '{s:1}:index', id, i)
      redis.call('SADD', '{s:1}:reserved', id)
    end" 0 "$run" >/dev/null
  redis-cli -p "$port" config set appendfsync "$fsync" >/dev/null
  printf 'appendfsync %s: ' "$fsync"
  # shellcheck disable=SC2086
  redis-benchmark -p "$port" -n "${BENCH_N:-200000}" -c 50 -r 100000 -q \
    evalsha "$sha" 17 $keys '{s:1}:idem:__rand_int__' 1 __rand_int__ __rand_int__ "$run" __rand_int__ | tr '\r' '\n' | tail -1 | sed 's/.*: //'
  redis-cli -p "$port" hget '{s:1}:counts' avail | sed 's/^/  seats left of 100000: /'
done
