package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/web"
)

// Kinds of catalog reads, as metric labels.
const (
	kindShow    = "show"
	kindShows   = "shows"
	kindSession = "session"
)

// Entry is a rendered catalog read: its JSON body and strong ETag.
type Entry struct {
	Body []byte
	ETag string
}

// Show returns the published show with its public sessions. Errors:
// ENOTFOUND, EUNAVAILABLE (MySQL down and the show not cached).
func (c *Cache) Show(ctx context.Context, id int64) (Entry, error) {
	return c.read(ctx, kindShow, showKey(id), true, func(ctx context.Context, tx *sqlx.Tx) (any, error) {
		return loadShow(ctx, tx, id)
	})
}

// Session returns the seat-map geometry of a public session. Errors:
// ENOTFOUND, EUNAVAILABLE.
func (c *Cache) Session(ctx context.Context, id int64) (Entry, error) {
	return c.read(ctx, kindSession, sessionKey(id), true, func(ctx context.Context, tx *sqlx.Tx) (any, error) {
		return loadSession(ctx, tx, id)
	})
}

// Shows returns one page of published shows. Errors: EINVALID (q or city
// too long, bad page), EUNAVAILABLE.
func (c *Cache) Shows(ctx context.Context, q ShowsQuery) (Entry, error) {
	q, err := q.normalize()
	if err != nil {
		return Entry{}, err
	}
	gen, ok := c.listGen(ctx)
	return c.read(ctx, kindShows, listKey(gen, q), ok, func(ctx context.Context, tx *sqlx.Tx) (any, error) {
		return loadShows(ctx, tx, q)
	})
}

func showKey(id int64) string    { return keyPrefix + "show:" + strconv.FormatInt(id, 10) }
func sessionKey(id int64) string { return keyPrefix + "session:" + strconv.FormatInt(id, 10) }

// listKey names a normalized list query under a list generation.
func listKey(gen string, q ShowsQuery) string {
	sum := sha256.Sum256([]byte(q.Q + "\x00" + q.City + "\x00" + strconv.Itoa(q.Page) + "\x00" + strconv.Itoa(q.PerPage)))
	return keyPrefix + "shows:" + gen + ":" + hex.EncodeToString(sum[:16])
}

// listGen returns the current list generation; ok is false when the cache
// Redis cannot say, and then lists must bypass it.
func (c *Cache) listGen(ctx context.Context) (gen string, ok bool) {
	if !c.redisUp() {
		return "", false
	}
	gen, err := c.rdb.Get(ctx, listGenKey).Result()
	switch {
	case errors.Is(err, goredis.Nil):
		return "0", true
	case err != nil:
		c.redisFailed(ctx, err)
		return "", false
	}
	return gen, true
}

type loader func(ctx context.Context, tx *sqlx.Tx) (any, error)

// read is cache-aside with one MySQL load per key per process at a time:
// concurrent misses of one key share a single flight. With cached false
// (the cache Redis cannot be used for this key) it only shares flights.
func (c *Cache) read(ctx context.Context, kind, key string, cached bool, load loader) (Entry, error) {
	if cached {
		if e, _, hit := c.lookup(ctx, key); hit {
			c.metrics.hits.WithLabelValues(kind).Inc()
			return e.result()
		}
	}
	c.metrics.misses.WithLabelValues(kind).Inc()
	flight := key
	if !cached {
		flight = "direct " + key
	}
	ch := c.flights.DoChan(flight, func() (any, error) { return c.fill(ctx, kind, key, cached, load) })
	select {
	case r := <-ch:
		if r.Err != nil {
			return Entry{}, r.Err
		}
		return r.Val.(entry).result()
	case <-ctx.Done():
		return Entry{}, boxoffice.Errorf(boxoffice.EUNAVAILABLE, "the catalog read was cancelled")
	}
}

// fill loads key from MySQL and stores it. It runs detached from the
// request that started it: the other callers of the flight wait for it too.
func (c *Cache) fill(ctx context.Context, kind, key string, cached bool, load loader) (entry, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.LoadTimeout)
	defer cancel()
	gen := "" // the list generation before the load: a "not found" is valid under it only
	if cached {
		// A flight that ended between our lookup and this one stored the key.
		var e entry
		var hit bool
		if e, gen, hit = c.lookup(ctx, key); hit {
			return e, nil
		}
	}
	c.metrics.loads.WithLabelValues(kind).Inc()
	body, err := c.snapshot(ctx, func(tx *sqlx.Tx) (any, error) { return load(ctx, tx) })
	e, ttl := entry{Entry: Entry{Body: body, ETag: web.ETag(body)}}, c.opts.TTL
	if err != nil {
		var be *boxoffice.Error
		if !errors.As(err, &be) || be.Code != boxoffice.ENOTFOUND {
			c.log.Error("catalog load failed", "kind", kind, "key", key, "err", err)
			return entry{}, boxoffice.Errorf(boxoffice.EUNAVAILABLE, "the catalog is unavailable; try again shortly")
		}
		e, ttl = entry{notFound: be.Message, gen: gen}, c.opts.NotFoundTTL
	}
	if cached && gen != "" {
		c.store(ctx, key, e, ttl)
	}
	return e, nil
}

// lookup reads key and the list generation from the cache Redis in one
// round trip; hit is false on a miss or when the cache Redis is down (then
// gen is ""). A "not found" counts only under the generation it was stored
// with: every Invalidate bumps it, so a write never leaves a 404 behind,
// whichever ids it names.
func (c *Cache) lookup(ctx context.Context, key string) (e entry, gen string, hit bool) {
	if !c.redisUp() {
		return entry{}, "", false
	}
	vals, err := c.rdb.MGet(ctx, key, listGenKey).Result()
	if err != nil {
		c.redisFailed(ctx, err)
		return entry{}, "", false
	}
	gen = "0"
	if g, ok := vals[1].(string); ok {
		gen = g
	}
	s, ok := vals[0].(string)
	if !ok {
		return entry{}, gen, false
	}
	e, ok = decode(s)
	if !ok || (e.notFound != "" && e.gen != gen) {
		return entry{}, gen, false
	}
	return e, gen, true
}

func (c *Cache) store(ctx context.Context, key string, e entry, ttl time.Duration) {
	if !c.redisUp() {
		return
	}
	if err := c.rdb.Set(ctx, key, e.encode(), ttl).Err(); err != nil {
		c.redisFailed(ctx, err)
	}
}

// entry is what the cache Redis holds under a key: "=" ETag "\n" body, or
// "!" generation "\n" the not-found message.
type entry struct {
	Entry
	notFound string
	gen      string // of a not-found
}

func (e entry) encode() string {
	if e.notFound != "" {
		return "!" + e.gen + "\n" + e.notFound
	}
	return "=" + e.ETag + "\n" + string(e.Body)
}

func decode(s string) (entry, bool) {
	switch {
	case strings.HasPrefix(s, "!"):
		gen, msg, ok := strings.Cut(s[1:], "\n")
		return entry{notFound: msg, gen: gen}, ok && gen != "" && msg != ""
	case strings.HasPrefix(s, "="):
		etag, body, ok := strings.Cut(s[1:], "\n")
		return entry{Entry: Entry{Body: []byte(body), ETag: etag}}, ok && etag != ""
	}
	return entry{}, false
}

func (e entry) result() (Entry, error) {
	if e.notFound != "" {
		return Entry{}, boxoffice.Errorf(boxoffice.ENOTFOUND, "%s", e.notFound)
	}
	return e.Entry, nil
}
