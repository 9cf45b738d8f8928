//go:build integration

package catalog_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/catalog"
	"boxoffice/internal/testenv"
)

// TestCacheRedisUnreachable points a Cache of its own at a port where no
// Redis listens: reads come from MySQL, Invalidate reports the error.
func TestCacheRedisUnreachable(t *testing.T) {
	f := newFixture(t)
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	reg := prometheus.NewRegistry()
	cache := catalog.New(slog.New(slog.DiscardHandler), openDB(t), rdb, reg, catalog.Options{})
	defer cache.Close()
	ctx := context.Background()
	for range 3 {
		if _, err := cache.Show(ctx, f.ShowID); err != nil {
			t.Fatalf("Show: %v", err)
		}
		if _, err := cache.Shows(ctx, catalog.ShowsQuery{Q: f.Tag, Page: 1, PerPage: 20}); err != nil {
			t.Fatalf("Shows: %v", err)
		}
	}
	if _, err := cache.Session(ctx, f.Sessions[2]); boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
		t.Errorf("Session(DRAFT) = %v, want not_found", err)
	}
	if got := regMetric(t, reg, "boxoffice_catalog_mysql_loads_total", "show"); got != 3 {
		t.Errorf("MySQL loads = %v, want 3 (nothing can be cached)", got)
	}
	if err := cache.Invalidate(ctx, boxoffice.CatalogChange{ShowIDs: []int64{f.ShowID}}); err == nil {
		t.Error("Invalidate without Redis = nil, want an error")
	}
}

// TestCacheRedisDown stops the test stack's cache Redis for a moment: the
// api reads MySQL and the edge keeps its last catalog version. The stack is
// shared, so the outage is kept short and undone in Cleanup.
func TestCacheRedisDown(t *testing.T) {
	f := newFixture(t)
	edge, api := testenv.Edge(t), apiClient(t)
	if r := edge.Do(t, "GET", showPath(f.ShowID), nil, nil); r.Status != 200 {
		t.Fatalf("warm-up read = %d %s", r.Status, r.Body)
	}
	if out, err := testenv.Run(t, "dev", "stop", "cache-redis"); err != nil {
		t.Fatalf("dev stop cache-redis: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := testenv.Run(t, "dev", "up"); err != nil {
			t.Errorf("dev up (restoring the cache Redis): %v\n%s", err, out)
		}
	})
	paths := []string{showPath(f.ShowID), sessionPath(f.Sessions[0]), "/api/shows?city=" + url.QueryEscape(f.City)}
	for name, c := range map[string]*testenv.Client{"Edge": edge, "API": api} {
		t.Run(name, func(t *testing.T) {
			for _, path := range paths {
				start := time.Now()
				r := c.Do(t, "GET", path, nil, nil)
				if r.Status != 200 {
					t.Errorf("GET %s = %d %s, want 200 from MySQL", path, r.Status, r.Body)
				}
				if d := time.Since(start); d > time.Second {
					t.Errorf("GET %s took %s, want well under a second", path, d)
				}
			}
		})
	}
}

// TestCacheRedisRecovery cuts a Cache of its own off the cache Redis
// (through a proxy, so the data survives the outage): an invalidation that
// failed meanwhile is applied before reads use the cache Redis again.
func TestCacheRedisRecovery(t *testing.T) {
	f := newFixture(t)
	proxy := newCutProxy(t, testenv.Config(t).CacheRedisAddr)
	rdb := goredis.NewClient(&goredis.Options{Addr: proxy.addr, DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 200 * time.Millisecond, MaxRetries: -1, DialerRetries: 1})
	defer rdb.Close()
	reg := prometheus.NewRegistry()
	cache := catalog.New(slog.New(slog.DiscardHandler), openDB(t), rdb, reg,
		catalog.Options{RedisProbe: 100 * time.Millisecond})
	defer cache.Close()
	ctx := context.Background()
	title := func(t *testing.T) string {
		t.Helper()
		e, err := cache.Show(ctx, f.ShowID)
		if err != nil {
			t.Fatalf("Show: %v", err)
		}
		var d catalog.ShowDetail
		if err := json.Unmarshal(e.Body, &d); err != nil {
			t.Fatal(err)
		}
		return d.Title
	}
	title(t) // cached in L3
	proxy.cut(true)
	newTitle := f.Title + " (renamed while Redis was away)"
	insert(t, openDB(t), "UPDATE shows SET title = ? WHERE id = ?", newTitle, f.ShowID)
	if err := cache.Invalidate(ctx, boxoffice.CatalogChange{ShowIDs: []int64{f.ShowID}}); err == nil {
		t.Fatal("Invalidate through a cut proxy = nil, want an error")
	}
	if got := title(t); got != newTitle {
		t.Errorf("during the outage: title %q, want %q from MySQL", got, newTitle)
	}
	proxy.cut(false)
	deadline := time.Now().Add(testenv.Settle)
	for regMetric(t, reg, "boxoffice_catalog_cache_hits_total", "show") == 0 && time.Now().Before(deadline) {
		if got := title(t); got != newTitle {
			t.Fatalf("after the outage: title %q, want %q (the missed invalidation applied)", got, newTitle)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if regMetric(t, reg, "boxoffice_catalog_cache_hits_total", "show") == 0 {
		t.Fatal("reads never used the cache Redis again")
	}
}

// cutProxy forwards TCP to a target until cut.
type cutProxy struct {
	addr   string
	target string
	mu     sync.Mutex
	isCut  bool
	conns  []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{addr: ln.Addr().String(), target: target}
	t.Cleanup(func() { ln.Close(); p.cut(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *cutProxy) serve(c net.Conn) {
	p.mu.Lock()
	if p.isCut {
		p.mu.Unlock()
		c.Close()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns = append(p.conns, c, up)
	p.mu.Unlock()
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
	c.Close()
}

// cut drops every connection and refuses new ones, or lets them through.
func (p *cutProxy) cut(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.isCut = on
	if on {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}
