//go:build integration

package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"boxoffice/internal/testenv"
)

// TestFreshness checks an admin write shows in the public catalog read
// through the edge as soon as the write returns, though the edge (L2) and
// the cache Redis (L3) held the old answer.
func TestFreshness(t *testing.T) {
	db := testenv.DB(t)
	edge, admin := testenv.Edge(t), testenv.Admin(t)

	t.Run("ShowTitle", func(t *testing.T) {
		s := testenv.NewSession(t, db, testenv.SessionSpec{})
		path := fmt.Sprintf("/api/shows/%d", s.ShowID)
		warm(t, edge, path)
		title := "Renamed " + testenv.Unique()
		putShow(t, admin, s.ShowID, title, "published")
		r := edge.Do(t, "GET", path, nil, nil)
		if r.Status != http.StatusOK || r.JSON["title"] != title {
			t.Errorf("GET %s after the PUT = %d X-Cache %q title %v, want 200 with %q",
				path, r.Status, r.Header.Get("X-Cache"), r.JSON["title"], title)
		}
	})

	t.Run("PriceTier", func(t *testing.T) {
		s := testenv.NewSession(t, db, testenv.SessionSpec{Tiers: map[string]int64{"A": 10000, "B": 5000}})
		path := fmt.Sprintf("/api/shows/%d", s.ShowID)
		warm(t, edge, path)
		tiersPath := fmt.Sprintf("/admin/api/sessions/%d/tiers", s.ID)
		body := map[string]any{"tiers": []map[string]any{
			{"code": "A", "name": "Tier A", "price_cents": 12345},
			{"code": "B", "name": "Tier B", "price_cents": 5000},
		}}
		if r := admin.Do(t, "PUT", tiersPath, body, ifMatch(t, admin, tiersPath)); r.Status != http.StatusOK {
			t.Fatalf("PUT %s = %d %s", tiersPath, r.Status, r.Body)
		}
		r := edge.Do(t, "GET", path, nil, nil)
		if got := tierPrice(r, s.ID, "A"); r.Status != http.StatusOK || got != float64(12345) {
			t.Errorf("GET %s after the PUT = %d X-Cache %q, tier A of session %d costs %v, want 12345: %s",
				path, r.Status, r.Header.Get("X-Cache"), s.ID, got, r.Body)
		}
	})

	t.Run("Unpublish", func(t *testing.T) {
		s := testenv.NewSession(t, db, testenv.SessionSpec{})
		path := fmt.Sprintf("/api/sessions/%d", s.ID)
		warm(t, edge, path)
		putShow(t, admin, s.ShowID, fmt.Sprintf("t-unpublished-%d", s.ShowID), "draft")
		edge.Do(t, "GET", path, nil, nil).WantError(t, http.StatusNotFound, "not_found")
	})
}

// warm reads path through the edge twice and wants the second read to be
// an edge cache HIT, so the edge (L2) and the cache Redis (L3) both hold
// it. Any admin write elsewhere on the shared stack bumps the catalog
// version and makes that read a MISS, so the pair is tried a few times.
func warm(t *testing.T, c *testenv.Client, path string) {
	t.Helper()
	var cache string
	for range 5 {
		if r := c.Do(t, "GET", path, nil, nil); r.Status != http.StatusOK {
			t.Fatalf("GET %s = %d %s, want 200", path, r.Status, r.Body)
		}
		if cache = c.Do(t, "GET", path, nil, nil).Header.Get("X-Cache"); cache == "HIT" {
			return
		}
	}
	t.Fatalf("GET %s: second read X-Cache %q, want HIT", path, cache)
}

// ifMatch reads path as c and returns an If-Match header with its ETag.
func ifMatch(t *testing.T, c *testenv.Client, path string) http.Header {
	t.Helper()
	r := c.Do(t, "GET", path, nil, nil)
	if r.Status != http.StatusOK || r.Header.Get("ETag") == "" {
		t.Fatalf("GET %s = %d ETag %q, want 200 with an ETag", path, r.Status, r.Header.Get("ETag"))
	}
	return http.Header{"If-Match": {r.Header.Get("ETag")}}
}

// putShow replaces the show's title and status as the admin, at its
// current version, keeping its artist.
func putShow(t *testing.T, admin *testenv.Client, id int64, title, status string) {
	t.Helper()
	path := fmt.Sprintf("/admin/api/shows/%d", id)
	body := map[string]string{"title": title, "artist": "Test Artist", "status": status}
	if r := admin.Do(t, "PUT", path, body, ifMatch(t, admin, path)); r.Status != http.StatusOK || r.JSON["title"] != title {
		t.Fatalf("PUT %s = %d %s, want 200 with title %q", path, r.Status, r.Body, title)
	}
}

// tierPrice returns price_cents of the tier code of session sid in a
// public show read, or nil.
func tierPrice(r *testenv.Response, sid int64, code string) any {
	sessions, _ := r.JSON["sessions"].([]any)
	for _, s := range sessions {
		sm, _ := s.(map[string]any)
		if sm["id"] != float64(sid) {
			continue
		}
		tiers, _ := sm["price_tiers"].([]any)
		for _, tier := range tiers {
			if tm, _ := tier.(map[string]any); tm["code"] == code {
				return tm["price_cents"]
			}
		}
	}
	return nil
}
