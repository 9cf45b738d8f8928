package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/auth"
	"boxoffice/internal/mysql"
)

// DB opens the test stack's database; it is closed when the test ends.
func DB(tb testing.TB) *sqlx.DB {
	tb.Helper()
	db, err := mysql.Open(Config(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Unique returns a short random string for names that must not collide.
func Unique() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// SessionSpec describes a session to create; zero fields get defaults:
// 20 seats, tiers A (10000) and B (5000), a published show, state
// RESERVING, reservations open now, the sale an hour from now.
type SessionSpec struct {
	Seats       int
	Tiers       map[string]int64 // code → price in cents; seats take them in turn
	State       string
	Draft       bool // the show stays a draft
	ReserveOpen time.Time
	ReserveEnd  time.Time
	SaleOpen    time.Time
	SaleEnd     time.Time
	Limit       int
	HoldSeconds int
	Hall        bool // a concert hall (see hallSeats) instead of one section of 100-seat rows; Seats is ignored
}

// Session is a created session and its ids.
type Session struct {
	ID, ShowID, VenueID int64
	SeatIDs             []int64
	Seats               []Seat // the seats of SeatIDs, in the same order
	Tiers               []string
}

// Seat is a seat of a fixture venue.
type Seat struct {
	Section, Row string
	Number, X, Y int
	Tier         string
}

// NewSession inserts a venue with seats, a show, a session and its tiers.
func NewSession(tb testing.TB, db *sqlx.DB, spec SessionSpec) *Session {
	tb.Helper()
	defaults(&spec)
	ctx := context.Background()
	name := "t-" + Unique()
	s := &Session{}
	must := func(res interface{ LastInsertId() (int64, error) }, err error) int64 {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		id, _ := res.LastInsertId()
		return id
	}
	venue, city, address, title, artist := name, "Testville", "1 Test St", name, "Test Artist"
	if spec.Hall {
		venue, city, address, title, artist = "Riverside Arena "+name, "Shanghai", "88 Riverside Road", "Summer Lights Tour "+name, "The Lanterns"
	}
	s.VenueID = must(db.ExecContext(ctx, `INSERT INTO venues (name, city, address) VALUES (?, ?, ?)`, venue, city, address))
	status := "published"
	if spec.Draft {
		status = "draft"
	}
	s.ShowID = must(db.ExecContext(ctx, `INSERT INTO shows (title, artist, status) VALUES (?, ?, ?)`, title, artist, status))
	s.ID = must(db.ExecContext(ctx, `INSERT INTO sessions (show_id, venue_id, starts_at, reserve_opens_at,
		reserve_closes_at, sale_opens_at, sale_closes_at, seat_limit, hold_seconds, state)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, s.ShowID, s.VenueID, spec.SaleEnd, spec.ReserveOpen, spec.ReserveEnd,
		spec.SaleOpen, spec.SaleEnd, spec.Limit, spec.HoldSeconds, spec.State))
	for code := range spec.Tiers {
		s.Tiers = append(s.Tiers, code)
	}
	sort.Strings(s.Tiers)
	for _, code := range s.Tiers {
		must(db.ExecContext(ctx, `INSERT INTO price_tiers (session_id, code, name, price_cents) VALUES (?, ?, ?, ?)`,
			s.ID, code, "Tier "+code, spec.Tiers[code]))
	}
	if spec.Hall {
		s.Seats = hallSeats()
	} else {
		s.Seats = gridSeats(spec.Seats, s.Tiers)
	}
	s.SeatIDs = insertSeats(tb, db, s.VenueID, s.Seats)
	return s
}

func defaults(spec *SessionSpec) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	if spec.Seats == 0 {
		spec.Seats = 20
	}
	switch {
	case spec.Tiers != nil:
	case spec.Hall:
		spec.Tiers = map[string]int64{"A": 88000, "B": 58000, "C": 38000, "VIP": 128000}
	default:
		spec.Tiers = map[string]int64{"A": 10000, "B": 5000}
	}
	if spec.State == "" {
		spec.State = "RESERVING"
	}
	if spec.ReserveOpen.IsZero() {
		spec.ReserveOpen = now.Add(-time.Minute)
	}
	if spec.ReserveEnd.IsZero() {
		spec.ReserveEnd = now.Add(time.Hour)
	}
	if spec.SaleOpen.IsZero() {
		spec.SaleOpen = spec.ReserveEnd
	}
	if spec.SaleEnd.IsZero() {
		spec.SaleEnd = spec.SaleOpen.Add(24 * time.Hour)
	}
	if spec.Limit == 0 {
		spec.Limit = 4
	}
	if spec.HoldSeconds == 0 {
		spec.HoldSeconds = 900
	}
}

// gridSeats is section S of n seats in rows of 100 (R0, R1, ...), 10
// apart, taking the tiers in turn.
func gridSeats(n int, tiers []string) []Seat {
	seats := make([]Seat, n)
	for i := range seats {
		seats[i] = Seat{Section: "S", Row: fmt.Sprintf("R%d", i/100), Number: i%100 + 1, X: i % 100 * 10, Y: i / 100 * 10, Tier: tiers[i%len(tiers)]}
	}
	return seats
}

// hallSeats is a concert hall of 1,360 seats facing a stage at the top:
// floor sections A, B, C (VIP in front, then A), stands L and R (B) on
// the sides, and a rear stand D (B, then C), seats 10 apart.
func hallSeats() []Seat {
	var seats []Seat
	block := func(section string, x0, y0, rows, perRow int, tier func(row int) string) {
		for r := 1; r <= rows; r++ {
			for n := 1; n <= perRow; n++ {
				seats = append(seats, Seat{Section: section, Row: fmt.Sprint(r), Number: n,
					X: x0 + (n-1)*10, Y: y0 + (r-1)*10, Tier: tier(r)})
			}
		}
	}
	floor := func(r int) string {
		if r <= 4 {
			return "VIP"
		}
		return "A"
	}
	block("A", 0, 60, 12, 14, floor)
	block("B", 160, 60, 12, 14, floor)
	block("C", 320, 60, 12, 14, floor)
	stand := func(int) string { return "B" }
	block("L", -120, 60, 16, 8, stand)
	block("R", 500, 60, 16, 8, stand)
	block("D", -70, 240, 10, 56, func(r int) string {
		if r <= 4 {
			return "B"
		}
		return "C"
	})
	return seats
}

func insertSeats(tb testing.TB, db *sqlx.DB, venueID int64, seats []Seat) []int64 {
	tb.Helper()
	for start := 0; start < len(seats); start += 1000 {
		var rows []string
		var args []any
		for _, s := range seats[start:min(start+1000, len(seats))] {
			rows = append(rows, "(?, ?, ?, ?, ?, ?, ?)")
			args = append(args, venueID, s.Section, s.Row, s.Number, s.X, s.Y, s.Tier)
		}
		if _, err := db.Exec(`INSERT INTO seats (venue_id, section, row_label, number, x, y, tier_code) VALUES `+
			strings.Join(rows, ","), args...); err != nil {
			tb.Fatal(err)
		}
	}
	var ids []int64
	if err := db.Select(&ids, `SELECT id FROM seats WHERE venue_id = ? ORDER BY id`, venueID); err != nil {
		tb.Fatal(err)
	}
	return ids
}

// Buyer is a created buyer with a valid token.
type Buyer struct {
	ID    int64
	Phone string
	Token string
}

// NewBuyers inserts n buyers (password "password") and mints their tokens.
func NewBuyers(tb testing.TB, db *sqlx.DB, n int) []Buyer {
	tb.Helper()
	keys := auth.NewKeys(Config(tb))
	// A cheap hash: these buyers log in with tokens minted here.
	const hash = "$2a$04$q9M0mJdHkJxGmXoA7g0B6uBvqj1Tq0XQ9oG7sH4bI3Qn1Zb9l8y5W"
	out := make([]Buyer, 0, n)
	for start := 0; start < n; start += 1000 {
		var rows []string
		var args []any
		for i := start; i < min(start+1000, n); i++ {
			phone := fmt.Sprintf("+99%013d", randomInt())
			out = append(out, Buyer{Phone: phone})
			rows, args = append(rows, "(?, ?, 'user')"), append(args, phone, hash)
		}
		if _, err := db.Exec(`INSERT INTO users (phone, password_hash, role) VALUES `+strings.Join(rows, ","), args...); err != nil {
			tb.Fatal(err)
		}
		phones := make([]any, 0, len(rows))
		for _, b := range out[start:] {
			phones = append(phones, b.Phone)
		}
		q, qargs, _ := sqlx.In(`SELECT id, phone FROM users WHERE phone IN (?)`, phones)
		var got []struct {
			ID    int64  `db:"id"`
			Phone string `db:"phone"`
		}
		if err := db.Select(&got, q, qargs...); err != nil {
			tb.Fatal(err)
		}
		ids := map[string]int64{}
		for _, g := range got {
			ids[g.Phone] = g.ID
		}
		for i := start; i < len(out); i++ {
			out[i].ID = ids[out[i].Phone]
			out[i].Token, _, _ = keys.Sign(out[i].ID, auth.RoleUser, time.Now())
		}
	}
	return out
}

func randomInt() uint64 {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	var n uint64
	for _, x := range b {
		n = n<<8 | uint64(x)
	}
	return n % 1e13
}

// Reserve inserts reservations of the buyers for session id.
func Reserve(tb testing.TB, db *sqlx.DB, id int64, buyers []Buyer) {
	tb.Helper()
	for start := 0; start < len(buyers); start += 1000 {
		var rows []string
		var args []any
		for _, b := range buyers[start:min(start+1000, len(buyers))] {
			rows, args = append(rows, "(?, ?)"), append(args, id, b.ID)
		}
		if _, err := db.Exec(`INSERT INTO reservations (session_id, user_id) VALUES `+strings.Join(rows, ","), args...); err != nil {
			tb.Fatal(err)
		}
	}
}
