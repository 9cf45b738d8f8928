//go:build integration

package admin_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/testenv"
)

// BenchmarkArm arms a 50,000-seat session with 500,000 reservations through
// the admin API: reading MySQL, building the sale Redis keys and the Bloom
// filter, and switching them in. Run it with `make bench-arm`.
func BenchmarkArm(b *testing.B) {
	db := testenv.DB(b)
	id := benchSession(b, db, 50_000, 500_000)
	c := testenv.Admin(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		began := time.Now()
		r := c.Do(b, "POST", action(id, "arm"), nil, nil)
		if r.Status != 200 {
			b.Fatalf("arm = %d %s", r.Status, r.Body)
		}
		b.Logf("arm %d: %s end to end, %v ms in the sale Redis", i+1, time.Since(began).Round(time.Millisecond), r.JSON["took_ms"])
	}
}

// benchSession returns the benchmark's session, creating it once: its
// venue, seats, buyers and reservations stay for the next run.
func benchSession(b *testing.B, db *sqlx.DB, seats, reserved int) int64 {
	b.Helper()
	name := fmt.Sprintf("bench-arm-%d-%d", seats, reserved)
	var id int64
	if err := db.Get(&id, `SELECT se.id FROM sessions se JOIN shows sh ON sh.id = se.show_id WHERE sh.title = ?`, name); err == nil {
		return id
	}
	b.Logf("creating %d seats and %d reservations (once)", seats, reserved)
	s := testenv.NewSession(b, db, testenv.SessionSpec{Seats: seats})
	prefix := testenv.Unique()[:6]
	for start := 0; start < reserved; start += 5000 {
		var rows []string
		var args []any
		for i := start; i < min(start+5000, reserved); i++ {
			rows, args = append(rows, "(?, 'x', 'user')"), append(args, fmt.Sprintf("+b%s%07d", prefix, i))
		}
		if _, err := db.Exec(`INSERT INTO users (phone, password_hash, role) VALUES `+strings.Join(rows, ","), args...); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO reservations (session_id, user_id)
		SELECT ?, id FROM users WHERE phone LIKE ?`, s.ID, "+b"+prefix+"%"); err != nil {
		b.Fatal(err)
	}
	// Named last, so a setup that failed halfway is not reused.
	if _, err := db.Exec(`UPDATE shows SET title = ? WHERE id = ?`, name, s.ShowID); err != nil {
		b.Fatal(err)
	}
	return s.ID
}
