package catalog

import (
	"context"
	"fmt"
	"github.com/jmoiron/sqlx"
	"time"

	"boxoffice/internal/boxoffice"
)

// Invalidate drops what an admin write changed; the admin API calls it
// after the write commits. It deletes the L3 entries of the named shows and
// sessions, starts a new list generation (every cached list is dropped) and
// bumps the edge version (every L2 entry is dropped), then does it all once
// more Options.Redelete later, in the background.
//
// change must name every show and session whose public read changed: a
// show's detail embeds its sessions, their venues and price tiers, and a
// session's seat map embeds its venue, seats and tiers. So a session or
// tier write names the session and its show; unpublishing a show names the
// show and its sessions; a venue or seat-map write names every session at
// the venue and their shows. Lists and cached "not found" answers are
// always dropped (they live under the generation this bumps), so a write
// that makes something public need not name what was not public before.
//
// The second pass closes most of cache-aside's read-old/write-new race: a
// reader that loaded the old rows before the commit but stored them after
// the first pass would keep them for the whole TTL, and an edge that read
// that entry would keep it under the new version. The window that remains:
// a load that read before the commit and stores more than Options.Redelete
// after Invalidate (a slow query, a long pause) leaves the old body in L3
// for up to Options.TTL, and in L2 for up to its TTL. If the cache Redis is
// down, nothing is dropped: Invalidate returns the error, L3 entries that
// survive the outage could be served again, so this process keeps the change
// and applies it when the cache Redis answers again, before its own reads
// use it (health.go); other api processes may serve such entries for up to
// Options.RedisProbe after the recovery, and a change is lost if this
// process stops first (then L3 keeps it for up to Options.TTL). Edges keep
// their last version meanwhile: stale for up to the L2 TTL.
func (c *Cache) Invalidate(ctx context.Context, change boxoffice.CatalogChange) error {
	c.metrics.invalidations.Inc()
	change = c.withSessionsOfShows(ctx, change)
	err := c.invalidate(ctx, change)
	if err != nil {
		c.invalidationFailed(change, err)
	}
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		select {
		case <-time.After(c.opts.Redelete):
		case <-c.done:
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := c.invalidate(ctx, change); err != nil {
			c.invalidationFailed(change, err)
		}
	}()
	return err
}

// withSessionsOfShows adds the sessions of each named show: a show's
// status shows through in its sessions' reads, so a show write drops them
// too without its caller having to know. If MySQL does not answer, the
// change stays as named (the L3 TTL bounds what it misses).
func (c *Cache) withSessionsOfShows(ctx context.Context, change boxoffice.CatalogChange) boxoffice.CatalogChange {
	if len(change.ShowIDs) == 0 {
		return change
	}
	q, args, err := sqlx.In(`SELECT id FROM sessions WHERE show_id IN (?)`, change.ShowIDs)
	var ids []int64
	if err == nil {
		err = c.db.SelectContext(ctx, &ids, q, args...)
	}
	if err != nil {
		c.log.Warn("sessions of changed shows", "shows", change.ShowIDs, "err", err)
		return change
	}
	change.SessionIDs = append(append([]int64(nil), change.SessionIDs...), ids...)
	return change
}

// invalidate is one pass, in one MULTI. The counters start from the clock
// when missing (a restarted or evicted Redis), so that a version never
// comes back to a value an edge cached under before.
func (c *Cache) invalidate(ctx context.Context, change boxoffice.CatalogChange) error {
	keys := make([]string, 0, len(change.ShowIDs)+len(change.SessionIDs))
	for _, id := range change.ShowIDs {
		keys = append(keys, showKey(id))
	}
	for _, id := range change.SessionIDs {
		keys = append(keys, sessionKey(id))
	}
	seed := time.Now().UnixMilli()
	pipe := c.rdb.TxPipeline()
	if len(keys) > 0 {
		pipe.Del(ctx, keys...)
	}
	for _, k := range []string{listGenKey, EdgeVersionKey} {
		pipe.SetNX(ctx, k, seed, 0)
		pipe.Incr(ctx, k)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		c.metrics.redisErrors.Inc()
		return fmt.Errorf("invalidate catalog cache %+v: %w", change, err)
	}
	return nil
}
