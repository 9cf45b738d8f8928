//go:build integration

package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"boxoffice/internal/auth"
	"boxoffice/internal/testenv"
)

// ifMatch is an If-Match header naming version.
func ifMatch(version int64) http.Header {
	return http.Header{"If-Match": {fmt.Sprintf(`"%d"`, version)}}
}

// csvHeader marks a body as text/csv, with If-Match version.
func csvHeader(version int64) http.Header {
	h := ifMatch(version)
	h.Set("Content-Type", "text/csv")
	return h
}

// num returns the JSON number at key of r's body.
func num(t *testing.T, r *testenv.Response, key string) int64 {
	t.Helper()
	v, ok := r.JSON[key].(float64)
	if !ok {
		t.Fatalf("body has no number %q: %s", key, r.Body)
	}
	return int64(v)
}

// want fails the test unless r has the status.
func want(t *testing.T, r *testenv.Response, status int) *testenv.Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("got %d %s, want %d", r.Status, r.Body, status)
	}
	return r
}

// wantVersioned checks r carries ETag "<version>" matching the body's
// version, and returns that version.
func wantVersioned(t *testing.T, r *testenv.Response) int64 {
	t.Helper()
	v := num(t, r, "version")
	if got, want := r.Header.Get("ETag"), fmt.Sprintf(`"%d"`, v); got != want {
		t.Errorf("ETag = %q, want %q", got, want)
	}
	return v
}

// wantStale checks r is 409 version_conflict naming the current version.
func wantStale(t *testing.T, r *testenv.Response, current int64) {
	t.Helper()
	r.WantError(t, http.StatusConflict, "version_conflict")
	if got := num(t, r, "current_version"); got != current {
		t.Errorf("current_version = %d, want %d", got, current)
	}
}

// wantMessage checks the error message mentions each of parts.
func wantMessage(t *testing.T, r *testenv.Response, parts ...string) {
	t.Helper()
	msg, _ := r.JSON["message"].(string)
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("message %q does not mention %q", msg, p)
		}
	}
}

// ids returns the JSON list of numbers at v as int64s.
func ids(v any) []int64 {
	list, _ := v.([]any)
	out := make([]int64, len(list))
	for i, x := range list {
		f, _ := x.(float64)
		out[i] = int64(f)
	}
	return out
}

// wantPage checks a list answer holds the items with these ids, in order,
// of total in all.
func wantPage(t *testing.T, r *testenv.Response, total int64, want []int64) {
	t.Helper()
	got := []int64{}
	for _, it := range r.JSON["items"].([]any) {
		got = append(got, int64(it.(map[string]any)["id"].(float64)))
	}
	if num(t, r, "total") != total || !reflect.DeepEqual(got, append([]int64{}, want...)) {
		t.Errorf("got ids %v of %d, want %v of %d", got, num(t, r, "total"), want, total)
	}
}

// newVenue creates a uniquely named venue and returns its id.
func newVenue(t *testing.T, c *testenv.Client) int64 {
	t.Helper()
	r := want(t, c.Do(t, "POST", "/admin/api/venues",
		map[string]string{"name": "Venue " + testenv.Unique(), "city": "Testville"}, nil), http.StatusCreated)
	return num(t, r, "id")
}

// newShow creates a uniquely titled draft show and returns its id.
func newShow(t *testing.T, c *testenv.Client) int64 {
	t.Helper()
	r := want(t, c.Do(t, "POST", "/admin/api/shows",
		map[string]string{"title": "Show " + testenv.Unique()}, nil), http.StatusCreated)
	return num(t, r, "id")
}

// sessionBody is a valid session of the show at the venue, starting at
// starts (its windows the days before).
func sessionBody(showID, venueID int64, starts time.Time) map[string]any {
	day := 24 * time.Hour
	f := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	return map[string]any{"show_id": showID, "venue_id": venueID, "starts_at": f(starts),
		"reserve_opens_at": f(starts.Add(-9 * day)), "reserve_closes_at": f(starts.Add(-5 * day)),
		"sale_opens_at": f(starts.Add(-4 * day)), "sale_closes_at": f(starts.Add(-day))}
}

// jan2030 is when test sessions start unless a test needs otherwise.
var jan2030 = time.Date(2030, 1, 10, 20, 0, 0, 0, time.UTC)

// newSession creates a DRAFT session of a new show at the venue.
func newSession(t *testing.T, c *testenv.Client, venueID int64) *testenv.Response {
	t.Helper()
	return want(t, c.Do(t, "POST", "/admin/api/sessions", sessionBody(newShow(t, c), venueID, jan2030), nil),
		http.StatusCreated)
}

// setState moves a session's state in SQL, as the sale actions would.
func setState(t *testing.T, sessionID int64, state string) {
	t.Helper()
	_, err := testenv.DB(t).ExecContext(context.Background(), "UPDATE sessions SET state = ? WHERE id = ?", state, sessionID)
	if err != nil {
		t.Fatalf("set session %d %s: %v", sessionID, state, err)
	}
}

// buyer is an edge client with a valid token of the user role.
func buyer(t *testing.T) *testenv.Client {
	t.Helper()
	c := testenv.Edge(t)
	token, _, err := auth.NewKeys(testenv.Config(t)).Sign(1, auth.RoleUser, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c.Token = token
	return c
}

// seatsCSV renders seats as an upload with the header line.
func seatsCSV(rows ...string) []byte {
	return []byte("section,row,number,x,y,tier\n" + strings.Join(rows, "\n") + "\n")
}
