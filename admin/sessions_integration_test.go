//go:build integration

package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"boxoffice/internal/testenv"
)

func TestSessions(t *testing.T) {
	c := testenv.Admin(t)
	venue, show := newVenue(t, c), newShow(t, c)
	path := func(id int64) string { return fmt.Sprintf("/admin/api/sessions/%d", id) }

	var id, version int64
	t.Run("OK", func(t *testing.T) {
		r := want(t, c.Do(t, "POST", "/admin/api/sessions", sessionBody(show, venue, jan2030), nil), http.StatusCreated)
		id, version = num(t, r, "id"), wantVersioned(t, r)
		if r.JSON["state"] != "DRAFT" || num(t, r, "seat_limit") != 4 || num(t, r, "hold_seconds") != 900 {
			t.Errorf("created %s, want DRAFT with seat_limit 4 and hold_seconds 900", r.Body)
		}
		if r.Header.Get("Location") != path(id) || r.JSON["starts_at"] != "2030-01-10T20:00:00Z" {
			t.Errorf("created %s at %q, want starts_at 2030-01-10T20:00:00Z at %s", r.Body, r.Header.Get("Location"), path(id))
		}
		body := sessionBody(show, venue, jan2030.Add(time.Hour))
		body["state"], body["seat_limit"] = "RESERVING", 6
		r = want(t, c.Do(t, "PUT", path(id), body, ifMatch(version)), http.StatusOK)
		version = wantVersioned(t, r)
		if r.JSON["state"] != "RESERVING" || num(t, r, "seat_limit") != 6 || r.JSON["starts_at"] != "2030-01-10T21:00:00Z" {
			t.Errorf("PUT = %s, want RESERVING, seat_limit 6, starts 21:00", r.Body)
		}
		// Omitted seat_limit and state stay; the state may go back to DRAFT.
		r = want(t, c.Do(t, "PUT", path(id), sessionBody(show, venue, jan2030), ifMatch(version)), http.StatusOK)
		version = wantVersioned(t, r)
		if r.JSON["state"] != "RESERVING" || num(t, r, "seat_limit") != 6 {
			t.Errorf("PUT without state and seat_limit = %s, want them kept", r.Body)
		}
		body = sessionBody(show, venue, jan2030)
		body["state"] = "DRAFT"
		version = wantVersioned(t, want(t, c.Do(t, "PUT", path(id), body, ifMatch(version)), http.StatusOK))
		r = want(t, c.Do(t, "GET", path(id), nil, nil), http.StatusOK)
		if wantVersioned(t, r) != version || r.JSON["state"] != "DRAFT" {
			t.Errorf("GET = %s, want DRAFT at version %d", r.Body, version)
		}
	})
	t.Run("ErrPreconditionRequired", func(t *testing.T) {
		c.Do(t, "PUT", path(id), sessionBody(show, venue, jan2030), nil).
			WantError(t, http.StatusPreconditionRequired, "precondition_required")
	})
	t.Run("ErrStale", func(t *testing.T) {
		wantStale(t, c.Do(t, "PUT", path(id), sessionBody(show, venue, jan2030), ifMatch(version-1)), version)
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		for _, tc := range []struct {
			field string
			edit  func(b map[string]any)
		}{
			{"show_id", func(b map[string]any) { delete(b, "show_id") }},
			{"starts_at", func(b map[string]any) { b["starts_at"] = "10 Jan 2030" }},
			{"sale_closes_at", func(b map[string]any) { delete(b, "sale_closes_at") }},
			{"reserve_closes_at", func(b map[string]any) { b["reserve_closes_at"] = "2029-12-01T00:00:00Z" }},
			{"sale_opens_at", func(b map[string]any) { b["sale_opens_at"] = "2030-01-05T19:59:59Z" }},
			{"sale_closes_at", func(b map[string]any) { b["sale_closes_at"] = b["sale_opens_at"] }},
			{"seat_limit", func(b map[string]any) { b["seat_limit"] = 21 }},
			{"seat_limit", func(b map[string]any) { b["seat_limit"] = 0 }},
			{"hold_seconds", func(b map[string]any) { b["hold_seconds"] = 86401 }},
			{"state", func(b map[string]any) { b["state"] = "RESERVING" }},
			{"show_id", func(b map[string]any) { b["show_id"] = 999999999 }},
			{"venue_id", func(b map[string]any) { b["venue_id"] = 999999999 }},
		} {
			b := sessionBody(show, venue, jan2030)
			tc.edit(b)
			r := c.Do(t, "POST", "/admin/api/sessions", b, nil)
			r.WantError(t, http.StatusBadRequest, "bad_request")
			wantMessage(t, r, tc.field)
		}
		b := sessionBody(999999999, venue, jan2030)
		r := c.Do(t, "PUT", path(id), b, ifMatch(version))
		r.WantError(t, http.StatusBadRequest, "bad_request")
		wantMessage(t, r, "show_id", "999999999")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		c.Do(t, "GET", path(999999999), nil, nil).WantError(t, http.StatusNotFound, "not_found")
		c.Do(t, "PUT", path(999999999), sessionBody(show, venue, jan2030), ifMatch(1)).
			WantError(t, http.StatusNotFound, "not_found")
		c.Do(t, "DELETE", path(999999999), nil, nil).WantError(t, http.StatusNotFound, "not_found")
	})
	t.Run("ErrStateMove", func(t *testing.T) {
		body := sessionBody(show, venue, jan2030)
		body["state"] = "ARMED"
		r := c.Do(t, "PUT", path(id), body, ifMatch(version))
		r.WantError(t, http.StatusConflict, "conflict")
		if r.JSON["current_state"] != "DRAFT" {
			t.Errorf("current_state = %v, want DRAFT", r.JSON["current_state"])
		}
	})
}

func TestSessionsArmed(t *testing.T) {
	c := testenv.Admin(t)
	venue := newVenue(t, c)
	s := newSession(t, c, venue)
	id, show, version := num(t, s, "id"), num(t, s, "show_id"), num(t, s, "version")
	path := fmt.Sprintf("/admin/api/sessions/%d", id)
	setState(t, id, "ARMED")

	t.Run("ErrStateMove", func(t *testing.T) {
		body := sessionBody(show, venue, jan2030)
		body["state"] = "DRAFT"
		r := c.Do(t, "PUT", path, body, ifMatch(version))
		r.WantError(t, http.StatusConflict, "conflict")
		wantMessage(t, r, "ARMED")
		if r.JSON["current_state"] != "ARMED" {
			t.Errorf("current_state = %v, want ARMED", r.JSON["current_state"])
		}
	})
	t.Run("ErrVenueChange", func(t *testing.T) {
		r := c.Do(t, "PUT", path, sessionBody(show, newVenue(t, c), jan2030), ifMatch(version))
		r.WantError(t, http.StatusConflict, "conflict")
		wantMessage(t, r, "venue")
	})
	t.Run("ErrTiers", func(t *testing.T) {
		r := c.Do(t, "PUT", path+"/tiers", map[string]any{"tiers": []map[string]any{
			{"code": "A", "name": "A", "price_cents": 100}}}, ifMatch(version))
		r.WantError(t, http.StatusConflict, "conflict")
		wantMessage(t, r, "ARMED", "price tiers")
	})
	t.Run("ErrDelete", func(t *testing.T) {
		c.Do(t, "DELETE", path, nil, nil).WantError(t, http.StatusConflict, "conflict")
	})
	t.Run("OtherFieldsOK", func(t *testing.T) {
		body := sessionBody(show, venue, jan2030)
		body["hold_seconds"] = 600
		r := want(t, c.Do(t, "PUT", path, body, ifMatch(version)), http.StatusOK)
		if r.JSON["state"] != "ARMED" || num(t, r, "hold_seconds") != 600 {
			t.Errorf("PUT = %s, want ARMED with hold_seconds 600", r.Body)
		}
	})
}

func TestSessionsDelete(t *testing.T) {
	c := testenv.Admin(t)
	venue := newVenue(t, c)

	t.Run("OKWithTiers", func(t *testing.T) {
		s := newSession(t, c, venue)
		id := num(t, s, "id")
		want(t, c.Do(t, "PUT", fmt.Sprintf("/admin/api/sessions/%d/tiers", id), map[string]any{"tiers": []map[string]any{
			{"code": "A", "name": "A", "price_cents": 100}}}, ifMatch(1)), http.StatusOK)
		want(t, c.Do(t, "DELETE", fmt.Sprintf("/admin/api/sessions/%d", id), nil, ifMatch(2)), http.StatusNoContent)
		c.Do(t, "GET", fmt.Sprintf("/admin/api/sessions/%d/tiers", id), nil, nil).WantError(t, http.StatusNotFound, "not_found")
	})
	t.Run("ErrReferenced", func(t *testing.T) {
		s := newSession(t, c, venue)
		id := num(t, s, "id")
		setState(t, id, "RESERVING")
		db := testenv.DB(t)
		ctx := context.Background()
		res, err := db.ExecContext(ctx, "INSERT INTO users (phone, password_hash) VALUES (?, 'x')", "+99"+testenv.Unique()[:8])
		if err != nil {
			t.Fatal(err)
		}
		user, _ := res.LastInsertId()
		res, err = db.ExecContext(ctx, "INSERT INTO reservations (session_id, user_id) VALUES (?, ?)", id, user)
		if err != nil {
			t.Fatal(err)
		}
		reservation, _ := res.LastInsertId()
		r := c.Do(t, "DELETE", fmt.Sprintf("/admin/api/sessions/%d", id), nil, nil)
		r.WantError(t, http.StatusConflict, "conflict")
		wantMessage(t, r, "1 reservation")
		by, _ := r.JSON["referenced_by"].(map[string]any)
		if got := ids(by["reservations"]); !reflect.DeepEqual(got, []int64{reservation}) {
			t.Errorf("referenced_by.reservations = %v, want [%d]", got, reservation)
		}
	})
}

func TestSessionsList(t *testing.T) {
	c := testenv.Admin(t)
	venue, show := newVenue(t, c), newShow(t, c)
	var created []int64
	for i := range 3 {
		b := sessionBody(show, venue, jan2030.Add(time.Duration(i)*24*time.Hour))
		created = append(created, num(t, want(t, c.Do(t, "POST", "/admin/api/sessions", b, nil), http.StatusCreated), "id"))
	}
	setState(t, created[1], "ON_SALE")
	other := num(t, newSession(t, c, venue), "id") // another show at the same venue
	q := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return "/admin/api/sessions?" + v.Encode()
	}
	showQ, venueQ := fmt.Sprint(show), fmt.Sprint(venue)
	for _, tc := range []struct {
		name, path string
		total      int64
		want       []int64 // by starts_at
	}{
		{"Show", q("show_id", showQ), 3, created},
		{"Venue", q("venue_id", venueQ), 4, []int64{created[0], other, created[1], created[2]}},
		{"State", q("show_id", showQ, "state", "ON_SALE"), 1, created[1:2]},
		{"FromTo", q("venue_id", venueQ, "from", "2030-01-11T00:00:00Z", "to", "2030-01-12T20:00:00Z"), 1, created[1:2]},
		{"Page", q("show_id", showQ, "per_page", "2", "page", "2"), 3, created[2:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := want(t, c.Do(t, "GET", tc.path, nil, nil), http.StatusOK)
			wantPage(t, r, tc.total, tc.want)
		})
	}
	t.Run("ErrBadFilter", func(t *testing.T) {
		for _, p := range []string{q("show_id", "x"), q("venue_id", "-1"), q("state", "draft"), q("from", "2030-01-01")} {
			c.Do(t, "GET", p, nil, nil).WantError(t, http.StatusBadRequest, "bad_request")
		}
	})
}

func TestPriceTiers(t *testing.T) {
	c := testenv.Admin(t)
	s := newSession(t, c, newVenue(t, c))
	id, version := num(t, s, "id"), num(t, s, "version")
	path := fmt.Sprintf("/admin/api/sessions/%d/tiers", id)
	tiers := func(list ...map[string]any) map[string]any { return map[string]any{"tiers": list} }
	tier := func(code string, cents int) map[string]any {
		return map[string]any{"code": code, "name": "Tier " + code, "price_cents": cents}
	}

	t.Run("OK", func(t *testing.T) {
		r := want(t, c.Do(t, "GET", path, nil, nil), http.StatusOK)
		if wantVersioned(t, r) != version || len(r.JSON["tiers"].([]any)) != 0 {
			t.Errorf("GET = %s, want no tiers at version %d", r.Body, version)
		}
		r = want(t, c.Do(t, "PUT", path, tiers(tier("VIP", 128000), tier("A", 68000)), ifMatch(version)), http.StatusOK)
		if got := wantVersioned(t, r); got != version+1 {
			t.Errorf("version = %d, want %d", got, version+1)
		}
		version++
		r = want(t, c.Do(t, "GET", path, nil, nil), http.StatusOK)
		got := r.JSON["tiers"].([]any)
		if len(got) != 2 || got[0].(map[string]any)["code"] != "A" || got[1].(map[string]any)["price_cents"] != 128000.0 {
			t.Errorf("tiers = %s, want A and VIP at 128000", r.Body)
		}
		r = want(t, c.Do(t, "GET", fmt.Sprintf("/admin/api/sessions/%d", id), nil, nil), http.StatusOK)
		if wantVersioned(t, r) != version {
			t.Errorf("session version = %s, want %d (tiers bump it)", r.Body, version)
		}
	})
	t.Run("ErrPreconditionRequired", func(t *testing.T) {
		c.Do(t, "PUT", path, tiers(tier("A", 1)), nil).WantError(t, http.StatusPreconditionRequired, "precondition_required")
	})
	t.Run("ErrStale", func(t *testing.T) {
		wantStale(t, c.Do(t, "PUT", path, tiers(tier("A", 1)), ifMatch(version-1)), version)
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		many := make([]map[string]any, 21)
		for i := range many {
			many[i] = tier(fmt.Sprintf("T%d", i), 100)
		}
		for _, tc := range []struct {
			part string
			body map[string]any
		}{
			{"tiers", tiers()},
			{"tiers", tiers(many...)},
			{"tiers[1].code", tiers(tier("A", 1), tier("A", 2))},
			{"tiers[0].code", tiers(tier("vip", 1))},
			{"tiers[0].code", tiers(tier("TOO-LONG-CODE-123", 1))},
			{"tiers[0].price_cents", tiers(tier("A", 0))},
			{"tiers[0].price_cents", tiers(tier("A", 1_000_000_001))},
			{"tiers[0].name", tiers(map[string]any{"code": "A", "price_cents": 1})},
		} {
			r := c.Do(t, "PUT", path, tc.body, ifMatch(version))
			r.WantError(t, http.StatusBadRequest, "bad_request")
			wantMessage(t, r, tc.part)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		c.Do(t, "GET", "/admin/api/sessions/999999999/tiers", nil, nil).WantError(t, http.StatusNotFound, "not_found")
		c.Do(t, "PUT", "/admin/api/sessions/999999999/tiers", tiers(tier("A", 1)), ifMatch(1)).
			WantError(t, http.StatusNotFound, "not_found")
	})
}
