// Package redis connects boxoffice to its two Redis instances: the sale Redis
// (seats, holds, outbox) and the cache Redis (catalog cache-aside).
package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/config"
)

// NewSale returns a client for the sale Redis. It does not dial.
func NewSale(c *config.Config) *goredis.Client {
	return newClient(c.SaleRedisAddr, c.SaleRedisPassword, c.DepTimeout)
}

// NewCache returns a client for the cache Redis. It does not dial.
func NewCache(c *config.Config) *goredis.Client {
	return newClient(c.CacheRedisAddr, c.CacheRedisPassword, c.DepTimeout)
}

// newClient fails fast: a Redis that is down costs at most the dial timeout.
func newClient(addr, password string, timeout time.Duration) *goredis.Client {
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
func Ping(rdb *goredis.Client) func(ctx context.Context) error {
	return func(ctx context.Context) error { return rdb.Ping(ctx).Err() }
}
