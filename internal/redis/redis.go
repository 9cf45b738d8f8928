// Package redis connects boxoffice to its two Redis instances: the sale Redis
// (seats, holds, outbox) and the cache Redis (catalog cache-aside).
package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/config"
)

// NewSale returns a client for the sale Redis: a cluster client when
// BOXOFFICE_SALE_REDIS_CLUSTER names nodes. It does not dial.
func NewSale(c *config.Config) goredis.UniversalClient {
	if len(c.SaleRedisCluster) > 0 {
		return goredis.NewClusterClient(&goredis.ClusterOptions{
			Addrs:         c.SaleRedisCluster,
			Password:      c.SaleRedisPassword,
			DialTimeout:   c.DepTimeout,
			DialerRetries: 1,
			ReadTimeout:   2 * c.DepTimeout,
			WriteTimeout:  2 * c.DepTimeout,
			PoolTimeout:   2 * c.DepTimeout,
			// Enough to follow a MOVED and an ASK while a slot migrates.
			MaxRedirects: 3,
			MaxRetries:   1,
		})
	}
	return newClient(c.SaleRedisAddr, c.SaleRedisPassword, c.DepTimeout)
}

// ForEachMaster runs fn on every master of a cluster, or on rdb itself.
func ForEachMaster(ctx context.Context, rdb goredis.UniversalClient, fn func(ctx context.Context, node *goredis.Client) error) error {
	if cc, ok := rdb.(*goredis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, fn)
	}
	return fn(ctx, rdb.(*goredis.Client))
}

// NodeFor returns the server that holds key: its cluster master, or rdb itself.
func NodeFor(ctx context.Context, rdb goredis.UniversalClient, key string) (*goredis.Client, error) {
	if cc, ok := rdb.(*goredis.ClusterClient); ok {
		return cc.MasterForKey(ctx, key)
	}
	return rdb.(*goredis.Client), nil
}

// NewCache returns a client for the cache Redis. It does not dial.
func NewCache(c *config.Config) goredis.UniversalClient {
	return newClient(c.CacheRedisAddr, c.CacheRedisPassword, c.DepTimeout)
}

// newClient fails fast: a Redis that is down costs at most the dial timeout.
func newClient(addr, password string, timeout time.Duration) goredis.UniversalClient {
	return goredis.NewClient(&goredis.Options{
		Addr:        addr,
		Password:    password,
		DialTimeout: timeout,
		// One dial attempt per call: a Redis that is down fails fast.
		DialerRetries: 1,
		ReadTimeout:   2 * timeout,
		WriteTimeout:  2 * timeout,
		PoolTimeout:   2 * timeout,
		MaxRetries:    1,
	})
}

// Ping reports whether the Redis answers.
func Ping(rdb goredis.UniversalClient) func(ctx context.Context) error {
	return func(ctx context.Context) error { return rdb.Ping(ctx).Err() }
}
