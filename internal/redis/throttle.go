package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
)

// Throttle counts failures per key in fixed windows and blocks a key that
// reached its limit until its window ends.
type Throttle struct {
	rdb    goredis.UniversalClient
	prefix string
	limit  int64
	window time.Duration
}

// NewThrottle allows limit failures per key per window.
func NewThrottle(rdb goredis.UniversalClient, prefix string, limit int64, window time.Duration) *Throttle {
	return &Throttle{rdb: rdb, prefix: prefix, limit: limit, window: window}
}

// Check returns ERATELIMITED (with retry_after seconds) if key is
// blocked, or EUNAVAILABLE if Redis does not answer: login fails closed.
func (t *Throttle) Check(ctx context.Context, key string) error {
	pipe := t.rdb.Pipeline()
	get := pipe.Get(ctx, t.prefix+key)
	ttl := pipe.PTTL(ctx, t.prefix+key)
	if _, err := pipe.Exec(ctx); err != nil && err != goredis.Nil {
		return unavailable(err)
	}
	if n, _ := get.Int64(); n >= t.limit {
		wait := int64(ttl.Val().Seconds()) + 1
		return boxoffice.Errorf(boxoffice.ERATELIMITED, "too many failed attempts; try again later").
			With("retry_after", wait)
	}
	return nil
}

// Fail records one failure against key.
func (t *Throttle) Fail(ctx context.Context, key string) error {
	pipe := t.rdb.Pipeline()
	pipe.Incr(ctx, t.prefix+key)
	pipe.ExpireNX(ctx, t.prefix+key, t.window)
	if _, err := pipe.Exec(ctx); err != nil {
		return unavailable(err)
	}
	return nil
}

// Reset forgets the failures of key (after a success).
func (t *Throttle) Reset(ctx context.Context, key string) error {
	if err := t.rdb.Del(ctx, t.prefix+key).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

func unavailable(err error) error {
	return &boxoffice.Error{Code: boxoffice.EUNAVAILABLE, Message: "cache Redis unavailable: " + err.Error()}
}

// LoginGuard throttles failed logins per account and, more loosely, per IP.
type LoginGuard struct {
	byAccount, byIP *Throttle
}

// NewLoginGuard allows 5 failures per account and 50 per IP in 15 minutes.
func NewLoginGuard(rdb goredis.UniversalClient, name string) *LoginGuard {
	return &LoginGuard{
		byAccount: NewThrottle(rdb, "throttle:"+name+":account:", 5, 15*time.Minute),
		byIP:      NewThrottle(rdb, "throttle:"+name+":ip:", 50, 15*time.Minute),
	}
}

// Check fails with ERATELIMITED if the account or the IP is blocked.
func (g *LoginGuard) Check(ctx context.Context, account, ip string) error {
	if err := g.byAccount.Check(ctx, account); err != nil {
		return err
	}
	return g.byIP.Check(ctx, ip)
}

// Fail records a failed login.
func (g *LoginGuard) Fail(ctx context.Context, account, ip string) error {
	if err := g.byAccount.Fail(ctx, account); err != nil {
		return err
	}
	return g.byIP.Fail(ctx, ip)
}

// Succeed clears the account's failures.
func (g *LoginGuard) Succeed(ctx context.Context, account string) error {
	return g.byAccount.Reset(ctx, account)
}
