//go:build integration

package orders_test

import (
	"context"
	"fmt"
	"testing"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/testenv"
)

// withSeq is e carrying change sequence seq, as a sale script writes it.
func withSeq(e boxoffice.SaleEvent, seq int64) boxoffice.SaleEvent {
	e.Seq = seq
	return e
}

// wantLost waits until MySQL counts want findings of a sequence given
// twice in the fixture's session.
func (f *fixture) wantLost(t *testing.T, want int64) {
	t.Helper()
	testenv.Eventually(t, testenv.Settle, fmt.Sprintf("lost count %d", want), func() (bool, string) {
		applied, err := mysql.AppliedSeqs(context.Background(), f.db, []int64{f.s.ID})
		return err == nil && applied[f.s.ID].Lost == want, fmt.Sprintf("lost %d, %v; want %d", applied[f.s.ID].Lost, err, want)
	})
}

// TestSequenceGivenTwice: an event with a change sequence another event
// of the session already holds (the sale Redis came back older and counts
// again) marks the session lost in MySQL, even when its own write waits
// for a seat; replays and events arriving out of order are no loss.
func TestSequenceGivenTwice(t *testing.T) {
	f := newFixture(t)
	first := withSeq(f.created(f.orderNo(), 0), 5)
	f.publish(first)
	waitOrder(t, f.db, first.OrderNo, boxoffice.OrderLocked)
	late := withSeq(f.created(f.orderNo(), 1), 3) // an earlier change, arriving after
	f.publish(first, late)                        // and a replay
	f.settle(first.OrderNo)
	waitOrder(t, f.db, late.OrderNo, boxoffice.OrderLocked)
	f.wantLost(t, 0)

	again := withSeq(f.created(f.orderNo(), 2), 5)
	f.publish(again)
	waitOrder(t, f.db, again.OrderNo, boxoffice.OrderLocked)
	f.wantLost(t, 1)
	f.publish(again) // its replay is not found again
	f.settle(again.OrderNo)
	f.wantLost(t, 1)

	// A hold of first's seat with a reused sequence waits for the seat (it
	// is parked), and its loss is counted meanwhile.
	taker := withSeq(f.created(f.orderNo(), 0), 3)
	f.publish(taker)
	f.wantLost(t, 2)
	if _, ok := getOrder(t, f.db, taker.OrderNo); ok {
		t.Fatalf("order %s has a row while its seat is in order %s", taker.OrderNo, first.OrderNo)
	}
	f.publish(withSeq(released(first, boxoffice.ReasonCancelled), 6))
	waitOrder(t, f.db, taker.OrderNo, boxoffice.OrderLocked)
	f.wantLost(t, 2)

	if err := mysql.Repaired(context.Background(), f.db, f.s.ID, 1); err != nil {
		t.Fatal(err)
	}
	f.wantLost(t, 2) // a repair that saw fewer findings leaves the mark
	if err := mysql.Repaired(context.Background(), f.db, f.s.ID, 2); err != nil {
		t.Fatal(err)
	}
	f.wantLost(t, 0)
}
