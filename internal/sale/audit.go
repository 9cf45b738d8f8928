package sale

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	goredis "github.com/redis/go-redis/v9"
)

// Audit recounts a session's seats by state and tier and compares the
// result with its counters; it returns one line per mismatch (none when
// consistent). It reads the whole seat map: for tests and operators, not
// for the hot path.
func Audit(ctx context.Context, rdb goredis.UniversalClient, sid int64) ([]string, error) {
	k := KeysFor(sid)
	pipe := rdb.Pipeline()
	seats := pipe.HGetAll(ctx, k.Key("seats"))
	tiers := pipe.HGetAll(ctx, k.Key("tier"))
	counts := pipe.HGetAll(ctx, k.Key("counts"))
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, unavailable(err)
	}
	want := map[string]int64{"avail": 0}
	for seat, state := range seats.Val() {
		kind := kindOf(state)
		want[kind+":"+tiers.Val()[seat]]++
		if kind == "avail" {
			want["avail"]++
		}
	}
	var problems []string
	for field, got := range counts.Val() {
		n, _ := strconv.ParseInt(got, 10, 64)
		if n != want[field] {
			problems = append(problems, fmt.Sprintf("counts[%s] = %d, seats say %d", field, n, want[field]))
		}
		delete(want, field)
	}
	for field, n := range want {
		if n != 0 {
			problems = append(problems, fmt.Sprintf("counts[%s] missing, seats say %d", field, n))
		}
	}
	sort.Strings(problems)
	return problems, nil
}
