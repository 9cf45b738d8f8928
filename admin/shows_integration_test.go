//go:build integration

package admin_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"boxoffice/internal/testenv"
)

func TestShows(t *testing.T) {
	c := testenv.Admin(t)
	title := "Night " + testenv.Unique()

	var id, version int64
	t.Run("OK", func(t *testing.T) {
		r := want(t, c.Do(t, "POST", "/admin/api/shows", map[string]string{"title": title, "artist": "Band",
			"description": "Loud.", "poster_url": "https://example.com/p.png"}, nil), http.StatusCreated)
		id, version = num(t, r, "id"), wantVersioned(t, r)
		if r.JSON["status"] != "draft" || r.Header.Get("Location") != fmt.Sprintf("/admin/api/shows/%d", id) {
			t.Errorf("created %s (Location %q), want a draft at /admin/api/shows/%d", r.Body, r.Header.Get("Location"), id)
		}
		r = want(t, c.Do(t, "PUT", fmt.Sprintf("/admin/api/shows/%d", id),
			map[string]string{"title": title, "status": "published"}, ifMatch(version)), http.StatusOK)
		version = wantVersioned(t, r)
		if r.JSON["status"] != "published" || r.JSON["description"] != "" || version != 2 {
			t.Errorf("PUT = %s, want published, description replaced by empty, version 2", r.Body)
		}
		// An omitted status stays as it is.
		r = want(t, c.Do(t, "PUT", fmt.Sprintf("/admin/api/shows/%d", id),
			map[string]string{"title": title, "artist": "Band 2"}, ifMatch(version)), http.StatusOK)
		version = wantVersioned(t, r)
		if r.JSON["status"] != "published" || r.JSON["artist"] != "Band 2" {
			t.Errorf("PUT = %s, want still published with the new artist", r.Body)
		}
		r = want(t, c.Do(t, "GET", fmt.Sprintf("/admin/api/shows/%d", id), nil, nil), http.StatusOK)
		if wantVersioned(t, r) != version {
			t.Errorf("GET = %s, want version %d", r.Body, version)
		}
	})
	t.Run("ErrPreconditionRequired", func(t *testing.T) {
		c.Do(t, "PUT", fmt.Sprintf("/admin/api/shows/%d", id), map[string]string{"title": title}, nil).
			WantError(t, http.StatusPreconditionRequired, "precondition_required")
	})
	t.Run("ErrStale", func(t *testing.T) {
		wantStale(t, c.Do(t, "PUT", fmt.Sprintf("/admin/api/shows/%d", id), map[string]string{"title": title}, ifMatch(1)), version)
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		for _, tc := range []struct {
			field string
			body  map[string]string
		}{
			{"title", map[string]string{"artist": "x"}},
			{"title", map[string]string{"title": strings.Repeat("t", 201)}},
			{"artist", map[string]string{"title": "x", "artist": strings.Repeat("a", 201)}},
			{"description", map[string]string{"title": "x", "description": strings.Repeat("d", 65536)}},
			{"poster_url", map[string]string{"title": "x", "poster_url": "ftp://example.com/p.png"}},
			{"poster_url", map[string]string{"title": "x", "poster_url": "/relative.png"}},
			{"status", map[string]string{"title": "x", "status": "live"}},
		} {
			r := c.Do(t, "POST", "/admin/api/shows", tc.body, nil)
			r.WantError(t, http.StatusBadRequest, "bad_request")
			wantMessage(t, r, tc.field)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		c.Do(t, "GET", "/admin/api/shows/999999999", nil, nil).WantError(t, http.StatusNotFound, "not_found")
		c.Do(t, "PUT", "/admin/api/shows/999999999", map[string]string{"title": "x"}, ifMatch(1)).
			WantError(t, http.StatusNotFound, "not_found")
		c.Do(t, "DELETE", "/admin/api/shows/999999999", nil, nil).WantError(t, http.StatusNotFound, "not_found")
	})
	t.Run("ErrReferenced", func(t *testing.T) {
		s := want(t, c.Do(t, "POST", "/admin/api/sessions", sessionBody(id, newVenue(t, c), jan2030), nil), http.StatusCreated)
		r := c.Do(t, "DELETE", fmt.Sprintf("/admin/api/shows/%d", id), nil, nil)
		r.WantError(t, http.StatusConflict, "conflict")
		wantMessage(t, r, fmt.Sprintf("show %d is used by 1 session", id))
		by, _ := r.JSON["referenced_by"].(map[string]any)
		if got := ids(by["sessions"]); !reflect.DeepEqual(got, []int64{num(t, s, "id")}) {
			t.Errorf("referenced_by.sessions = %v, want [%d]", got, num(t, s, "id"))
		}
	})
	t.Run("Delete", func(t *testing.T) {
		other := newShow(t, c)
		want(t, c.Do(t, "DELETE", fmt.Sprintf("/admin/api/shows/%d", other), nil, nil), http.StatusNoContent)
		c.Do(t, "GET", fmt.Sprintf("/admin/api/shows/%d", other), nil, nil).WantError(t, http.StatusNotFound, "not_found")
	})
}

func TestShowsList(t *testing.T) {
	c := testenv.Admin(t)
	tag := testenv.Unique()
	before := time.Now().Add(-time.Second).UTC()
	var created []int64
	for _, s := range []map[string]string{
		{"title": "Alpha " + tag, "status": "published"},
		{"title": "Beta " + tag, "artist": "Band-" + tag},
		{"title": "Gamma " + tag},
	} {
		created = append(created, num(t, want(t, c.Do(t, "POST", "/admin/api/shows", s, nil), http.StatusCreated), "id"))
	}
	after := time.Now().Add(time.Second).UTC()
	q := func(kv ...string) string {
		v := url.Values{"q": {tag}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return "/admin/api/shows?" + v.Encode()
	}
	for _, tc := range []struct {
		name, path string
		total      int64
		want       []int64 // newest first
	}{
		{"Q", q(), 3, []int64{created[2], created[1], created[0]}},
		{"QArtist", q("q", "band-"+tag), 1, []int64{created[1]}},
		{"Status", q("status", "draft"), 2, []int64{created[2], created[1]}},
		{"FromTo", q("from", before.Format(time.RFC3339), "to", after.Format(time.RFC3339)), 3,
			[]int64{created[2], created[1], created[0]}},
		{"ToBefore", q("to", before.Format(time.RFC3339)), 0, nil},
		{"Page", q("per_page", "1", "page", "3"), 3, []int64{created[0]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := want(t, c.Do(t, "GET", tc.path, nil, nil), http.StatusOK)
			wantPage(t, r, tc.total, tc.want)
		})
	}
	t.Run("ErrBadFilter", func(t *testing.T) {
		for _, p := range []string{q("status", "live"), q("from", "2026-13-01"), q("to", "tomorrow")} {
			c.Do(t, "GET", p, nil, nil).WantError(t, http.StatusBadRequest, "bad_request")
		}
	})
}
