//go:build integration

package admin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/integrity"
	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

func action(id int64, verb string) string { return fmt.Sprintf("/admin/api/sessions/%d/%s", id, verb) }

func sessionState(t *testing.T, id int64) string {
	t.Helper()
	var state string
	if err := testenv.DB(t).Get(&state, `SELECT state FROM sessions WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	return state
}

func TestSaleLifecycle(t *testing.T) {
	db := testenv.DB(t)
	s := testenv.NewSession(t, db, testenv.SessionSpec{Seats: 30})
	buyers := testenv.NewBuyers(t, db, 3)
	testenv.Reserve(t, db, s.ID, buyers)
	c := testenv.Admin(t)

	t.Run("ErrOpenBeforeArm", func(t *testing.T) {
		r := c.Do(t, "POST", action(s.ID, "open"), nil, nil)
		r.WantError(t, 409, "conflict")
		if r.JSON["current_state"] != "RESERVING" {
			t.Errorf("body %s does not name the current state", r.Body)
		}
	})
	t.Run("Arm", func(t *testing.T) {
		r := c.Do(t, "POST", action(s.ID, "arm"), nil, nil)
		if r.Status != 200 || r.JSON["state"] != "ARMED" {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
		if got := sessionState(t, s.ID); got != "ARMED" {
			t.Errorf("MySQL state = %s, want ARMED", got)
		}
	})
	t.Run("Stats", func(t *testing.T) {
		r := c.Do(t, "GET", action(s.ID, "stats"), nil, nil)
		tiers, _ := r.JSON["tiers"].(map[string]any)
		a, _ := tiers["A"].(map[string]any)
		if r.Status != 200 || r.JSON["reservations"] != float64(3) || a["available"] != float64(15) || a["sold"] != float64(0) {
			t.Errorf("got %d %s, want 3 reservations and 15 available in tier A", r.Status, r.Body)
		}
	})
	t.Run("ReArm", func(t *testing.T) {
		if r := c.Do(t, "POST", action(s.ID, "arm"), nil, nil); r.Status != 200 {
			t.Errorf("re-arm = %d %s", r.Status, r.Body)
		}
	})
	t.Run("Open", func(t *testing.T) {
		if r := c.Do(t, "POST", action(s.ID, "open"), nil, nil); r.Status != 200 || r.JSON["state"] != "ON_SALE" {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
		if got := sessionState(t, s.ID); got != "ON_SALE" {
			t.Errorf("MySQL state = %s", got)
		}
	})
	t.Run("ErrArmOnSale", func(t *testing.T) {
		c.Do(t, "POST", action(s.ID, "arm"), nil, nil).WantError(t, 409, "conflict")
	})
	t.Run("ErrOpenTwice", func(t *testing.T) {
		c.Do(t, "POST", action(s.ID, "open"), nil, nil).WantError(t, 409, "conflict")
	})
	t.Run("Close", func(t *testing.T) {
		if r := c.Do(t, "POST", action(s.ID, "close"), nil, nil); r.Status != 200 || r.JSON["state"] != "CLOSED" {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
		st, err := sale.LiveStats(context.Background(), redis.NewSale(testenv.Config(t)), s.ID)
		if err != nil || st.State != "CLOSED" {
			t.Errorf("sale Redis state = %+v, %v; want CLOSED", st, err)
		}
	})
	t.Run("ErrCloseTwice", func(t *testing.T) {
		c.Do(t, "POST", action(s.ID, "close"), nil, nil).WantError(t, 409, "conflict")
	})
}

func TestArmErrors(t *testing.T) {
	db := testenv.DB(t)
	c := testenv.Admin(t)
	t.Run("ErrDraft", func(t *testing.T) {
		s := testenv.NewSession(t, db, testenv.SessionSpec{State: "DRAFT"})
		c.Do(t, "POST", action(s.ID, "arm"), nil, nil).WantError(t, 409, "conflict")
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		c.Do(t, "POST", action(1<<40, "arm"), nil, nil).WantError(t, 404, "not_found")
	})
	t.Run("ErrBadID", func(t *testing.T) {
		c.Do(t, "POST", "/admin/api/sessions/abc/arm", nil, nil).WantError(t, 400, "bad_request")
	})
	t.Run("ErrUnpricedTier", func(t *testing.T) {
		s := testenv.NewSession(t, db, testenv.SessionSpec{})
		if _, err := db.Exec(`DELETE FROM price_tiers WHERE session_id = ? AND code = 'B'`, s.ID); err != nil {
			t.Fatal(err)
		}
		r := c.Do(t, "POST", action(s.ID, "arm"), nil, nil)
		r.WantError(t, 409, "conflict")
		if fmt.Sprint(r.JSON["unpriced_tiers"]) != "[B]" {
			t.Errorf("body %s does not name tier B", r.Body)
		}
	})
	t.Run("ErrOpenNotArmedInRedis", func(t *testing.T) {
		s := testenv.NewSession(t, db, testenv.SessionSpec{State: "ARMED"})
		r := c.Do(t, "POST", action(s.ID, "open"), nil, nil)
		r.WantError(t, 409, "conflict")
		if got := sessionState(t, s.ID); got != "ARMED" {
			t.Errorf("MySQL state = %s after a refused open, want ARMED", got)
		}
	})
	t.Run("ErrStatsNotArmed", func(t *testing.T) {
		s := testenv.NewSession(t, db, testenv.SessionSpec{})
		c.Do(t, "GET", action(s.ID, "stats"), nil, nil).WantError(t, 404, "not_found")
	})
}

// Re-arming after some sales keeps the sold seats sold: those MySQL
// recorded and those only the sale Redis knows yet.
func TestReArmKeepsSoldSeats(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	s := testenv.NewSession(t, db, testenv.SessionSpec{Seats: 10})
	buyer := testenv.NewBuyers(t, db, 1)[0]
	orderNo := "T" + testenv.Unique()
	res, err := db.Exec(`INSERT INTO orders (order_no, session_id, user_id, status, amount_cents, expire_at, paid_at)
		VALUES (?, ?, ?, 'PAID', 10000, ?, ?)`, orderNo, s.ID, buyer.ID, time.Now().Add(time.Hour), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	oid, _ := res.LastInsertId()
	if _, err := db.Exec(`INSERT INTO order_items (order_id, session_id, seat_id, price_cents) VALUES (?, ?, ?, 10000)`,
		oid, s.ID, s.SeatIDs[0]); err != nil {
		t.Fatal(err)
	}
	c := testenv.Admin(t)
	if r := c.Do(t, "POST", action(s.ID, "arm"), nil, nil); r.Status != 200 {
		t.Fatalf("arm = %d %s", r.Status, r.Body)
	}
	rdb := redis.NewSale(testenv.Config(t))
	defer rdb.Close()
	k := sale.KeysFor(s.ID)
	// A sale the sale Redis has made but MySQL has not recorded yet.
	second := fmt.Sprint(s.SeatIDs[1])
	rdb.HSet(ctx, k.Key("seats"), second, "S:redis-only")
	rdb.HIncrBy(ctx, k.Key("counts"), "avail:B", -1)
	rdb.HIncrBy(ctx, k.Key("counts"), "sold:B", 1)
	rdb.HIncrBy(ctx, k.Key("counts"), "avail", -1)

	if r := c.Do(t, "POST", action(s.ID, "arm"), nil, nil); r.Status != 200 {
		t.Fatalf("re-arm = %d %s", r.Status, r.Body)
	}
	seats, _ := rdb.HGetAll(ctx, k.Key("seats")).Result()
	if seats[fmt.Sprint(s.SeatIDs[0])] != "S:"+orderNo || seats[second] != "S:redis-only" {
		t.Errorf("after re-arm seats %d=%q %s=%q, want both sold", s.SeatIDs[0], seats[fmt.Sprint(s.SeatIDs[0])], second, seats[second])
	}
	st, _ := sale.LiveStats(ctx, rdb, s.ID)
	if st.Total != (sale.TierStats{Available: 8, Sold: 2}) {
		t.Errorf("totals = %+v, want 8 available and 2 sold", st.Total)
	}
}

// A seat flagged for a conflict is kept out of sale and listed on the
// stats until an admin clears it.
func TestSeatConflict(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 3}, 1)
	rdb := redis.NewSale(testenv.Config(t))
	defer rdb.Close()
	seat := s.SeatIDs[0]
	db := testenv.DB(t)
	conf := boxoffice.Conflict{Kind: boxoffice.ConflictReleaseOfPaid, OrderNo: "B1-1-1", Detail: "both sides"}
	if _, err := integrity.Flag(context.Background(), db, rdb, s.ID, conf, []int64{seat}); err != nil {
		t.Fatal(err)
	}
	buyer := testenv.Edge(t).As(buyers[0].Token)
	buyer.Grab(t, s.ID, "k-flagged", seat).WantError(t, 409, "seat_unavailable")

	c := testenv.Admin(t)
	r := c.Do(t, "GET", action(s.ID, "stats"), nil, nil)
	list, _ := r.JSON["conflicts"].([]any)
	if r.Status != 200 || len(list) != 1 || fmt.Sprint(list[0].(map[string]any)["seat_id"]) != fmt.Sprint(seat) ||
		list[0].(map[string]any)["kind"] != boxoffice.ConflictReleaseOfPaid {
		t.Fatalf("stats = %d %s, want the conflict of seat %d", r.Status, r.Body, seat)
	}
	r = c.Do(t, "GET", action(s.ID, "dashboard"), nil, nil)
	if alarms := fmt.Sprint(r.JSON["alarms"]); r.Status != 200 || !strings.Contains(alarms, fmt.Sprintf("seat %d is kept out of sale", seat)) {
		t.Fatalf("dashboard = %d, alarms %s: want the conflict of seat %d", r.Status, alarms, seat)
	}
	clear := fmt.Sprintf("conflicts/%d", seat)
	if r := c.Do(t, "DELETE", action(s.ID, clear), nil, nil); r.Status != 200 {
		t.Fatalf("clear = %d %s", r.Status, r.Body)
	}
	c.Do(t, "DELETE", action(s.ID, clear), nil, nil).WantError(t, 404, "not_found")
	var open int
	if err := db.Get(&open, `SELECT COUNT(*) FROM sale_conflicts WHERE session_id = ? AND cleared_at IS NULL`, s.ID); err != nil || open != 0 {
		t.Errorf("open conflicts in MySQL after clearing = %d, %v; want 0", open, err)
	}
	c.Do(t, "DELETE", action(s.ID, "conflicts/x"), nil, nil).WantError(t, 400, "bad_request")
	testenv.WaitAvailable(t, s.ID, seat)
	if r := buyer.Grab(t, s.ID, "k-cleared", seat); r.Status != 201 {
		t.Errorf("grab after clearing = %d %s", r.Status, r.Body)
	}
}

// An open whose MySQL write failed leaves the sale Redis ON_SALE and MySQL
// ARMED: arming is refused (the live sale untouched) until repeating the
// open brings MySQL in line.
func TestArmRefusedWhileRedisOnSale(t *testing.T) {
	db := testenv.DB(t)
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 4}, 1)
	rdb := redis.NewSale(testenv.Config(t))
	defer rdb.Close()
	r := testenv.Edge(t).As(buyers[0].Token).Grab(t, s.ID, testenv.Unique(), s.SeatIDs[0])
	if r.Status != 201 {
		t.Fatalf("grab = %d %s", r.Status, r.Body)
	}
	// The injected failure: MySQL did not take the open.
	if _, err := db.Exec(`UPDATE sessions SET state = 'ARMED' WHERE id = ?`, s.ID); err != nil {
		t.Fatal(err)
	}
	c := testenv.Admin(t)
	c.Do(t, "POST", action(s.ID, "arm"), nil, nil).WantError(t, 409, "conflict")
	st, err := sale.LiveStats(context.Background(), rdb, s.ID)
	if err != nil || st.State != "ON_SALE" || st.Total.Held != 1 {
		t.Errorf("sale Redis = %+v, %v; want ON_SALE with its hold", st, err)
	}
	if r := c.Do(t, "POST", action(s.ID, "open"), nil, nil); r.Status != 200 {
		t.Fatalf("repeated open = %d %s", r.Status, r.Body)
	}
	if got := sessionState(t, s.ID); got != "ON_SALE" {
		t.Errorf("MySQL state = %s after the repeated open, want ON_SALE", got)
	}
}
