package catalog

import (
	"context"
	"slices"
	"time"

	"boxoffice/internal/boxoffice"
)

// missedChanges are invalidations that could not reach the cache Redis.
type missedChanges struct {
	any     bool
	showIDs []int64
	sessIDs []int64
}

// redisUp reports whether the cache Redis is worth asking.
func (c *Cache) redisUp() bool { return !c.redisDown.Load() }

// redisFailed notes a failed cache Redis call of a read. A cancelled
// request says nothing about Redis.
func (c *Cache) redisFailed(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	c.metrics.redisErrors.Inc()
	c.markDown(err)
}

// invalidationFailed keeps change for the prober to apply on recovery.
func (c *Cache) invalidationFailed(change boxoffice.CatalogChange, err error) {
	c.remember(change)
	c.markDown(err)
}

func (c *Cache) remember(change boxoffice.CatalogChange) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.missed.any = true
	c.missed.showIDs = append(c.missed.showIDs, change.ShowIDs...)
	c.missed.sessIDs = append(c.missed.sessIDs, change.SessionIDs...)
}

// markDown makes reads skip the cache Redis and starts the prober, once per
// outage. The first failure of an outage is logged; reads go to MySQL.
func (c *Cache) markDown(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.redisDown.Load() {
		return
	}
	c.redisDown.Store(true)
	select {
	case <-c.done: // closed: no more reads to serve, no prober
		return
	default:
	}
	c.log.Warn("cache Redis unavailable; reading the catalog from MySQL until it answers", "err", err)
	c.bg.Add(1)
	go c.probe()
}

// probe pings the cache Redis every Options.RedisProbe until it answers and
// the missed invalidations are applied, or Close.
func (c *Cache) probe() {
	defer c.bg.Done()
	t := time.NewTicker(c.opts.RedisProbe)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		if c.recovered() {
			c.log.Info("cache Redis answers again; catalog reads use it")
			return
		}
	}
}

// recovered reports whether the cache Redis answers and every missed
// invalidation is applied; only then do reads use it again. Taking the
// last (empty) batch and marking Redis up happen under one lock, so a
// change that fails meanwhile starts a new outage instead of being lost.
func (c *Cache) recovered() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c.rdb.Ping(ctx).Err() != nil {
		return false
	}
	for {
		c.mu.Lock()
		missed := c.missed
		c.missed = missedChanges{}
		if !missed.any {
			c.redisDown.Store(false)
			c.mu.Unlock()
			return true
		}
		c.mu.Unlock()
		change := boxoffice.CatalogChange{ShowIDs: slices.Compact(slices.Sorted(slices.Values(missed.showIDs))),
			SessionIDs: slices.Compact(slices.Sorted(slices.Values(missed.sessIDs)))}
		if err := c.invalidate(ctx, change); err != nil {
			c.remember(change)
			return false
		}
	}
}
