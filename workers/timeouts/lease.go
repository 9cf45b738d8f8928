package timeouts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/lua"
)

var leaseScript = lua.Script("lease")

// leases takes leases in the sale Redis as one process: its token marks
// the leases it holds, so it renews and releases only its own.
type leases struct {
	rdb   goredis.UniversalClient
	token string
}

func newLeases(rdb goredis.UniversalClient) *leases {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	host, _ := os.Hostname()
	return &leases{rdb: rdb, token: fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))}
}

// lease is one lease this process holds.
type lease struct {
	ls      *leases
	key     string
	ttl     time.Duration
	renewed time.Time
}

// take takes (or renews) the lease key for ttl; ok is false when another
// process holds it.
func (ls *leases) take(ctx context.Context, key string, ttl time.Duration) (*lease, bool, error) {
	n, err := leaseScript.Run(ctx, ls.rdb, []string{key}, ls.token, ttl.Milliseconds()).Int()
	if err != nil {
		return nil, false, fmt.Errorf("take lease %s: %w", key, err)
	}
	return &lease{ls: ls, key: key, ttl: ttl, renewed: time.Now()}, n == 1, nil
}

// keep renews the lease once a third of its time to live has passed, and
// reports whether this process still holds it.
func (l *lease) keep(ctx context.Context) bool {
	if time.Since(l.renewed) < l.ttl/3 {
		return true
	}
	_, ok, err := l.ls.take(ctx, l.key, l.ttl)
	if err == nil && ok {
		l.renewed = time.Now()
	}
	return err == nil && ok
}

// release gives the lease back if this process still holds it. It runs
// even when the work's context has ended (shutdown).
func (l *lease) release() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = leaseScript.Run(ctx, l.ls.rdb, []string{l.key}, l.ls.token, 0).Err()
}
