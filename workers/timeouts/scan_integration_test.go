//go:build integration

package timeouts_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/payments"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
	"boxoffice/workers/timeouts"
)

// The shared timeouts daemon of the test stack scans every 500 ms; these
// tests watch it work, and run a second process or an in-process service
// where they need one.

func TestTimeout(t *testing.T) {
	f := newFixture(t, testenv.SessionSpec{Seats: 3}, 2)
	ctx := context.Background()
	k := sale.KeysFor(f.sess.ID)
	no := f.grab(t, 0, f.sess.SeatIDs...) // the whole session

	t.Run("SoldOutWhileHeld", func(t *testing.T) {
		if r := f.tryGrab(t, 1, f.sess.SeatIDs[0]); r.Status != http.StatusGone && r.Status != http.StatusConflict {
			t.Errorf("grab of a held seat = %d %s, want 410 or 409", r.Status, r.Body)
		}
	})
	t.Run("Released", func(t *testing.T) {
		testenv.Expire(t, f.rdb, no)
		h := f.waitHold(t, no, boxoffice.HoldReleased)
		if h.Reason != "timeout" {
			t.Errorf("reason = %q, want timeout", h.Reason)
		}
		for seat, state := range f.seats(t) {
			if state != "A" {
				t.Errorf("seat %s is %s, want A", seat, state)
			}
		}
		f.wantConsistent(t)
		if n, _ := f.rdb.Exists(ctx, k.Key("soldout")).Result(); n != 0 {
			t.Error("the sold-out flag is still set")
		}
		if held, _ := f.rdb.HGet(ctx, k.Key("held"), fmt.Sprint(f.buyers[0].ID)).Result(); held != "" {
			t.Errorf("buyer still counts %s held seats", held)
		}
		if _, err := f.rdb.ZScore(ctx, k.Key("expiry"), no).Result(); err == nil {
			t.Error("the order is still in the expiry queue")
		}
	})
	t.Run("GrabAgain", func(t *testing.T) {
		testenv.Eventually(t, testenv.Settle, "the seat grabbable again", func() (bool, string) {
			r := f.tryGrab(t, 1, f.sess.SeatIDs[0])
			return r.Status == http.StatusCreated, fmt.Sprintf("grab after the timeout = %d %s", r.Status, r.Body)
		})
	})
	t.Run("EventOnKafka", func(t *testing.T) {
		events := kafkaEvents(t, []int64{f.sess.ID}, func(m map[string][]boxoffice.SaleEvent) (bool, string) {
			return countType(m[no], boxoffice.EventHoldReleased, false) > 0, "no hold.released of " + no + " on Kafka"
		})
		for _, e := range events[no] {
			if e.Type == boxoffice.EventHoldReleased && e.Reason != "timeout" {
				t.Errorf("released event %+v, want reason timeout", e)
			}
		}
	})
	t.Run("OrderTimeoutCancelled", func(t *testing.T) {
		f.waitStatus(t, no, "TIMEOUT_CANCELLED")
		var live int
		if err := f.db.Get(&live, `SELECT COUNT(*) FROM order_items oi JOIN orders o ON o.id = oi.order_id
			WHERE o.order_no = ? AND oi.active = 1`, no); err != nil || live != 0 {
			t.Errorf("%d items still active (%v)", live, err)
		}
	})
}

func TestPayingPastDeadline(t *testing.T) {
	f := newFixture(t, testenv.SessionSpec{Seats: 6, HoldSeconds: 60}, 3)
	ctx := context.Background()
	cfg := testenv.Config(t)
	gw := payments.NewGateway(cfg.PaygwURL, cfg.PaySecret, 5*time.Second)
	// paying grabs a seat for buyer i and marks it PAYING, until the test
	// ends the payment deadline (testenv.ExpirePayment); pay makes a
	// payment at the gateway whose notification goes nowhere, so only the
	// timeouts daemon's question can settle it.
	paying := func(t *testing.T, i int) (string, *boxoffice.Hold) {
		t.Helper()
		no := f.grab(t, i, f.sess.SeatIDs[i])
		out, h, err := sale.MarkPaying(ctx, f.rdb, no, f.buyers[i].ID, time.Hour)
		if err != nil || out != "paying" {
			t.Fatalf("mark paying = %s, %v", out, err)
		}
		return no, h
	}
	pay := func(t *testing.T, no string, amount int64) *payments.Payment {
		t.Helper()
		p, err := gw.Create(ctx, no, amount, "http://127.0.0.1:9/nowhere")
		if err != nil {
			t.Fatalf("create payment: %v", err)
		}
		return p
	}

	t.Run("Succeeded", func(t *testing.T) {
		no, h := paying(t, 0)
		p := pay(t, no, h.Amount)
		resp, err := http.Post(cfg.PaygwURL+"/api/payments/"+p.ID+"/confirm", "application/json", nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("confirm at the gateway: %v %v", resp, err)
		}
		resp.Body.Close()
		testenv.ExpirePayment(t, f.rdb, no)
		h = f.waitHold(t, no, boxoffice.HoldSold)
		if got := f.seats(t)[fmt.Sprint(f.sess.SeatIDs[0])]; got != "S:"+no {
			t.Errorf("seat = %s, want S:%s", got, no)
		}
		var paid int
		if err := f.db.Get(&paid, `SELECT COUNT(*) FROM payments WHERE order_no = ? AND status = 'SUCCEEDED' AND refund_required = 0`,
			no); err != nil || paid != 1 {
			t.Errorf("%d succeeded payments recorded (%v), want 1", paid, err)
		}
		f.wantConsistent(t)
		f.waitStatus(t, no, "PAID")
	})
	t.Run("Pending", func(t *testing.T) {
		no, h := paying(t, 1)
		p := pay(t, no, h.Amount)
		testenv.ExpirePayment(t, f.rdb, no)
		h = f.waitHold(t, no, boxoffice.HoldReleased)
		// The gateway payment was cancelled with the hold: it cannot be paid.
		testenv.Paygw(t).Do(t, "POST", "/api/payments/"+p.ID+"/confirm", nil, nil).WantError(t, 409, "conflict")
		if h.Reason != "timeout" {
			t.Errorf("reason = %q, want timeout", h.Reason)
		}
		if got := f.seats(t)[fmt.Sprint(f.sess.SeatIDs[1])]; got != "A" {
			t.Errorf("seat = %s, want A", got)
		}
		f.wantConsistent(t)
		f.waitStatus(t, no, "TIMEOUT_CANCELLED")
	})
	t.Run("NoPayment", func(t *testing.T) {
		no, _ := paying(t, 2)
		testenv.ExpirePayment(t, f.rdb, no)
		f.waitHold(t, no, boxoffice.HoldReleased)
		f.waitStatus(t, no, "TIMEOUT_CANCELLED")
	})
}

func TestLeaseHeldElsewhere(t *testing.T) {
	f := newFixture(t, testenv.SessionSpec{Seats: 2, HoldSeconds: 1}, 1)
	ctx := context.Background()
	lease := sale.KeysFor(f.sess.ID).Key("lease:timeouts")
	if err := f.rdb.Set(ctx, lease, "another-process", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.rdb.Del(context.Background(), lease) })
	no := f.grab(t, 0, f.sess.SeatIDs[0])
	svc := service(t, timeouts.Settings{ScanEvery: 500 * time.Millisecond}, nil)

	t.Run("Skipped", func(t *testing.T) {
		// Past the expiry by a few scans of the shared daemon.
		time.Sleep(time.Until(time.UnixMilli(testenv.Hold(t, f.rdb, no).ExpiresAt)) + 1500*time.Millisecond)
		if err := svc.Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if h := testenv.Hold(t, f.rdb, no); h.State != boxoffice.HoldLocked {
			t.Errorf("hold is %s while another process holds the session's lease, want LOCKED", h.State)
		}
		if holder, _ := f.rdb.Get(ctx, lease).Result(); holder != "another-process" {
			t.Errorf("lease holder = %q, want it untouched", holder)
		}
	})
	t.Run("ReleasedOnceFree", func(t *testing.T) {
		f.rdb.Del(ctx, lease)
		if err := svc.Scan(ctx); err != nil {
			t.Fatal(err)
		}
		f.waitHold(t, no, boxoffice.HoldReleased)
		if n, _ := f.rdb.Exists(ctx, lease).Result(); n != 0 {
			t.Error("the lease was not given back after the pass")
		}
	})
}

func TestTwoProcesses(t *testing.T) {
	second := testenv.StartDaemon(t, "timeouts", "BOXOFFICE_TIMEOUTS_ADDR")
	const sessions, holds = 3, 6
	var fs []*fixture
	var sids []int64
	var nos []string
	for range sessions {
		f := newFixture(t, testenv.SessionSpec{Seats: holds, HoldSeconds: 2}, holds)
		fs, sids = append(fs, f), append(sids, f.sess.ID)
		for i := range holds {
			nos = append(nos, f.grab(t, i, f.sess.SeatIDs[i]))
		}
	}
	t.Run("AllReleased", func(t *testing.T) {
		for _, no := range nos {
			if h := fs[0].waitHold(t, no, boxoffice.HoldReleased); h.Reason != "timeout" {
				t.Errorf("hold %s released for %q, want timeout", no, h.Reason)
			}
		}
		for _, f := range fs {
			f.wantConsistent(t)
		}
	})
	t.Run("ReleasedOnce", func(t *testing.T) {
		var complete time.Time
		events := kafkaEvents(t, sids, func(m map[string][]boxoffice.SaleEvent) (bool, string) {
			for _, no := range nos {
				if countType(m[no], boxoffice.EventHoldReleased, false) == 0 {
					return false, "no hold.released of " + no + " on Kafka"
				}
			}
			if complete.IsZero() {
				complete = time.Now()
			}
			// Read on a little: a second release, if any, would come soon after.
			return time.Since(complete) > 2*time.Second, "still reading"
		})
		for _, no := range nos {
			if n := countType(events[no], boxoffice.EventHoldReleased, true); n != 1 {
				t.Errorf("order %s was released %d times, want once: %+v", no, n, events[no])
			}
		}
	})
	t.Logf("the second process's counters:\n%s", counters(t, second))
}

// counters returns the boxoffice_timeouts_ lines of a timeouts process's metrics.
func counters(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "boxoffice_timeouts_") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
