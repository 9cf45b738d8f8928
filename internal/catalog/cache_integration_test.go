//go:build integration

package catalog_test

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/catalog"
	"boxoffice/internal/testenv"
)

func TestHTTPCache(t *testing.T) {
	f := newFixture(t)
	for name, c := range map[string]*testenv.Client{"Edge": testenv.Edge(t), "API": apiClient(t)} {
		t.Run(name, func(t *testing.T) {
			for _, path := range []string{showPath(f.ShowID), sessionPath(f.Sessions[0]), "/api/shows?q=" + f.Tag} {
				r := c.Do(t, "GET", path, nil, nil)
				etag := r.Header.Get("ETag")
				if r.Status != 200 || len(etag) < 3 || etag[0] != '"' {
					t.Fatalf("GET %s = %d, ETag %q; want 200 with a strong ETag", path, r.Status, etag)
				}
				if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=5" {
					t.Errorf("GET %s: Cache-Control = %q, want public, max-age=5", path, cc)
				}
				r = c.Do(t, "GET", path, nil, http.Header{"If-None-Match": {etag}})
				if r.Status != http.StatusNotModified || len(r.Body) != 0 {
					t.Errorf("GET %s with If-None-Match = %d with %d bytes, want 304 and no body", path, r.Status, len(r.Body))
				}
				r = c.Do(t, "GET", path, nil, http.Header{"If-None-Match": {`"other"`}})
				if r.Status != 200 || len(r.Body) == 0 {
					t.Errorf("GET %s with another ETag = %d, want 200 with the body", path, r.Status)
				}
			}
		})
	}
}

func TestEdgeCache(t *testing.T) {
	f := newFixture(t)
	edge := testenv.Edge(t)
	cache, _ := newCache(t, catalog.Options{})
	db := openDB(t)
	read := func(t *testing.T, wantCache, wantTitle string) {
		t.Helper()
		r := edge.Do(t, "GET", showPath(f.ShowID), nil, nil)
		if r.Status != 200 || r.Header.Get("X-Cache") != wantCache || r.JSON["title"] != wantTitle {
			t.Fatalf("got %d X-Cache %q title %v, want 200 %s %q", r.Status, r.Header.Get("X-Cache"), r.JSON["title"], wantCache, wantTitle)
		}
	}
	t.Run("MissThenHit", func(t *testing.T) {
		read(t, "MISS", f.Title)
		read(t, "HIT", f.Title)
	})
	newTitle := f.Title + " (moved)"
	t.Run("StaleUntilInvalidated", func(t *testing.T) {
		insert(t, db, "UPDATE shows SET title = ? WHERE id = ?", newTitle, f.ShowID)
		read(t, "HIT", f.Title)
	})
	t.Run("FreshAfterInvalidate", func(t *testing.T) {
		if err := cache.Invalidate(context.Background(), boxoffice.CatalogChange{ShowIDs: []int64{f.ShowID}}); err != nil {
			t.Fatal(err)
		}
		read(t, "MISS", newTitle)
		read(t, "HIT", newTitle)
		r := apiClient(t).Do(t, "GET", showPath(f.ShowID), nil, nil)
		if r.JSON["title"] != newTitle {
			t.Errorf("api (L3) title = %v, want %q", r.JSON["title"], newTitle)
		}
	})
	t.Run("ListFreshAfterInvalidate", func(t *testing.T) {
		path := "/api/shows?q=" + f.Tag
		before := edge.Do(t, "GET", path, nil, nil)
		insert(t, db, "UPDATE shows SET artist = 'Someone Else' WHERE id = ?", f.ShowID)
		if err := cache.Invalidate(context.Background(), boxoffice.CatalogChange{ShowIDs: []int64{f.ShowID}}); err != nil {
			t.Fatal(err)
		}
		after := edge.Do(t, "GET", path, nil, nil)
		if bytes.Equal(before.Body, after.Body) || !bytes.Contains(after.Body, []byte("Someone Else")) {
			t.Errorf("list after invalidation = %s, want the new artist", after.Body)
		}
	})
	t.Run("NotFoundCachedBriefly", func(t *testing.T) {
		edge.Do(t, "GET", showPath(f.DraftShow), nil, nil).WantError(t, 404, "not_found")
		r := edge.Do(t, "GET", showPath(f.DraftShow), nil, nil)
		if r.Status != 404 || r.Header.Get("X-Cache") != "HIT" {
			t.Errorf("second 404 = %d X-Cache %q, want a HIT", r.Status, r.Header.Get("X-Cache"))
		}
	})
	t.Run("PublishEndsCachedNotFound", func(t *testing.T) {
		edge.Do(t, "GET", sessionPath(f.DraftShowS), nil, nil).WantError(t, 404, "not_found")
		insert(t, db, "UPDATE shows SET status = 'published' WHERE id = ?", f.DraftShow)
		// Names the show only: the session's cached 404 must go all the same.
		if err := cache.Invalidate(context.Background(), boxoffice.CatalogChange{ShowIDs: []int64{f.DraftShow}}); err != nil {
			t.Fatal(err)
		}
		if r := edge.Do(t, "GET", sessionPath(f.DraftShowS), nil, nil); r.Status != 200 {
			t.Errorf("session of the newly published show = %d %s, want 200", r.Status, r.Body)
		}
	})
	t.Run("OnlyCatalogReads", func(t *testing.T) {
		for _, path := range []string{"/api/shows/" + "1/extra", "/api/sale/sessions/1/seats", "/api/me/orders",
			"/api/orders/x", "/api/auth/login", "/admin/api/shows"} {
			if r := edge.Do(t, "GET", path, nil, nil); r.Header.Get("X-Cache") != "" {
				t.Errorf("GET %s: X-Cache %q, want no edge caching", path, r.Header.Get("X-Cache"))
			}
		}
		if r := edge.Do(t, "GET", "/api/shows?page=0", nil, nil); r.Header.Get("X-Cache") != "MISS" {
			t.Fatalf("X-Cache = %q", r.Header.Get("X-Cache"))
		}
		if r := edge.Do(t, "GET", "/api/shows?page=0", nil, nil); r.Header.Get("X-Cache") == "HIT" {
			t.Errorf("a 400 was cached")
		}
	})
}

// stampede sends n concurrent GETs of path and fails unless all are 200
// with one body.
func stampede(t *testing.T, c *testenv.Client, path string, n int) {
	t.Helper()
	c.HTTP = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	defer c.HTTP.CloseIdleConnections()
	start := make(chan struct{})
	bodies := make([][]byte, n)
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest("GET", c.Base+path, nil)
			resp, err := c.HTTP.Do(req)
			if err != nil {
				t.Errorf("GET %s: %v", path, err)
				return
			}
			defer resp.Body.Close()
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(resp.Body)
			statuses[i], bodies[i] = resp.StatusCode, buf.Bytes()
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if statuses[i] != 200 || !bytes.Equal(bodies[i], bodies[0]) {
			t.Fatalf("request %d: %d %s, want 200 with the body of the others", i, statuses[i], bodies[i])
		}
	}
}

func TestStampede(t *testing.T) {
	const n = 500
	const loads = `boxoffice_catalog_mysql_loads_total{kind="show"}`
	for name, c := range map[string]*testenv.Client{"Edge": testenv.Edge(t), "API": apiClient(t)} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			before := testenv.APIMetric(t, loads)
			stampede(t, c, showPath(f.ShowID), n)
			if got := testenv.APIMetric(t, loads) - before; got != 1 {
				t.Errorf("%d cold reads caused %v MySQL loads, want 1", n, got)
			}
			t.Logf("%d concurrent cold reads through %s: %v MySQL load(s)", n, name, testenv.APIMetric(t, loads)-before)
		})
	}
	t.Run("InProcess", func(t *testing.T) {
		f := newFixture(t)
		cache, reg := newCache(t, catalog.Options{})
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := cache.Show(context.Background(), f.ShowID); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if got := regMetric(t, reg, "boxoffice_catalog_mysql_loads_total", "show"); got != 1 {
			t.Errorf("%d concurrent cold reads caused %v MySQL loads, want 1", n, got)
		}
		hits := regMetric(t, reg, "boxoffice_catalog_cache_hits_total", "show")
		misses := regMetric(t, reg, "boxoffice_catalog_cache_misses_total", "show")
		if hits+misses != n || misses < 1 {
			t.Errorf("hits %v + misses %v, want %d with at least one miss", hits, misses, n)
		}
	})
}
