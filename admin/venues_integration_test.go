//go:build integration

package admin_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"boxoffice/internal/testenv"
)

// catalogRoutes are every catalog route, with ids that need not exist.
var catalogRoutes = []struct{ method, path string }{
	{"GET", "/venues"}, {"POST", "/venues"}, {"GET", "/venues/1"}, {"PUT", "/venues/1"}, {"DELETE", "/venues/1"},
	{"GET", "/venues/1/seats"}, {"PUT", "/venues/1/seats"},
	{"GET", "/shows"}, {"POST", "/shows"}, {"GET", "/shows/1"}, {"PUT", "/shows/1"}, {"DELETE", "/shows/1"},
	{"GET", "/sessions"}, {"POST", "/sessions"}, {"GET", "/sessions/1"}, {"PUT", "/sessions/1"},
	{"DELETE", "/sessions/1"}, {"GET", "/sessions/1/tiers"}, {"PUT", "/sessions/1/tiers"},
}

func TestCatalogAuth(t *testing.T) {
	anonymous, user := testenv.Edge(t), buyer(t)
	for _, rt := range catalogRoutes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			anonymous.Do(t, rt.method, "/admin/api"+rt.path, map[string]string{}, ifMatch(1)).
				WantError(t, http.StatusUnauthorized, "unauthorized")
			user.Do(t, rt.method, "/admin/api"+rt.path, map[string]string{}, ifMatch(1)).
				WantError(t, http.StatusForbidden, "forbidden")
		})
	}
}

func TestVenues(t *testing.T) {
	c := testenv.Admin(t)
	name := "Hall " + testenv.Unique()

	var id, version int64
	t.Run("OK", func(t *testing.T) {
		r := want(t, c.Do(t, "POST", "/admin/api/venues",
			map[string]string{"name": " " + name + " ", "city": "Hangzhou", "address": "9 Lake Rd"}, nil), http.StatusCreated)
		id, version = num(t, r, "id"), wantVersioned(t, r)
		if got, want := r.Header.Get("Location"), fmt.Sprintf("/admin/api/venues/%d", id); got != want {
			t.Errorf("Location = %q, want %q", got, want)
		}
		if r.JSON["name"] != name || version != 1 {
			t.Errorf("created %s, want name %q (trimmed) at version 1", r.Body, name)
		}
		r = want(t, c.Do(t, "GET", fmt.Sprintf("/admin/api/venues/%d", id), nil, nil), http.StatusOK)
		if got := wantVersioned(t, r); got != version || r.JSON["address"] != "9 Lake Rd" {
			t.Errorf("GET = %s, want version %d and the address", r.Body, version)
		}
		r = want(t, c.Do(t, "PUT", fmt.Sprintf("/admin/api/venues/%d", id),
			map[string]string{"name": name, "city": "Hangzhou", "address": "10 Lake Rd"}, ifMatch(version)), http.StatusOK)
		if got := wantVersioned(t, r); got != version+1 || r.JSON["address"] != "10 Lake Rd" {
			t.Errorf("PUT = %s, want version %d and the new address", r.Body, version+1)
		}
		version++
	})
	t.Run("ErrPreconditionRequired", func(t *testing.T) {
		c.Do(t, "PUT", fmt.Sprintf("/admin/api/venues/%d", id),
			map[string]string{"name": name, "city": "Hangzhou"}, nil).
			WantError(t, http.StatusPreconditionRequired, "precondition_required")
	})
	t.Run("ErrStale", func(t *testing.T) {
		wantStale(t, c.Do(t, "PUT", fmt.Sprintf("/admin/api/venues/%d", id),
			map[string]string{"name": name, "city": "Hangzhou"}, ifMatch(version-1)), version)
		wantStale(t, c.Do(t, "DELETE", fmt.Sprintf("/admin/api/venues/%d", id), nil, ifMatch(version-1)), version)
	})
	t.Run("ConcurrentWritesOneWins", func(t *testing.T) {
		statuses := make(chan int, 5)
		for i := range 5 {
			go func() { // c.Do may t.Fatal, which a goroutine must not
				body := fmt.Sprintf(`{"name":%q,"city":"Hangzhou","address":"%d"}`, name, i)
				req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/admin/api/venues/%d", c.Base, id), strings.NewReader(body))
				req.Header = ifMatch(version)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+c.Token)
				resp, err := c.HTTP.Do(req)
				if err != nil {
					statuses <- 0
					return
				}
				resp.Body.Close()
				statuses <- resp.StatusCode
			}()
		}
		got := map[int]int{}
		for range 5 {
			got[<-statuses]++
		}
		if want := map[int]int{http.StatusOK: 1, http.StatusConflict: 4}; !reflect.DeepEqual(got, want) {
			t.Errorf("statuses = %v, want %v", got, want)
		}
		version++
	})
	t.Run("ErrBadIfMatch", func(t *testing.T) {
		for _, h := range []string{"3", `"x"`, `"0"`, "*"} {
			c.Do(t, "PUT", fmt.Sprintf("/admin/api/venues/%d", id), map[string]string{"name": name, "city": "Hangzhou"},
				http.Header{"If-Match": {h}}).WantError(t, http.StatusBadRequest, "bad_request")
		}
	})
	t.Run("ErrDuplicate", func(t *testing.T) {
		r := c.Do(t, "POST", "/admin/api/venues", map[string]string{"name": name, "city": "Hangzhou"}, nil)
		r.WantError(t, http.StatusConflict, "conflict")
		wantMessage(t, r, name, "Hangzhou")
		other := newVenue(t, c)
		c.Do(t, "PUT", fmt.Sprintf("/admin/api/venues/%d", other), map[string]string{"name": name, "city": "Hangzhou"},
			ifMatch(1)).WantError(t, http.StatusConflict, "conflict")
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		for _, tc := range []struct {
			field string
			body  any
		}{
			{"name", map[string]string{"city": "X"}},
			{"name", map[string]string{"name": strings.Repeat("n", 201), "city": "X"}},
			{"city", map[string]string{"name": "X", "city": "  "}},
			{"address", map[string]string{"name": "X", "city": "X", "address": strings.Repeat("a", 501)}},
			{"capacity", map[string]any{"name": "X", "city": "X", "capacity": 3}},
		} {
			r := c.Do(t, "POST", "/admin/api/venues", tc.body, nil)
			r.WantError(t, http.StatusBadRequest, "bad_request")
			wantMessage(t, r, tc.field)
		}
		c.Do(t, "POST", "/admin/api/venues", []byte(`name=x`), http.Header{"Content-Type": {"text/plain"}}).
			WantError(t, http.StatusBadRequest, "bad_request")
		c.Do(t, "GET", "/admin/api/venues/abc", nil, nil).WantError(t, http.StatusBadRequest, "bad_request")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		const missing = "/admin/api/venues/999999999"
		c.Do(t, "GET", missing, nil, nil).WantError(t, http.StatusNotFound, "not_found")
		c.Do(t, "PUT", missing, map[string]string{"name": "X", "city": "X"}, ifMatch(1)).
			WantError(t, http.StatusNotFound, "not_found")
		c.Do(t, "DELETE", missing, nil, nil).WantError(t, http.StatusNotFound, "not_found")
	})
	t.Run("ErrReferenced", func(t *testing.T) {
		s1, s2 := num(t, newSession(t, c, id), "id"), num(t, newSession(t, c, id), "id")
		r := c.Do(t, "DELETE", fmt.Sprintf("/admin/api/venues/%d", id), nil, nil)
		r.WantError(t, http.StatusConflict, "conflict")
		wantMessage(t, r, "2 sessions")
		by, _ := r.JSON["referenced_by"].(map[string]any)
		if got := ids(by["sessions"]); !reflect.DeepEqual(got, []int64{s1, s2}) {
			t.Errorf("referenced_by.sessions = %v, want %v", got, []int64{s1, s2})
		}
	})
	t.Run("Delete", func(t *testing.T) {
		other := newVenue(t, c)
		want(t, c.Do(t, "PUT", fmt.Sprintf("/admin/api/venues/%d/seats", other), seatsCSV("A,1,1,0,0,A"), csvHeader(1)),
			http.StatusOK)
		want(t, c.Do(t, "DELETE", fmt.Sprintf("/admin/api/venues/%d", other), nil, ifMatch(2)), http.StatusNoContent)
		c.Do(t, "GET", fmt.Sprintf("/admin/api/venues/%d", other), nil, nil).WantError(t, http.StatusNotFound, "not_found")
	})
}

func TestVenuesList(t *testing.T) {
	c := testenv.Admin(t)
	city := "City " + testenv.Unique()
	var created []int64
	for _, name := range []string{"North Hall", "South Hall", "North Arena"} {
		r := want(t, c.Do(t, "POST", "/admin/api/venues", map[string]string{"name": name, "city": city}, nil), http.StatusCreated)
		created = append(created, num(t, r, "id"))
	}
	for _, tc := range []struct {
		name, query string
		total       int64
		want        []int64
	}{
		{"City", "?city=" + city, 3, created},
		{"Q", "?city=" + city + "&q=north", 2, []int64{created[0], created[2]}},
		{"QWildcard", "?city=" + city + "&q=%25", 0, []int64{}},
		{"Page2", "?city=" + city + "&per_page=2&page=2", 3, created[2:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := want(t, c.Do(t, "GET", "/admin/api/venues"+strings.ReplaceAll(tc.query, " ", "+"), nil, nil), http.StatusOK)
			wantPage(t, r, tc.total, tc.want)
		})
	}
	t.Run("ErrBadPage", func(t *testing.T) {
		c.Do(t, "GET", "/admin/api/venues?per_page=101", nil, nil).WantError(t, http.StatusBadRequest, "bad_request")
	})
}
