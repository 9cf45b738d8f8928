//go:build integration

package admin_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"boxoffice/admin"
	"boxoffice/internal/auth"
	"boxoffice/internal/boxoffice"
	"boxoffice/internal/testenv"
)

// recorder is an admin.Invalidator that keeps what it is told.
type recorder struct {
	mu      sync.Mutex
	changes []boxoffice.CatalogChange
	err     error
}

func (r *recorder) Invalidate(_ context.Context, ch boxoffice.CatalogChange) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, ch)
	return r.err
}

// take returns the changes since the last take, each sorted.
func (r *recorder) take() []boxoffice.CatalogChange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.changes
	r.changes = nil
	for _, ch := range out {
		slices.Sort(ch.ShowIDs)
		slices.Sort(ch.SessionIDs)
	}
	return out
}

// adminServer serves the admin API in-process with cache as its
// invalidator, and returns an admin client for it and the log it writes.
func adminServer(t *testing.T, cache admin.Invalidator) (*testenv.Client, *bytes.Buffer) {
	t.Helper()
	cfg := testenv.Config(t)
	var logs bytes.Buffer
	keys := auth.NewKeys(cfg)
	a := &admin.API{Log: slog.New(slog.NewJSONHandler(&logs, nil)), DB: testenv.DB(t), Keys: keys, Cache: cache}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	a.Mount(r.Group("/admin/api"))
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	token, _, err := keys.Sign(1, auth.RoleAdmin, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &testenv.Client{Base: srv.URL, Token: token, HTTP: srv.Client()}, &logs
}

// TestInvalidate checks each write names the shows and sessions whose
// public reads it changes.
func TestInvalidate(t *testing.T) {
	rec := &recorder{}
	c, _ := adminServer(t, rec)
	venue := newVenue(t, c)
	s1, s2 := newSession(t, c, venue), newSession(t, c, venue)
	sess1, show1 := num(t, s1, "id"), num(t, s1, "show_id")
	sess2, show2 := num(t, s2, "id"), num(t, s2, "show_id")
	rec.take()
	both := []boxoffice.CatalogChange{{ShowIDs: []int64{show1, show2}, SessionIDs: []int64{sess1, sess2}}}
	check := func(t *testing.T, want []boxoffice.CatalogChange) {
		t.Helper()
		if got := rec.take(); !reflect.DeepEqual(got, want) {
			t.Errorf("invalidated %+v, want %+v", got, want)
		}
	}

	t.Run("VenueUpdate", func(t *testing.T) {
		want(t, c.Do(t, "PUT", fmt.Sprintf("/admin/api/venues/%d", venue),
			map[string]string{"name": "Moved " + testenv.Unique(), "city": "Testville"}, ifMatch(1)), http.StatusOK)
		check(t, both)
	})
	t.Run("SeatMap", func(t *testing.T) {
		want(t, c.Do(t, "PUT", fmt.Sprintf("/admin/api/venues/%d/seats", venue), seatsCSV("A,1,1,0,0,A"), csvHeader(2)),
			http.StatusOK)
		check(t, both)
	})
	t.Run("ShowUpdate", func(t *testing.T) {
		want(t, c.Do(t, "PUT", fmt.Sprintf("/admin/api/shows/%d", show1),
			map[string]string{"title": "Renamed"}, ifMatch(1)), http.StatusOK)
		check(t, []boxoffice.CatalogChange{{ShowIDs: []int64{show1}, SessionIDs: []int64{sess1}}})
	})
	t.Run("SessionMovesShow", func(t *testing.T) {
		want(t, c.Do(t, "PUT", fmt.Sprintf("/admin/api/sessions/%d", sess1), sessionBody(show2, venue, jan2030), ifMatch(1)),
			http.StatusOK)
		check(t, []boxoffice.CatalogChange{{ShowIDs: []int64{show1, show2}, SessionIDs: []int64{sess1}}})
	})
	t.Run("Tiers", func(t *testing.T) {
		want(t, c.Do(t, "PUT", fmt.Sprintf("/admin/api/sessions/%d/tiers", sess2), map[string]any{"tiers": []map[string]any{
			{"code": "A", "name": "A", "price_cents": 100}}}, ifMatch(1)), http.StatusOK)
		check(t, []boxoffice.CatalogChange{{ShowIDs: []int64{show2}, SessionIDs: []int64{sess2}}})
	})
	t.Run("SessionDelete", func(t *testing.T) {
		want(t, c.Do(t, "DELETE", fmt.Sprintf("/admin/api/sessions/%d", sess2), nil, nil), http.StatusNoContent)
		check(t, []boxoffice.CatalogChange{{ShowIDs: []int64{show2}, SessionIDs: []int64{sess2}}})
	})
	t.Run("RefusedWriteInvalidatesNothing", func(t *testing.T) {
		c.Do(t, "DELETE", fmt.Sprintf("/admin/api/venues/%d", venue), nil, nil).WantError(t, http.StatusConflict, "conflict")
		check(t, nil)
	})
}

func TestInvalidateErrStillSucceeds(t *testing.T) {
	c, logs := adminServer(t, &recorder{err: errors.New("cache redis down")})
	show := newShow(t, c)
	r := want(t, c.Do(t, "PUT", fmt.Sprintf("/admin/api/shows/%d", show), map[string]string{"title": "Still saved"}, ifMatch(1)),
		http.StatusOK)
	if r.JSON["title"] != "Still saved" {
		t.Errorf("PUT = %s, want the new title", r.Body)
	}
	if !strings.Contains(logs.String(), "cache redis down") {
		t.Errorf("log = %q, want the invalidation error", logs.String())
	}
}
