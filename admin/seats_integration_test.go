//go:build integration

package admin_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"boxoffice/internal/testenv"
)

func TestSeats(t *testing.T) {
	c := testenv.Admin(t)
	venue := newVenue(t, c)
	path := fmt.Sprintf("/admin/api/venues/%d/seats", venue)
	version := int64(1)

	t.Run("JSON", func(t *testing.T) {
		body := map[string]any{"seats": []map[string]any{
			{"section": "Left", "row": "A", "number": 1, "x": 0, "y": 60, "tier": "VIP"},
			{"section": "Left", "row": "A", "number": 2, "x": 10, "y": 60, "tier": "A"},
		}}
		r := want(t, c.Do(t, "PUT", path, body, ifMatch(version)), http.StatusOK)
		if version = wantVersioned(t, r); version != 2 || num(t, r, "count") != 2 {
			t.Errorf("PUT = %s, want 2 seats at version 2", r.Body)
		}
		r = want(t, c.Do(t, "GET", path, nil, nil), http.StatusOK)
		seats := r.JSON["seats"].([]any)
		first := seats[0].(map[string]any)
		if wantVersioned(t, r) != version || len(seats) != 2 || first["section"] != "Left" || first["tier"] != "VIP" || first["y"] != 60.0 {
			t.Errorf("GET = %s, want the 2 seats at version %d", r.Body, version)
		}
		r = want(t, c.Do(t, "GET", fmt.Sprintf("/admin/api/venues/%d", venue), nil, nil), http.StatusOK)
		if wantVersioned(t, r) != version {
			t.Errorf("venue = %s, want version %d (seat maps bump it)", r.Body, version)
		}
	})
	t.Run("CSV", func(t *testing.T) {
		body := append([]byte("\ufeff"), seatsCSV(`"Balcony, East",B,7,-5,120,B`, "Balcony,B,8,5,120,B", "Floor,1,1,0,0,A")...)
		r := want(t, c.Do(t, "PUT", path, body, csvHeader(version)), http.StatusOK)
		version = wantVersioned(t, r)
		r = want(t, c.Do(t, "GET", path, nil, nil), http.StatusOK)
		var got []string
		for _, s := range r.JSON["seats"].([]any) {
			m := s.(map[string]any)
			got = append(got, fmt.Sprintf("%v/%v/%v/%v/%v/%v", m["section"], m["row"], m["number"], m["x"], m["y"], m["tier"]))
		}
		want := []string{"Balcony, East/B/7/-5/120/B", "Balcony/B/8/5/120/B", "Floor/1/1/0/0/A"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("seats = %v, want %v (the old map replaced)", got, want)
		}
	})
	t.Run("ErrDuplicates", func(t *testing.T) {
		r := c.Do(t, "PUT", path, seatsCSV("L,A,1,0,0,A", "L,A,2,0,0,A", "l,a,1,5,5,A", "L,B,3,0,0,A", "L,B,3,1,1,A"),
			csvHeader(version))
		r.WantError(t, http.StatusBadRequest, "bad_request")
		got, _ := r.JSON["duplicates"].([]any)
		if len(got) != 2 || num(t, r, "duplicate_count") != 2 {
			t.Fatalf("duplicates = %s, want 2", r.Body)
		}
		want := map[string]any{"section": "L", "row": "A", "number": 1.0, "at": []any{"line 2", "line 4"}}
		if !reflect.DeepEqual(got[0], want) {
			t.Errorf("duplicates[0] = %v, want %v", got[0], want)
		}
	})
	t.Run("ErrCollidesUnderCollation", func(t *testing.T) {
		// The database compares places without case or accents: A is Á,
		// and every seat before and after the pair still counts.
		seats := []map[string]any{}
		for n := 1; n <= 2500; n++ {
			seats = append(seats, map[string]any{"section": "A", "row": "1", "number": n, "x": 0, "y": 0, "tier": "A"})
		}
		seats = append(seats, map[string]any{"section": "Á", "row": "1", "number": 7, "x": 0, "y": 0, "tier": "A"},
			map[string]any{"section": "B", "row": "ü", "number": 1, "x": 0, "y": 0, "tier": "A"},
			map[string]any{"section": "b", "row": "U", "number": 1, "x": 0, "y": 0, "tier": "A"})
		r := c.Do(t, "PUT", path, map[string]any{"seats": seats}, ifMatch(version))
		r.WantError(t, http.StatusBadRequest, "bad_request")
		wantMessage(t, r, "seats[6] and seats[2500]")
		if strings.Contains(string(r.Body), "Error 1062") || strings.Contains(string(r.Body), "Duplicate entry") {
			t.Errorf("the answer shows a MySQL error: %s", r.Body)
		}
		got, _ := r.JSON["duplicates"].([]any)
		want := []any{
			map[string]any{"section": "A", "row": "1", "number": 7.0, "at": []any{"seats[6]", "seats[2500]"}},
			map[string]any{"section": "B", "row": "ü", "number": 1.0, "at": []any{"seats[2501]", "seats[2502]"}},
		}
		if !reflect.DeepEqual(got, want) || num(t, r, "duplicate_count") != 2 {
			t.Errorf("duplicates = %s, want %v", r.Body, want)
		}
	})
	t.Run("ErrDuplicatesCapped", func(t *testing.T) {
		var rows []string
		for n := 1; n <= 60; n++ {
			rows = append(rows, fmt.Sprintf("S,R,%d,0,0,A", n), fmt.Sprintf("S,R,%d,0,0,A", n))
		}
		r := c.Do(t, "PUT", path, seatsCSV(rows...), csvHeader(version))
		r.WantError(t, http.StatusBadRequest, "bad_request")
		if got := len(r.JSON["duplicates"].([]any)); got != 50 || num(t, r, "duplicate_count") != 60 {
			t.Errorf("listed %d of %d duplicates, want 50 of 60", got, num(t, r, "duplicate_count"))
		}
	})
	t.Run("ErrBadCSV", func(t *testing.T) {
		for _, tc := range []struct{ body, part string }{
			{"section,row,number,x,y\nA,1,1,0,0\n", "header"},
			{"", "header"},
			{string(seatsCSV("A,1,1,0,0,A", "A,1,2,0,0")), "line 3"},
			{string(seatsCSV("A,1,1,0,0,A", "A,1,x,0,0,A")), "line 3: number must be an integer"},
			{string(seatsCSV("A,1,0,0,0,A")), "line 2: number must be from 1 to 65535"},
			{string(seatsCSV("A,1,65536,0,0,A")), "line 2: number"},
			{string(seatsCSV("A,1,1,0,3000000000,A")), "line 2: y"},
			{string(seatsCSV(",1,1,0,0,A")), "line 2: section is required"},
			{string(seatsCSV(strings.Repeat("s", 33) + ",1,1,0,0,A")), "line 2: section is longer than 32"},
			{string(seatsCSV("A," + strings.Repeat("r", 17) + ",1,0,0,A")), "line 2: row"},
			{string(seatsCSV("A,1,1,0,0,vip")), "line 2: tier"},
			{string(seatsCSV("A,1,1,0,0,A", "A,1,2,0,0,\xff")), "line 3: tier"},
		} {
			r := c.Do(t, "PUT", path, []byte(tc.body), csvHeader(version))
			r.WantError(t, http.StatusBadRequest, "bad_request")
			wantMessage(t, r, tc.part)
		}
	})
	t.Run("ErrBadJSON", func(t *testing.T) {
		seat := func(kv ...any) map[string]any {
			s := map[string]any{"section": "A", "row": "1", "number": 1, "x": 0, "y": 0, "tier": "A"}
			for i := 0; i < len(kv); i += 2 {
				s[kv[i].(string)] = kv[i+1]
			}
			return s
		}
		for _, tc := range []struct {
			part string
			body any
		}{
			{"seats is required", map[string]any{}},
			{"seats[1].number", map[string]any{"seats": []any{seat(), seat("number", 0)}}},
			{"seats[0].tier", map[string]any{"seats": []any{seat("tier", "")}}},
			{"seats[0].row", map[string]any{"seats": []any{seat("row", " ")}}},
			{"seat_no", map[string]any{"seats": []any{seat("seat_no", 1)}}},
		} {
			r := c.Do(t, "PUT", path, tc.body, ifMatch(version))
			r.WantError(t, http.StatusBadRequest, "bad_request")
			wantMessage(t, r, tc.part)
		}
	})
	t.Run("ErrProblemsListed", func(t *testing.T) {
		var rows []string
		for n := 0; n < 30; n++ {
			rows = append(rows, fmt.Sprintf("A,1,%d,0,0,A", 70000+n))
		}
		r := c.Do(t, "PUT", path, seatsCSV(rows...), csvHeader(version))
		r.WantError(t, http.StatusBadRequest, "bad_request")
		if got := len(r.JSON["problems"].([]any)); got != 20 || num(t, r, "problem_count") != 30 {
			t.Errorf("listed %d of %d problems, want 20 of 30", got, num(t, r, "problem_count"))
		}
	})
	t.Run("ErrContentType", func(t *testing.T) {
		r := c.Do(t, "PUT", path, seatsCSV("A,1,1,0,0,A"),
			http.Header{"Content-Type": {"text/plain"}, "If-Match": {fmt.Sprintf(`"%d"`, version)}})
		r.WantError(t, http.StatusBadRequest, "bad_request")
		wantMessage(t, r, "text/csv")
	})
	t.Run("ErrPreconditionRequired", func(t *testing.T) {
		c.Do(t, "PUT", path, seatsCSV("A,1,1,0,0,A"), http.Header{"Content-Type": {"text/csv"}}).
			WantError(t, http.StatusPreconditionRequired, "precondition_required")
	})
	t.Run("ErrStale", func(t *testing.T) {
		wantStale(t, c.Do(t, "PUT", path, seatsCSV("A,1,1,0,0,A"), csvHeader(version-1)), version)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		c.Do(t, "GET", "/admin/api/venues/999999999/seats", nil, nil).WantError(t, http.StatusNotFound, "not_found")
		c.Do(t, "PUT", "/admin/api/venues/999999999/seats", seatsCSV("A,1,1,0,0,A"), csvHeader(1)).
			WantError(t, http.StatusNotFound, "not_found")
	})
	t.Run("ErrArmed", func(t *testing.T) {
		draft := num(t, newSession(t, c, venue), "id")
		var armed []int64
		for _, state := range []string{"ARMED", "ON_SALE", "CLOSED"} {
			id := num(t, newSession(t, c, venue), "id")
			setState(t, id, state)
			armed = append(armed, id)
		}
		r := c.Do(t, "PUT", path, seatsCSV("A,1,1,0,0,A"), csvHeader(version))
		r.WantError(t, http.StatusConflict, "conflict")
		if got := ids(r.JSON["sessions"]); !reflect.DeepEqual(got, armed) {
			t.Errorf("sessions = %v, want %v (not the DRAFT %d)", got, armed, draft)
		}
	})
}

// TestSeats60k uploads a 60,000-seat map in one request.
func TestSeats60k(t *testing.T) {
	c := testenv.Admin(t)
	venue := newVenue(t, c)
	path := fmt.Sprintf("/admin/api/venues/%d/seats", venue)
	t.Cleanup(func() { c.Do(t, "DELETE", fmt.Sprintf("/admin/api/venues/%d", venue), nil, nil) })
	seats := make([]map[string]any, 0, 60000)
	for s := range 30 {
		for row := range 40 {
			for n := 1; n <= 50; n++ {
				seats = append(seats, map[string]any{"section": fmt.Sprintf("Section %02d", s),
					"row": fmt.Sprintf("R%02d", row), "number": n, "x": s*600 + n*10, "y": row * 12,
					"tier": []string{"VIP", "A", "B"}[row%3]})
			}
		}
	}
	start := time.Now()
	r := want(t, c.Do(t, "PUT", path, map[string]any{"seats": seats}, ifMatch(1)), http.StatusOK)
	t.Logf("PUT of 60,000 seats as JSON took %v", time.Since(start))
	if num(t, r, "count") != 60000 {
		t.Errorf("count = %d, want 60000", num(t, r, "count"))
	}
	r = want(t, c.Do(t, "GET", path, nil, nil), http.StatusOK)
	got := r.JSON["seats"].([]any)
	last := got[len(got)-1].(map[string]any)
	if len(got) != 60000 || last["section"] != "Section 29" || last["number"] != 50.0 {
		t.Errorf("GET has %d seats ending with %v, want 60000 ending with Section 29 R39 50", len(got), last)
	}
}
