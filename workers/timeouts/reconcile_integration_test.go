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
