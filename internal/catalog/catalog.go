// Package catalog serves the public catalog reads (show list, show,
// session seat map) as rendered JSON bodies with their ETags, cache-aside
// over MySQL in the cache Redis (L3), and drops what an admin write changed.
//
// The caching levels, from the buyer inwards:
//
//   - L1, HTTP: the api sends Cache-Control: public, max-age=5 and a strong
//     ETag; a matching If-None-Match gets 304.
//   - L2, edge: nginx proxy_cache keyed by the catalog version that
//     Invalidate bumps in the cache Redis (EdgeVersionKey).
//   - L3, this package: the body and ETag of each object in the cache Redis
//     for Options.TTL; lists under a generation that Invalidate bumps.
//
// The JSON shapes (times are RFC 3339 in UTC):
//
//	GET /api/shows?q=&city=&page=&per_page=     web.List of ShowItem, newest first
//	  {"items":[{"id":1,"title":"...","artist":"...","poster_url":"...",
//	    "next_session":{"id":7,"starts_at":"...","city":"Shanghai"}}],   // or null
//	   "page":1,"per_page":20,"total":1}
//	GET /api/shows/{id}                          ShowDetail
//	  {"id":1,"title":"...","artist":"...","description":"...","poster_url":"...",
//	   "sessions":[{"id":7,"state":"ON_SALE","starts_at":"...","reserve_opens_at":"...",
//	     "reserve_closes_at":"...","sale_opens_at":"...","sale_closes_at":"...","seat_limit":4,
//	     "venue":{"id":3,"name":"...","city":"...","address":"..."},
//	     "price_tiers":[{"code":"VIP","name":"VIP","price_cents":128000}]}]}
//	GET /api/sessions/{id}                       SessionMap
//	  {"id":7,"show_id":1,"starts_at":"...","venue":{...},"price_tiers":[...],
//	   "seats":[{"id":101,"section":"A","row":"1","number":1,"x":10,"y":20,"tier":"VIP"}]}
//
// The seat map is geometry only: live seat states come from the sale domain.
package catalog

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// Cache-Redis keys. EdgeVersionKey is read by the edge too
// (lua/boxoffice/catalog_edge.lua); keep the two in step.
const (
	EdgeVersionKey = "catalog:edge:version"
	listGenKey     = "catalog:shows:gen"
	keyPrefix      = "catalog:"
)

// Options tune the cache; zero fields take the defaults.
type Options struct {
	TTL         time.Duration // lifetime of a cached body (default 5m)
	NotFoundTTL time.Duration // lifetime of a cached "not found" (default 30s)
	LoadTimeout time.Duration // one MySQL load, all its queries (default 3s)
	Redelete    time.Duration // delay of Invalidate's second pass (default 500ms)
	RedisProbe  time.Duration // how often to ping a cache Redis that failed (default 1s)
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.TTL, 5*time.Minute)
	def(&o.NotFoundTTL, 30*time.Second)
	def(&o.LoadTimeout, 2*time.Second)
	def(&o.Redelete, 500*time.Millisecond)
	def(&o.RedisProbe, time.Second)
	return o
}

// Cache serves the public catalog reads through the cache Redis and drops
// entries on Invalidate. It is safe for concurrent use.
type Cache struct {
	log     *slog.Logger
	db      *sqlx.DB
	rdb     goredis.UniversalClient
	opts    Options
	metrics *metrics
	flights singleflight.Group

	// Cache-Redis health (health.go): while redisDown, reads skip it and a
	// prober waits for it to answer, then applies the missed invalidations.
	redisDown atomic.Bool
	mu        sync.Mutex // guards redisDown's transitions and missed
	missed    missedChanges

	bg        sync.WaitGroup // the prober and Invalidate's second passes
	done      chan struct{}  // closed by Close
	closeOnce sync.Once
}

// New returns a Cache over db and the cache Redis rdb; its metrics are
// registered on reg (a fresh registry when nil).
func New(log *slog.Logger, db *sqlx.DB, rdb goredis.UniversalClient, reg prometheus.Registerer, opts Options) *Cache {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	return &Cache{log: log, db: db, rdb: rdb, opts: opts.withDefaults(), metrics: newMetrics(reg),
		done: make(chan struct{})}
}

// Close stops the background work: pending second passes of Invalidate run
// at once, the prober stops. Call it before closing the Redis client.
func (c *Cache) Close() {
	c.closeOnce.Do(func() { close(c.done) })
	c.bg.Wait()
}
