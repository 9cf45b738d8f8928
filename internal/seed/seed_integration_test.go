//go:build integration

package seed_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"boxoffice/internal/seed"
	"boxoffice/internal/testenv"
)

const demoPassword = "demo-password"

var demoTables = []string{"venues", "seats", "shows", "sessions", "price_tiers", "users", "reservations"}

func TestDemo(t *testing.T) {
	ctx := context.Background()
	db := testenv.ScratchDB(t, true)
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

	first, err := seed.Demo(ctx, db, demoPassword, now)
	if err != nil {
		t.Fatalf("first Demo: %v", err)
	}
	counts, hashes := rowCounts(t, db), passwordHashes(t, db)

	t.Run("summary", func(t *testing.T) {
		want := seed.Summary{VenueID: first.VenueID, ShowID: first.ShowID, SessionID: first.SessionID,
			SeatCount: len(seed.Layout()), AdminEmail: "admin@boxoffice.local",
			BuyerPhones: []string{"13800000001", "13800000002", "13800000003"}}
		if !reflect.DeepEqual(*first, want) {
			t.Errorf("summary = %+v, want %+v", *first, want)
		}
	})
	t.Run("row counts", func(t *testing.T) {
		want := map[string]int{"venues": 1, "seats": 2000, "shows": 1, "sessions": 1,
			"price_tiers": 3, "users": 4, "reservations": 3}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("counts = %v, want %v", counts, want)
		}
	})
	t.Run("session is on sale now", func(t *testing.T) { checkSession(t, db, first.SessionID, now) })
	t.Run("every seat has a price", func(t *testing.T) { checkPrices(t, db, first) })
	t.Run("logins verify", func(t *testing.T) {
		for login, hash := range hashes {
			if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(demoPassword)); err != nil {
				t.Errorf("%s: password does not verify: %v", login, err)
			}
		}
	})
	t.Run("second run changes nothing", func(t *testing.T) {
		second, err := seed.Demo(ctx, db, demoPassword, now.Add(36*time.Hour))
		if err != nil {
			t.Fatalf("second Demo: %v", err)
		}
		if !reflect.DeepEqual(second, first) {
			t.Errorf("second summary = %+v, want %+v", *second, *first)
		}
		if got := rowCounts(t, db); !reflect.DeepEqual(got, counts) {
			t.Errorf("counts = %v, want %v", got, counts)
		}
		if got := passwordHashes(t, db); !reflect.DeepEqual(got, hashes) {
			t.Error("password hashes changed")
		}
		checkSession(t, db, first.SessionID, now)
	})
	t.Run("new password replaces hashes", func(t *testing.T) {
		if _, err := seed.Demo(ctx, db, "another-password", now); err != nil {
			t.Fatalf("Demo: %v", err)
		}
		for login, hash := range passwordHashes(t, db) {
			if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("another-password")); err != nil {
				t.Errorf("%s: new password does not verify: %v", login, err)
			}
		}
	})
	t.Run("short password is refused", func(t *testing.T) {
		if _, err := seed.Demo(ctx, db, "short", now); err == nil {
			t.Error("Demo(short) = nil error, want one")
		}
	})
}

func TestDemoFillsMissingSeats(t *testing.T) {
	ctx := context.Background()
	db := testenv.ScratchDB(t, true)
	sum, err := seed.Demo(ctx, db, demoPassword, time.Now())
	if err != nil {
		t.Fatalf("Demo: %v", err)
	}
	var keep int64
	if err := db.GetContext(ctx, &keep, "SELECT MIN(id) FROM seats"); err != nil {
		t.Fatalf("select: %v", err)
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM seats WHERE id > ? AND section = 'Right'", keep); err != nil {
		t.Fatalf("delete: %v", err)
	}
	again, err := seed.Demo(ctx, db, demoPassword, time.Now())
	if err != nil {
		t.Fatalf("second Demo: %v", err)
	}
	if again.SeatCount != sum.SeatCount || rowCounts(t, db)["seats"] != sum.SeatCount {
		t.Errorf("seats = %d (summary %d), want %d", rowCounts(t, db)["seats"], again.SeatCount, sum.SeatCount)
	}
}

func checkSession(t *testing.T, db *sqlx.DB, id int64, now time.Time) {
	t.Helper()
	var s struct {
		State        string    `db:"state"`
		Limit        int       `db:"seat_limit"`
		Hold         int       `db:"hold_seconds"`
		ReserveClose time.Time `db:"reserve_closes_at"`
		SaleOpen     time.Time `db:"sale_opens_at"`
		SaleClose    time.Time `db:"sale_closes_at"`
		Starts       time.Time `db:"starts_at"`
	}
	err := db.Get(&s, `SELECT state, seat_limit, hold_seconds, reserve_closes_at, sale_opens_at,
		sale_closes_at, starts_at FROM sessions WHERE id = ?`, id)
	if err != nil {
		t.Fatalf("select session: %v", err)
	}
	if s.State != "ON_SALE" || s.Limit != 4 || s.Hold != 900 {
		t.Errorf("session = %s, limit %d, hold %d; want ON_SALE, 4, 900", s.State, s.Limit, s.Hold)
	}
	if !s.ReserveClose.Before(now) || !s.SaleOpen.Before(now) || !s.SaleClose.After(now.Add(29*24*time.Hour)) {
		t.Errorf("windows: reserve closes %v, sale %v..%v; want reservation over and sale open at %v",
			s.ReserveClose, s.SaleOpen, s.SaleClose, now)
	}
	if !s.Starts.After(s.SaleClose) {
		t.Errorf("starts at %v, want after the sale closes (%v)", s.Starts, s.SaleClose)
	}
}

func checkPrices(t *testing.T, db *sqlx.DB, sum *seed.Summary) {
	t.Helper()
	var unpriced int
	err := db.Get(&unpriced, `SELECT COUNT(*) FROM seats s
		LEFT JOIN price_tiers p ON p.session_id = ? AND p.code = s.tier_code
		WHERE s.venue_id = ? AND p.id IS NULL`, sum.SessionID, sum.VenueID)
	if err != nil || unpriced != 0 {
		t.Errorf("seats without a price tier = %d, %v; want 0", unpriced, err)
	}
	var reserved int
	err = db.Get(&reserved, `SELECT COUNT(*) FROM reservations r JOIN users u ON u.id = r.user_id
		WHERE r.session_id = ? AND u.role = 'user'`, sum.SessionID)
	if err != nil || reserved != len(sum.BuyerPhones) {
		t.Errorf("reserved buyers = %d, %v; want %d", reserved, err, len(sum.BuyerPhones))
	}
}

func rowCounts(t *testing.T, db *sqlx.DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range demoTables {
		var n int
		// Table names come from the list above, not from input.
		if err := db.Get(&n, "SELECT COUNT(*) FROM "+table); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

func passwordHashes(t *testing.T, db *sqlx.DB) map[string]string {
	t.Helper()
	rows, err := db.Query("SELECT COALESCE(email, phone), password_hash FROM users")
	if err != nil {
		t.Fatalf("select users: %v", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var login, hash string
		if err := rows.Scan(&login, &hash); err != nil {
			t.Fatalf("scan: %v", err)
		}
		out[login] = hash
	}
	return out
}
