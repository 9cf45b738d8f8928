package daemon

import (
	"context"
	"log/slog"
	"time"
)

// logEvery is how many failures pass between two warnings of one retry.
const logEvery = 20

// Backoff paces the retries of work that fails for a while (a dependency
// that is down): the wait after failure n (from 1) is First doubled n-1
// times, at most Max.
type Backoff struct {
	First, Max time.Duration
	Log        *slog.Logger
}

// Wait is the pause after failure n (from 1).
func (b Backoff) Wait(n int) time.Duration {
	d := b.First
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Failed records failure n (from 1) of what: it logs the first failure and
// every 20th after it, with args, then waits Wait(n). It reports false if
// ctx ended meanwhile.
func (b Backoff) Failed(ctx context.Context, n int, what string, err error, args ...any) bool {
	if n == 1 || n%logEvery == 0 {
		b.Log.Warn(what, append(args, "err", err, "failures", n)...)
	}
	return Sleep(ctx, b.Wait(n))
}
