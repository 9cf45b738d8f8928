//go:build integration

package orders_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// One buyer's release and the next buyer's hold of the same seat reach
// MySQL in one batch or in either order, and both rows end right, with
// nothing dead-lettered.
func TestSeatChurn(t *testing.T) {
	f := newFixture(t)
	// first holds seat i for a new order X and waits for its row.
	first := func(t *testing.T, i int) boxoffice.SaleEvent {
		x := f.created(f.orderNo(), i)
		f.publish(x)
		waitOrder(t, f.db, x.OrderNo, "LOCKED")
		return x
	}
	// check wants X cancelled and Y holding the seat.
	check := func(t *testing.T, x, y boxoffice.SaleEvent) {
		waitOrder(t, f.db, x.OrderNo, "CANCELLED")
		waitOrder(t, f.db, y.OrderNo, "LOCKED")
		wantItems(t, f, x.OrderNo, "10000 false")
		wantItems(t, f, y.OrderNo, "10000 true")
	}
	t.Run("OneBatch", func(t *testing.T) {
		x := first(t, 0)
		y := f.created(f.orderNo(), 0)
		got, err := mysql.ApplySaleEvents(context.Background(), f.db, []boxoffice.SaleEvent{released(x, "cancelled"), y})
		if err != nil {
			t.Fatalf("apply X's release and Y's hold in one batch: %v", err)
		}
		if fmt.Sprint(got) != "[updated inserted]" {
			t.Errorf("outcomes = %v, want [updated inserted]", got)
		}
		check(t, x, y)
	})
	t.Run("ReleaseFirst", func(t *testing.T) {
		x := first(t, 2)
		y := f.created(f.orderNo(), 2)
		f.publish(released(x, "cancelled"), y)
		check(t, x, y)
	})
	t.Run("HoldFirst", func(t *testing.T) {
		x := first(t, 4)
		y := f.created(f.orderNo(), 4)
		f.publish(y)
		f.settle(y.OrderNo) // Y has been tried, and refused: its seat is X's
		if _, ok := getOrder(t, f.db, y.OrderNo); ok {
			t.Fatalf("order %s has a row while its seat is still in %s", y.OrderNo, x.OrderNo)
		}
		f.publish(released(x, "cancelled"))
		check(t, x, y)
	})
}

// Seats released and grabbed again continuously through the edge: every
// hold gets its row, none is dead-lettered, and the hold → order row lag
// (the orders daemon's histogram) is logged.
func TestChurnLag(t *testing.T) {
	const seats, rounds = 10, 15
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: seats, Limit: 1}, seats*rounds)
	testenv.WaitRelayed(t, s.ID)
	deadBefore := ordersMetric(t, `boxoffice_orders_events_total{outcome="dead_lettered",type="hold.created"}`)
	before := lagHistogram(t)
	nos := make([][]string, seats)
	var wg sync.WaitGroup
	for i := range seats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				b := r*seats + i
				ip := http.Header{"X-Forwarded-For": {fmt.Sprintf("172.30.%d.%d", b>>8&255, b&255)}}
				c := testenv.Edge(t).As(buyers[b].Token)
				no := grabRetrying(t, c, s.ID, s.SeatIDs[i], ip)
				if no == "" {
					return
				}
				nos[i] = append(nos[i], no)
				if r == rounds-1 {
					return
				}
				if got := c.Do(t, "POST", "/api/orders/"+no+"/cancel", nil, ip); got.Status != http.StatusOK {
					t.Errorf("cancel %s = %d %s", no, got.Status, got.Body)
					return
				}
			}
		}()
	}
	wg.Wait()
	var all []string
	for _, n := range nos {
		all = append(all, n...)
	}
	db := testenv.DB(t)
	testenv.WaitOrderRows(t, db, s.ID, all, 60*time.Second)
	after := lagHistogram(t)
	t.Logf("%d holds on %d seats, each released and grabbed again as soon as the edge shows it free: hold → order row p50 ≤ %s s, p99 ≤ %s s (bucket bounds of boxoffice_orders_hold_lag_seconds)",
		len(all), seats, bucketQuantile(before, after, .5), bucketQuantile(before, after, .99))
	if dead := ordersMetric(t, `boxoffice_orders_events_total{outcome="dead_lettered",type="hold.created"}`) - deadBefore; dead != 0 {
		t.Errorf("%v hold.created events dead-lettered under churn", dead)
	}
}

// grabRetrying grabs seat as c's buyer, trying again on 503, on 409 once
// the edge's seat map shows the released seat free again (the edge refuses
// it from its copy until then), and on 410 (the edge's sold-out flag lags a
// release by up to a refresh too); it returns the order number, or "" after
// failing the test.
func grabRetrying(t *testing.T, c *testenv.Client, sid, seat int64, h http.Header) string {
	h = h.Clone()
	h.Set("Idempotency-Key", "churn-"+testenv.Unique())
	body := []byte(fmt.Sprintf(`{"seat_ids":[%d]}`, seat))
	for deadline := time.Now().Add(testenv.Settle); ; {
		r := c.Do(t, "POST", fmt.Sprintf("/api/sale/sessions/%d/holds", sid), body, h)
		if r.Status == http.StatusCreated {
			no, _ := r.JSON["order_no"].(string)
			return no
		}
		switch {
		case time.Now().After(deadline) || !retryable(r.Status):
			t.Errorf("grab seat %d = %d %s", seat, r.Status, r.Body)
			return ""
		case r.Status == http.StatusConflict:
			testenv.WaitAvailable(t, sid, seat)
		default:
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// retryable says whether a grab refused with status may pass on a retry
// once the edge's copies catch up with a release.
func retryable(status int) bool {
	return status == http.StatusServiceUnavailable || status == http.StatusConflict || status == http.StatusGone
}

// A release of a PAID order and a sale of a cancelled one are conflicts:
// counted, the row left as it is, the seats kept out of sale in the sale
// Redis.
func TestIntegrityConflicts(t *testing.T) {
	f := newFixture(t)
	rdb := redis.NewSale(testenv.Config(t))
	defer rdb.Close()
	// flagged waits for seat i of the fixture to be flagged with kind.
	flagged := func(t *testing.T, i int, kind string) {
		testenv.Eventually(t, testenv.Settle, "seat flagged "+kind, func() (bool, string) {
			v, _ := rdb.HGet(context.Background(), sale.KeysFor(f.s.ID).Key(sale.KeyConflict), fmt.Sprint(f.s.SeatIDs[i])).Result()
			var c boxoffice.Conflict
			_ = json.Unmarshal([]byte(v), &c)
			return c.Kind == kind, v
		})
	}
	count := func(kind string) float64 {
		return ordersMetric(t, `boxoffice_integrity_conflicts_total{kind="`+kind+`"}`)
	}
	t.Run("ReleaseOfPaid", func(t *testing.T) {
		before := count(boxoffice.ConflictReleaseOfPaid)
		x := f.created(f.orderNo(), 6)
		f.publish(x, sold(x))
		waitOrder(t, f.db, x.OrderNo, "PAID")
		f.publish(released(x, "timeout"))
		flagged(t, 6, boxoffice.ConflictReleaseOfPaid)
		waitOrder(t, f.db, x.OrderNo, "PAID")
		if got := count(boxoffice.ConflictReleaseOfPaid) - before; got < 1 {
			t.Errorf("conflicts counted %v, want at least 1", got)
		}
	})
	t.Run("SaleOfCancelled", func(t *testing.T) {
		y := f.created(f.orderNo(), 8)
		f.publish(y, released(y, "cancelled"))
		waitOrder(t, f.db, y.OrderNo, "CANCELLED")
		f.publish(sold(y))
		flagged(t, 8, boxoffice.ConflictSaleOfCancelled)
		waitOrder(t, f.db, y.OrderNo, "CANCELLED")
	})
}
