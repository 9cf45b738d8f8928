//go:build integration

package catalog_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"boxoffice/internal/catalog"
	"boxoffice/internal/testenv"
	"boxoffice/internal/web"
)

// decode unmarshals a 200 body into v.
func decode(t *testing.T, r *testenv.Response, v any) {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("got %d %s, want 200", r.Status, r.Body)
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
}

func TestShowList(t *testing.T) {
	f := newFixture(t)
	c := testenv.Edge(t)
	list := func(t *testing.T, query url.Values) web.List[catalog.ShowItem] {
		t.Helper()
		var l web.List[catalog.ShowItem]
		decode(t, c.Do(t, "GET", "/api/shows?"+query.Encode(), nil, nil), &l)
		return l
	}
	t.Run("OK", func(t *testing.T) {
		l := list(t, url.Values{"city": {f.City}})
		if l.Total != 1 || len(l.Items) != 1 || l.Page != 1 || l.PerPage != 20 {
			t.Fatalf("got %+v, want the one published show of the city on page 1 of 20", l)
		}
		got := l.Items[0]
		if got.ID != f.ShowID || got.Title != f.Title || got.Artist != f.Artist || got.PosterURL == "" {
			t.Errorf("item = %+v, want show %d %q by %q", got, f.ShowID, f.Title, f.Artist)
		}
		if got.NextSession == nil || got.NextSession.ID != f.Sessions[1] || got.NextSession.City != f.City {
			t.Errorf("next_session = %+v, want the RESERVING session %d in %s (not the DRAFT one)",
				got.NextSession, f.Sessions[1], f.City)
		}
	})
	t.Run("Shape", func(t *testing.T) {
		r := c.Do(t, "GET", "/api/shows?city="+url.QueryEscape(f.City), nil, nil)
		wantKeys(t, r.JSON, "items", "page", "per_page", "total")
		item := r.JSON["items"].([]any)[0].(map[string]any)
		wantKeys(t, item, "id", "title", "artist", "poster_url", "next_session")
		wantKeys(t, item["next_session"].(map[string]any), "id", "starts_at", "city")
	})
	t.Run("SearchTitleOrArtist", func(t *testing.T) {
		for _, q := range []string{strings.ToUpper(f.Tag), "catalog test " + f.Tag, f.Tag + " quartet"} {
			if l := list(t, url.Values{"q": {q}}); l.Total != 1 || l.Items[0].ID != f.ShowID {
				t.Errorf("q=%q: got %+v, want only show %d", q, l, f.ShowID)
			}
		}
	})
	t.Run("SearchIsLiteral", func(t *testing.T) {
		for _, q := range []string{f.Tag + "%", "_" + f.Tag[1:]} {
			if l := list(t, url.Values{"q": {q}}); l.Total != 0 || l.Items == nil {
				t.Errorf("q=%q: got %+v, want no match and items []", q, l)
			}
		}
	})
	t.Run("NoDraftShows", func(t *testing.T) {
		l := list(t, url.Values{"q": {"Draft " + f.Title}})
		if l.Total != 0 {
			t.Errorf("got %+v, want the unpublished show left out", l)
		}
	})
	t.Run("Paging", func(t *testing.T) {
		l := list(t, url.Values{"city": {f.City}, "page": {"2"}, "per_page": {"1"}})
		if l.Total != 1 || len(l.Items) != 0 || l.Page != 2 || l.PerPage != 1 {
			t.Errorf("got %+v, want an empty page 2 of a total of 1", l)
		}
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		for _, q := range []string{"page=0", "page=abc", "per_page=101", "page=1000001",
			"q=" + strings.Repeat("x", 101), "city=" + strings.Repeat("y", 101)} {
			c.Do(t, "GET", "/api/shows?"+q, nil, nil).WantError(t, 400, "bad_request")
		}
	})
	t.Run("UnknownParametersIgnored", func(t *testing.T) {
		if l := list(t, url.Values{"city": {f.City}, "sort": {"x"}}); l.Total != 1 {
			t.Errorf("got %+v, want the city's show", l)
		}
	})
}

func TestShow(t *testing.T) {
	f := newFixture(t)
	c := testenv.Edge(t)
	t.Run("OK", func(t *testing.T) {
		var d catalog.ShowDetail
		decode(t, c.Do(t, "GET", showPath(f.ShowID), nil, nil), &d)
		if d.ID != f.ShowID || d.Title != f.Title || d.Description != "A test show." {
			t.Errorf("show = %+v", d)
		}
		var ids []int64
		for _, s := range d.Sessions {
			ids = append(ids, s.ID)
		}
		if !slices.Equal(ids, f.publicSessions()) {
			t.Fatalf("sessions = %v, want %v (by start, no DRAFT)", ids, f.publicSessions())
		}
		s := d.Sessions[0]
		if s.State != "RESERVING" || s.SeatLimit != 4 || s.Venue.ID != f.VenueID || s.Venue.City != f.City ||
			s.Venue.Address != "1 Test Road" || s.StartsAt.IsZero() || s.SaleOpensAt.IsZero() {
			t.Errorf("session = %+v", s)
		}
		want := []catalog.TierView{{Code: "VIP", Name: "VIP", PriceCents: 128000}, {Code: "A", Name: "Tier A", PriceCents: 68000}}
		if !slices.Equal(s.PriceTiers, want) {
			t.Errorf("price_tiers = %+v, want %+v", s.PriceTiers, want)
		}
	})
	t.Run("Shape", func(t *testing.T) {
		r := c.Do(t, "GET", showPath(f.ShowID), nil, nil)
		wantKeys(t, r.JSON, "id", "title", "artist", "description", "poster_url", "sessions")
		s := r.JSON["sessions"].([]any)[0].(map[string]any)
		wantKeys(t, s, "id", "state", "starts_at", "reserve_opens_at", "reserve_closes_at",
			"sale_opens_at", "sale_closes_at", "seat_limit", "venue", "price_tiers")
		wantKeys(t, s["venue"].(map[string]any), "id", "name", "city", "address")
		wantKeys(t, s["price_tiers"].([]any)[0].(map[string]any), "code", "name", "price_cents")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, id := range []int64{f.DraftShow, 9_000_000_000_000} {
			c.Do(t, "GET", showPath(id), nil, nil).WantError(t, 404, "not_found")
		}
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		for _, p := range []string{"abc", "0", "-1", "1.5", "99999999999999999999"} {
			c.Do(t, "GET", "/api/shows/"+p, nil, nil).WantError(t, 400, "bad_request")
		}
	})
}

func TestSession(t *testing.T) {
	f := newFixture(t)
	c := testenv.Edge(t)
	t.Run("OK", func(t *testing.T) {
		var m catalog.SessionMap
		decode(t, c.Do(t, "GET", sessionPath(f.Sessions[0]), nil, nil), &m)
		if m.ID != f.Sessions[0] || m.ShowID != f.ShowID || m.Venue.ID != f.VenueID || len(m.PriceTiers) != 2 {
			t.Errorf("session = %+v", m)
		}
		var ids []int64
		for _, s := range m.Seats {
			ids = append(ids, s.ID)
		}
		if !slices.Equal(ids, f.SeatIDs) {
			t.Errorf("seat ids = %v, want %v", ids, f.SeatIDs)
		}
		want := catalog.SeatView{ID: f.SeatIDs[4], Section: "Floor", Row: "2", Number: 2, X: 10, Y: 20, Tier: "A"}
		if m.Seats[4] != want {
			t.Errorf("seat 4 = %+v, want %+v", m.Seats[4], want)
		}
	})
	t.Run("NoSeatStates", func(t *testing.T) {
		r := c.Do(t, "GET", sessionPath(f.Sessions[1]), nil, nil)
		wantKeys(t, r.JSON, "id", "show_id", "starts_at", "venue", "price_tiers", "seats")
		for _, s := range r.JSON["seats"].([]any) {
			wantKeys(t, s.(map[string]any), "id", "section", "row", "number", "x", "y", "tier")
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, id := range []int64{f.Sessions[2], f.DraftShowS, 9_000_000_000_000} {
			c.Do(t, "GET", sessionPath(id), nil, nil).WantError(t, 404, "not_found")
		}
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		c.Do(t, "GET", "/api/sessions/x1", nil, nil).WantError(t, 400, "bad_request")
	})
}

// wantKeys fails unless obj has exactly the keys.
func wantKeys(t *testing.T, obj map[string]any, keys ...string) {
	t.Helper()
	var got []string
	for k := range obj {
		got = append(got, k)
	}
	sort.Strings(got)
	sort.Strings(keys)
	if !slices.Equal(got, keys) {
		t.Errorf("keys = %v, want %v", got, keys)
	}
}
