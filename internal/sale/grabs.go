package sale

import (
	"context"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Grab counts: each edge node adds its grabs per session, second and
// outcome to {s:N}:grabs:<unix second> (HASH outcome → count) once a
// second, and the keys expire after five minutes. A second is complete once
// every node has flushed it, about two seconds after it ends.

// GrabSeries is a session's grabs per second by outcome: Counts[outcome][i]
// is the count of second From+i.
type GrabSeries struct {
	From   int64              `json:"from"`
	Counts map[string][]int64 `json:"counts"`
}

// GrabCounts reads the grabs of session id in the seconds from..to
// (inclusive) in one pipeline.
func GrabCounts(ctx context.Context, rdb goredis.UniversalClient, id int64, from, to time.Time) (*GrabSeries, error) {
	k := KeysFor(id)
	first, last := from.Unix(), to.Unix()
	pipe := rdb.Pipeline()
	secs := make([]*goredis.MapStringStringCmd, 0, last-first+1)
	for s := first; s <= last; s++ {
		secs = append(secs, pipe.HGetAll(ctx, k.Grabs(s)))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, unavailable(err)
	}
	out := &GrabSeries{From: first, Counts: map[string][]int64{}}
	for i, cmd := range secs {
		for outcome, v := range cmd.Val() {
			series := out.Counts[outcome]
			if series == nil {
				series = make([]int64, len(secs))
				out.Counts[outcome] = series
			}
			series[i], _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return out, nil
}

// HoldsMade returns how many holds session id has had since it was armed
// first (the hold script's sequence).
func HoldsMade(ctx context.Context, rdb goredis.UniversalClient, id int64) (int64, error) {
	n, err := rdb.Get(ctx, KeysFor(id).Key("seq")).Int64()
	if err == goredis.Nil {
		return 0, nil
	}
	if err != nil {
		return 0, unavailable(err)
	}
	return n, nil
}
