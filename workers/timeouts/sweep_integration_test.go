//go:build integration

package timeouts_test

import (
	"context"
	"testing"
	"time"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/integrity"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// The shared timeouts daemon of the test stack sweeps every 2 s
// (BOXOFFICE_SWEEP_INTERVAL in the Makefile).

func TestSweep(t *testing.T) {
	f := newFixture(t, testenv.SessionSpec{Seats: 6}, 2)
	ctx := context.Background()
	seat := f.sess.SeatIDs

	// wantCancelled waits for an order the sale Redis never had to end
	// TIMEOUT_CANCELLED with its seats freed.
	wantCancelled := func(t *testing.T, no string) {
		t.Helper()
		f.waitStatus(t, no, "TIMEOUT_CANCELLED")
		var reason string
		var live int
		if err := f.db.Get(&reason, `SELECT cancel_reason FROM orders WHERE order_no = ?`, no); err != nil || reason != "timeout" {
			t.Errorf("cancel_reason = %q (%v), want timeout", reason, err)
		}
		if err := f.db.Get(&live, `SELECT COUNT(*) FROM order_items oi JOIN orders o ON o.id = oi.order_id
			WHERE o.order_no = ? AND oi.active = 1`, no); err != nil || live != 0 {
			t.Errorf("%d items still active (%v)", live, err)
		}
	}

	t.Run("LostHoldLocked", func(t *testing.T) {
		wantCancelled(t, f.insertOrder(t, 0, "LOCKED", time.Now().Add(-10*time.Second), seat[0]))
	})
	t.Run("LostHoldPaying", func(t *testing.T) {
		wantCancelled(t, f.insertOrder(t, 0, "PAYING", time.Now().Add(-10*time.Second), seat[1]))
	})
	t.Run("NotDueLeftAlone", func(t *testing.T) {
		no := f.insertOrder(t, 1, "LOCKED", time.Now().Add(time.Hour), seat[2])
		overdue := f.insertOrder(t, 1, "LOCKED", time.Now().Add(-10*time.Second), seat[3])
		wantCancelled(t, overdue) // a sweep ran after both were written
		if got := testenv.OrderStatus(t, f.db, no); got != "LOCKED" {
			t.Errorf("an order due in an hour is %s, want LOCKED", got)
		}
	})
	t.Run("LostExpiryEntry", func(t *testing.T) {
		// The hold is in the sale Redis but its expiry entry is gone: only
		// the sweep can find it, once it is overdue (in both stores).
		no := f.grab(t, 1, seat[4])
		if err := f.rdb.ZRem(ctx, sale.KeysFor(f.sess.ID).Key("expiry"), no).Err(); err != nil {
			t.Fatal(err)
		}
		f.waitStatus(t, no, "LOCKED")
		testenv.Expire(t, f.rdb, no)
		if _, err := f.db.Exec(`UPDATE orders SET expire_at = ? WHERE order_no = ?`, time.Now().Add(-10*time.Second), no); err != nil {
			t.Fatal(err)
		}
		if h := f.waitHold(t, no, boxoffice.HoldReleased); h.Reason != "timeout" {
			t.Errorf("reason = %q, want timeout", h.Reason)
		}
		f.wantConsistent(t)
		f.waitStatus(t, no, "TIMEOUT_CANCELLED")
	})
}

// TestSweepLeavesDisputes: an overdue order on a seat kept out of sale by
// an integrity conflict, or of a session being repaired, waits for the
// admin or the repair: the sweep leaves it LOCKED while it cancels an
// order that fell due after them.
func TestSweepLeavesDisputes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testenv.SessionSpec{Seats: 4, HoldSeconds: 600}, 2)
	g := newFixture(t, testenv.SessionSpec{Seats: 2, HoldSeconds: 600}, 1)
	// g is being repaired, and stays so: out of the loss check's reach.
	if err := f.rdb.SRem(ctx, sale.Sessions, g.sess.ID).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := sale.MarkRecovering(ctx, g.rdb, g.sess.ID); err != nil {
		t.Fatal(err)
	}
	conf := boxoffice.Conflict{Kind: boxoffice.ConflictSeatTaken, OrderNo: "B1-1-1", Detail: "test: both sides"}
	if _, err := integrity.Flag(ctx, f.db, f.rdb, f.sess.ID, conf, []int64{f.sess.SeatIDs[0]}); err != nil {
		t.Fatal(err)
	}
	flagged := f.insertOrder(t, 0, boxoffice.OrderLocked, time.Now().Add(-30*time.Second), f.sess.SeatIDs[0])
	repairing := g.insertOrder(t, 0, boxoffice.OrderLocked, time.Now().Add(-30*time.Second), g.sess.SeatIDs[0])
	later := f.insertOrder(t, 1, boxoffice.OrderLocked, time.Now().Add(-10*time.Second), f.sess.SeatIDs[1])

	f.waitStatus(t, later, boxoffice.OrderTimeoutCancelled) // a sweep passed over the other two first
	for _, no := range []string{flagged, repairing} {
		if got := testenv.OrderStatus(t, f.db, no); got != boxoffice.OrderLocked {
			t.Errorf("disputed order %s is %s after a sweep, want LOCKED", no, got)
		}
	}
}
