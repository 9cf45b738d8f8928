//go:build integration

package timeouts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
	"boxoffice/workers/devkafka"
)

// The shared timeouts daemon of the test stack reconciles every second
// with a grace of 3 s (BOXOFFICE_RECONCILE_* in the Makefile).

// lostHold writes a hold record straight into the sale Redis, created 5 s
// ago, with no event in the outbox: a hold whose events Kafka lost.
func (f *fixture) lostHold(t *testing.T, buyer int, state, reason string, seat int64) *boxoffice.Hold {
	t.Helper()
	created := time.Now().Add(-5 * time.Second).UnixMilli()
	h := &boxoffice.Hold{OrderNo: fmt.Sprintf("B%d-%d-8%s", f.sess.ID, created, testenv.Unique()[:6]), SessionID: f.sess.ID,
		UserID: f.buyers[buyer].ID, SeatIDs: []int64{seat}, Amount: 10000, CreatedAt: created,
		ExpiresAt: created + int64(time.Hour/time.Millisecond), State: state, Reason: reason}
	if state == boxoffice.HoldSold {
		h.Txn = "lost-" + testenv.Unique()
	}
	raw, _ := sale.EncodeHold(*h)
	if err := f.rdb.HSet(context.Background(), sale.KeysFor(f.sess.ID).Key("holds"), h.OrderNo, raw).Err(); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestReconcile(t *testing.T) {
	f := newFixture(t, testenv.SessionSpec{Seats: 6, HoldSeconds: 600}, 3)
	seat := f.sess.SeatIDs
	locked := f.lostHold(t, 0, boxoffice.HoldLocked, "", seat[0])
	sold := f.lostHold(t, 1, boxoffice.HoldSold, "", seat[1])
	released := f.lostHold(t, 2, boxoffice.HoldReleased, "timeout", seat[2])

	t.Run("Locked", func(t *testing.T) {
		f.waitStatus(t, locked.OrderNo, "LOCKED")
		var expire time.Time
		var items []int64
		if err := f.db.Get(&expire, `SELECT expire_at FROM orders WHERE order_no = ?`, locked.OrderNo); err != nil {
			t.Fatal(err)
		}
		if expire.UnixMilli() != locked.ExpiresAt {
			t.Errorf("expire_at = %d, want the hold's %d", expire.UnixMilli(), locked.ExpiresAt)
		}
		if err := f.db.Select(&items, `SELECT oi.seat_id FROM order_items oi JOIN orders o ON o.id = oi.order_id
			WHERE o.order_no = ? AND oi.active = 1`, locked.OrderNo); err != nil || len(items) != 1 || items[0] != seat[0] {
			t.Errorf("items = %v (%v), want seat %d", items, err, seat[0])
		}
	})
	t.Run("Sold", func(t *testing.T) { f.waitStatus(t, sold.OrderNo, "PAID") })
	t.Run("Released", func(t *testing.T) { f.waitStatus(t, released.OrderNo, "TIMEOUT_CANCELLED") })
	t.Run("LostFinalEvent", func(t *testing.T) {
		// The row was written, then the hold was sold but hold.sold never
		// reached Kafka: the hold record says SOLD with no event after it.
		no := f.grab(t, 0, seat[3])
		f.waitStatus(t, no, "LOCKED")
		var rec map[string]any
		raw, err := f.rdb.HGet(context.Background(), sale.KeysFor(f.sess.ID).Key("holds"), no).Result()
		if err != nil || json.Unmarshal([]byte(raw), &rec) != nil {
			t.Fatalf("hold %s = %q, %v", no, raw, err)
		}
		rec["state"], rec["txn"], rec["sold_at"] = boxoffice.HoldSold, "lost-"+testenv.Unique(), time.Now().Add(-5*time.Second).UnixMilli()
		b, _ := json.Marshal(rec)
		if err := f.rdb.HSet(context.Background(), sale.KeysFor(f.sess.ID).Key("holds"), no, b).Err(); err != nil {
			t.Fatal(err)
		}
		f.waitStatus(t, no, "PAID")
	})
	t.Run("EmittedOnce", func(t *testing.T) {
		time.Sleep(2 * time.Second) // a few more reconciler passes, now that the rows exist
		events := kafkaEvents(t, []int64{f.sess.ID}, func(m map[string][]boxoffice.SaleEvent) (bool, string) {
			return len(m[locked.OrderNo]) > 0 && len(m[sold.OrderNo]) > 1 && len(m[released.OrderNo]) > 1,
				"the re-emitted events are not all on Kafka"
		})
		for _, h := range []*boxoffice.Hold{locked, sold, released} {
			if n := countType(events[h.OrderNo], boxoffice.EventHoldCreated, false); n != 1 {
				t.Errorf("order %s: %d hold.created on Kafka, want 1: re-emitted again after its row existed", h.OrderNo, n)
			}
		}
	})
}

// TestBrokerLoss loses events three ways: holds whose rows exist, holds
// whose events Kafka had taken (the relay is done with them) but the orders
// daemon had not read when the broker lost its data, and holds made while
// the broker was down. Every hold must end with exactly one order row; the
// second kind only the reconciler can restore.
func TestBrokerLoss(t *testing.T) {
	f := newFixture(t, testenv.SessionSpec{Seats: 12, HoldSeconds: 600}, 12)
	ctx := context.Background()
	seat := f.sess.SeatIDs
	var nos []string
	for i := range 4 {
		nos = append(nos, f.grab(t, i, seat[i]))
	}
	for _, no := range nos {
		f.waitStatus(t, no, "LOCKED")
	}

	stopped := false
	t.Cleanup(func() {
		if stopped {
			_, _ = testenv.Run(t, "dev", "up")
		}
	})
	stop := func(part string) {
		t.Helper()
		stopped = true
		if out, err := testenv.Run(t, "dev", "stop", part); err != nil {
			t.Fatalf("dev stop %s: %v\n%s", part, err, out)
		}
	}
	stop("orders")
	for i := 4; i < 8; i++ {
		nos = append(nos, f.grab(t, i, seat[i]))
	}
	outbox := sale.KeysFor(f.sess.ID).Key("outbox")
	testenv.Eventually(t, testenv.Settle, "the outbox relayed", func() (bool, string) {
		n, err := f.rdb.XLen(ctx, outbox).Result()
		return err == nil && n == 0, fmt.Sprintf("the relay has not published the outbox: %d entries (%v)", n, err)
	})
	stop("devkafka")
	// The broker comes back empty, as one that lost its disk would.
	if err := os.RemoveAll(devkafka.DataDir(testenv.Config(t).RunDir)); err != nil {
		t.Fatal(err)
	}
	for i := 8; i < 12; i++ {
		nos = append(nos, f.grab(t, i, seat[i]))
	}
	if out, err := testenv.Run(t, "dev", "up"); err != nil {
		t.Fatalf("dev up: %v\n%s", err, out)
	}
	stopped = false

	testenv.Eventually(t, 60*time.Second, "every order row written with its items", func() (bool, string) {
		var rows []struct {
			OrderNo string `db:"order_no"`
			Items   int    `db:"items"`
		}
		if err := f.db.Select(&rows, `SELECT o.order_no, COUNT(oi.id) AS items FROM orders o
			LEFT JOIN order_items oi ON oi.order_id = o.id AND oi.active = 1
			WHERE o.session_id = ? GROUP BY o.order_no`, f.sess.ID); err != nil {
			t.Fatal(err)
		}
		have := map[string]int{}
		for _, r := range rows {
			have[r.OrderNo] = r.Items
		}
		var missing []string
		for _, no := range nos {
			if have[no] != 1 {
				missing = append(missing, fmt.Sprintf("%s (%d live items)", no, have[no]))
			}
		}
		sort.Strings(missing)
		return len(missing) == 0 && len(rows) == len(nos),
			fmt.Sprintf("%d rows for %d holds; missing or wrong: %s", len(rows), len(nos), strings.Join(missing, ", "))
	})
}

// TestReconcileConflicts: holds whose end the sale Redis and MySQL
// disagree about for good are integrity conflicts the reconciler raises:
// recorded once in MySQL, their seats kept out of sale, counted; a seat an
// admin cleared is not flagged again by later passes.
func TestReconcileConflicts(t *testing.T) {
	f := newFixture(t, testenv.SessionSpec{Seats: 6, HoldSeconds: 600}, 3)
	seat, due := f.sess.SeatIDs, time.Now().Add(time.Hour)
	sample := func(kind string) string { return `boxoffice_integrity_conflicts_total{kind="` + kind + `"}` }
	addr := testenv.Config(t).TimeoutsAddr
	before := map[string]float64{}
	for _, k := range []string{boxoffice.ConflictReleaseOfPaid, boxoffice.ConflictSaleOfCancelled, boxoffice.ConflictSeatTaken} {
		before[k] = testenv.Metric(t, addr, sample(k))
	}

	releasedPaid := f.lostHold(t, 0, boxoffice.HoldReleased, "timeout", seat[0])
	f.insertRow(t, releasedPaid.OrderNo, 0, boxoffice.OrderPaid, due, seat[0])
	soldCancelled := f.lostHold(t, 1, boxoffice.HoldSold, "", seat[1])
	f.insertRow(t, soldCancelled.OrderNo, 1, boxoffice.OrderTimeoutCancelled, due, seat[1])
	owner := f.insertOrder(t, 2, boxoffice.OrderPaid, due, seat[2])
	taken := f.lostHold(t, 0, boxoffice.HoldLocked, "", seat[2])

	want := []boxoffice.Conflict{
		{SeatID: seat[0], Kind: boxoffice.ConflictReleaseOfPaid, OrderNo: releasedPaid.OrderNo},
		{SeatID: seat[1], Kind: boxoffice.ConflictSaleOfCancelled, OrderNo: soldCancelled.OrderNo},
		{SeatID: seat[2], Kind: boxoffice.ConflictSeatTaken, OrderNo: taken.OrderNo, OtherOrderNo: owner},
	}
	for _, w := range want {
		f.waitConflict(t, w)
		var rows int
		if err := f.db.Get(&rows, `SELECT COUNT(*) FROM sale_conflicts WHERE session_id = ? AND seat_id = ?`,
			f.sess.ID, w.SeatID); err != nil || rows != 1 {
			t.Errorf("seat %d: %d conflict rows in MySQL (%v), want 1", w.SeatID, rows, err)
		}
		if got := testenv.Metric(t, addr, sample(w.Kind)) - before[w.Kind]; got < 1 {
			t.Errorf("%s conflicts counted %v, want at least 1", w.Kind, got)
		}
	}

	c := testenv.Admin(t)
	if r := c.Do(t, "DELETE", fmt.Sprintf("/admin/api/sessions/%d/conflicts/%d", f.sess.ID, seat[0]), nil, nil); r.Status != 200 {
		t.Fatalf("clear = %d %s", r.Status, r.Body)
	}
	// A hold lost after the clear: once its row exists, the reconciler has
	// passed over the cleared disagreement again.
	later := f.lostHold(t, 1, boxoffice.HoldLocked, "", seat[3])
	f.waitStatus(t, later.OrderNo, boxoffice.OrderLocked)
	if v, err := f.rdb.HGet(context.Background(), sale.KeysFor(f.sess.ID).Key(sale.KeyConflict), fmt.Sprint(seat[0])).Result(); err == nil {
		t.Errorf("seat %d flagged again after the admin cleared it: %s", seat[0], v)
	}
}

// waitConflict waits until the sale Redis keeps want's seat out of sale
// for want's kind and orders.
func (f *fixture) waitConflict(t *testing.T, want boxoffice.Conflict) {
	t.Helper()
	testenv.Eventually(t, testenv.Settle, "seat "+fmt.Sprint(want.SeatID)+" flagged "+want.Kind, func() (bool, string) {
		raw, _ := f.rdb.HGet(context.Background(), sale.KeysFor(f.sess.ID).Key(sale.KeyConflict), fmt.Sprint(want.SeatID)).Result()
		var got boxoffice.Conflict
		_ = json.Unmarshal([]byte(raw), &got)
		return got.Kind == want.Kind && got.OrderNo == want.OrderNo && got.OtherOrderNo == want.OtherOrderNo, raw
	})
}

// TestReconcileFindsRowLostLater: a hold whose row agreed is not looked up
// in every pass, but it still is in turn: a row MySQL loses afterwards (a
// restore from an older backup) is written again from the hold.
func TestReconcileFindsRowLostLater(t *testing.T) {
	f := newFixture(t, testenv.SessionSpec{Seats: 2, HoldSeconds: 600}, 1)
	no := f.grab(t, 0, f.sess.SeatIDs[0])
	f.waitStatus(t, no, boxoffice.OrderLocked)
	addr := testenv.Config(t).TimeoutsAddr
	passes := func() float64 { return testenv.Metric(t, addr, `boxoffice_timeouts_passes_total{worker="reconcile"}`) }
	// Two passes that began after the grace: the hold was looked up, and
	// agreed with its row.
	created := time.UnixMilli(testenv.Hold(t, f.rdb, no).CreatedAt)
	var seen float64
	testenv.Eventually(t, testenv.Settle, "the hold older than the grace (3 s)", func() (bool, string) {
		seen = passes()
		return time.Since(created) > 3*time.Second, "the hold is younger"
	})
	testenv.Eventually(t, testenv.Settle, "two reconciler passes after the grace", func() (bool, string) {
		return passes() >= seen+2, fmt.Sprintf("%v passes since", passes()-seen)
	})
	for _, q := range []string{
		`DELETE oi FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE o.order_no = ?`,
		`DELETE FROM orders WHERE order_no = ?`,
	} {
		if _, err := f.db.Exec(q, no); err != nil {
			t.Fatal(err)
		}
	}
	// Its turn comes within 30 passes, a second each here.
	testenv.Eventually(t, 3*testenv.Settle, "the lost row written again", func() (bool, string) {
		got := testenv.OrderStatus(t, f.db, no)
		return got == boxoffice.OrderLocked, fmt.Sprintf("order %s is %q in MySQL", no, got)
	})
}
