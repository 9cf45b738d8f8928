//go:build integration

package catalog_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"

	"boxoffice/internal/catalog"
	"boxoffice/internal/mysql"
	"boxoffice/internal/redis"
	"boxoffice/internal/testenv"
)

// fixture is catalog data of one test, with names unique to it.
type fixture struct {
	Tag        string // random, in every name
	City       string
	Title      string
	Artist     string
	VenueID    int64
	ShowID     int64   // published
	Sessions   []int64 // of ShowID: [0] ON_SALE in 10 days, [1] RESERVING in 5 days, [2] DRAFT in 1 day
	SeatIDs    []int64
	DraftShow  int64 // unpublished, with one ON_SALE session
	DraftShowS int64
}

// The public sessions of a fixture, in start order.
func (f *fixture) publicSessions() []int64 { return []int64{f.Sessions[1], f.Sessions[0]} }

func openDB(t *testing.T) *sqlx.DB {
	t.Helper()
	db, err := mysql.Open(testenv.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func randomTag(t *testing.T) string {
	t.Helper()
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// newFixture inserts a venue with six seats in two tiers, a published show
// with three sessions (one DRAFT) and an unpublished show with one session.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := openDB(t)
	tag := randomTag(t)
	f := &fixture{Tag: tag, City: "Testcity " + tag, Title: "Catalog Test " + tag, Artist: "The " + tag + " Quartet"}
	f.VenueID = insert(t, db, "INSERT INTO venues (name, city, address) VALUES (?, ?, ?)",
		"Hall "+tag, f.City, "1 Test Road")
	for i := range 6 {
		tier := "VIP"
		if i >= 2 {
			tier = "A"
		}
		f.SeatIDs = append(f.SeatIDs, insert(t, db,
			"INSERT INTO seats (venue_id, section, row_label, `number`, x, y, tier_code) VALUES (?, 'Floor', ?, ?, ?, ?, ?)",
			f.VenueID, strconv.Itoa(1+i/3), 1+i%3, 10*(i%3), 20*(i/3), tier))
	}
	f.ShowID = insert(t, db, `INSERT INTO shows (title, artist, description, poster_url, status)
		VALUES (?, ?, 'A test show.', 'https://example.com/p.png', 'published')`, f.Title, f.Artist)
	for _, s := range []struct {
		days  int
		state string
	}{{10, "ON_SALE"}, {5, "RESERVING"}, {1, "DRAFT"}} {
		f.Sessions = append(f.Sessions, insertSession(t, db, f.ShowID, f.VenueID, s.days, s.state))
	}
	f.DraftShow = insert(t, db, "INSERT INTO shows (title, artist, status) VALUES (?, ?, 'draft')",
		"Draft "+f.Title, f.Artist)
	f.DraftShowS = insertSession(t, db, f.DraftShow, f.VenueID, 3, "ON_SALE")
	return f
}

// insertSession adds a session starting in days, with tiers VIP and A.
func insertSession(t *testing.T, db *sqlx.DB, showID, venueID int64, days int, state string) int64 {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	starts := now.Add(time.Duration(days) * 24 * time.Hour)
	id := insert(t, db, `INSERT INTO sessions (show_id, venue_id, starts_at, reserve_opens_at, reserve_closes_at,
		sale_opens_at, sale_closes_at, seat_limit, hold_seconds, state) VALUES (?, ?, ?, ?, ?, ?, ?, 4, 600, ?)`,
		showID, venueID, starts, now.Add(-48*time.Hour), now.Add(-24*time.Hour), now.Add(-time.Hour),
		starts.Add(-time.Hour), state)
	insert(t, db, "INSERT INTO price_tiers (session_id, code, name, price_cents) VALUES (?, 'VIP', 'VIP', 128000), (?, 'A', 'Tier A', 68000)", id, id)
	return id
}

func insert(t *testing.T, db *sqlx.DB, query string, args ...any) int64 {
	t.Helper()
	res, err := db.ExecContext(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	id, _ := res.LastInsertId()
	return id
}

// newCache returns a Cache of its own (own metrics) on the test stack's
// MySQL and cache Redis.
func newCache(t *testing.T, opts catalog.Options) (*catalog.Cache, *prometheus.Registry) {
	t.Helper()
	cfg := testenv.Config(t)
	rdb := redis.NewCache(cfg)
	t.Cleanup(func() { rdb.Close() })
	reg := prometheus.NewRegistry()
	c := catalog.New(slog.New(slog.DiscardHandler), openDB(t), rdb, reg, opts)
	t.Cleanup(c.Close)
	return c, reg
}

// apiClient talks to the api directly, bypassing the edge.
func apiClient(t *testing.T) *testenv.Client {
	t.Helper()
	return &testenv.Client{Base: "http://" + testenv.Config(t).APIAddr, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// regMetric reads one sample of a registry.
func regMetric(t *testing.T, reg *prometheus.Registry, name, kind string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == kind {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no metric %s{kind=%q}", name, kind)
	return 0
}

func showPath(id int64) string    { return fmt.Sprintf("/api/shows/%d", id) }
func sessionPath(id int64) string { return fmt.Sprintf("/api/sessions/%d", id) }
