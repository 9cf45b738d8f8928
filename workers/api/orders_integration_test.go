//go:build integration

package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/payments"
	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
	"boxoffice/workers/api"
)

func TestPayFlow(t *testing.T) {
	f := newPayFixture(t, 4, 1)
	seats := f.sess.SeatIDs[:2]
	no := f.grab(t, 0, seats...)
	id, r := f.pay(t, 0, no)
	t.Run("Pay", func(t *testing.T) {
		payURL, _ := r.JSON["pay_url"].(string)
		deadline, err := time.Parse(time.RFC3339, fmt.Sprint(r.JSON["pay_deadline"]))
		if r.JSON["order_no"] != no || r.JSON["status"] != "PAYING" || id == "" ||
			!strings.HasPrefix(payURL, testenv.Config(t).PaygwURL+"/pay/") || err != nil || !deadline.After(time.Now()) {
			t.Fatalf("got %s, want PAYING with a pay_url at the gateway and a future pay_deadline", r.Body)
		}
		if h := testenv.Hold(t, f.rdb, no); h.State != boxoffice.HoldPaying || h.PayDeadline != deadline.UnixMilli() {
			t.Errorf("hold = %+v, want PAYING until %v", h, deadline)
		}
	})
	t.Run("PayAgainSamePayment", func(t *testing.T) {
		again, r2 := f.pay(t, 0, no)
		if again != id || r2.JSON["pay_deadline"] != r.JSON["pay_deadline"] {
			t.Errorf("got %s, want payment %s and deadline %v again", r2.Body, id, r.JSON["pay_deadline"])
		}
	})
	t.Run("PayPage", func(t *testing.T) {
		resp, err := http.Get(r.JSON["pay_url"].(string))
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(page), no) || !strings.Contains(string(page), "/confirm") {
			t.Errorf("pay page = %d %s, want the order and a Pay button", resp.StatusCode, page)
		}
	})
	txn := testenv.ConfirmPayment(t, id).JSON["txn_id"].(string)
	t.Run("Sold", func(t *testing.T) {
		testenv.Eventually(t, testenv.Settle, "one payment row", func() (bool, string) {
			rows := testenv.Payments(t, f.db, no)
			return len(rows) == 1, fmt.Sprintf("%+v", rows)
		})
		if p := testenv.Payments(t, f.db, no)[0]; p.TxnID != txn || p.Status != "SUCCEEDED" || p.RefundRequired {
			t.Errorf("payment = %+v, want SUCCEEDED %s without refund", p, txn)
		}
		if h := testenv.Hold(t, f.rdb, no); h.State != boxoffice.HoldSold || h.Txn != txn {
			t.Errorf("hold = %+v, want SOLD by %s", h, txn)
		}
		for _, s := range seats {
			if got := f.seat(t, s); got != "S:"+no {
				t.Errorf("seat %d = %q, want S:%s", s, got, no)
			}
		}
	})
	t.Run("OrderPaid", func(t *testing.T) {
		var got *testenv.Response
		testenv.Eventually(t, testenv.Settle, "the order PAID (orders daemon)", func() (bool, string) {
			got = f.as(0).Do(t, "GET", "/api/orders/"+no, nil, nil)
			return got.JSON["status"] == "PAID", string(got.Body)
		})
		var o struct {
			Items []struct {
				SeatID int64 `json:"seat_id"`
			}
			Payments []struct {
				TxnID string `json:"txn_id"`
			}
		}
		_ = json.Unmarshal(got.Body, &o)
		if len(o.Items) != 2 || len(o.Payments) != 1 || o.Payments[0].TxnID != txn || got.JSON["refund_required"] != false {
			t.Errorf("order = %s, want 2 items and the payment %s", got.Body, txn)
		}
	})
	t.Run("ErrPayPaid", func(t *testing.T) {
		f.as(0).Do(t, "POST", "/api/orders/"+no+"/pay", nil, nil).WantError(t, 409, "conflict")
	})
	t.Run("ErrCancelPaid", func(t *testing.T) {
		f.as(0).Do(t, "POST", "/api/orders/"+no+"/cancel", nil, nil).WantError(t, 409, "conflict")
	})
}

func TestDuplicateNotifications(t *testing.T) {
	testenv.PaygwSwitches(t, map[string]any{"duplicates": 3})
	f := newPayFixture(t, 2, 1)
	no := f.grab(t, 0, f.sess.SeatIDs[0])
	id, _ := f.pay(t, 0, no)
	const replays = `boxoffice_payment_notifications_total{outcome="already_paid"}`
	before := testenv.APIMetric(t, replays)
	txn := testenv.ConfirmPayment(t, id).JSON["txn_id"].(string)
	testenv.Eventually(t, testenv.Settle, "4 notifications settled (1 paid, 3 replays)", func() (bool, string) {
		n := testenv.APIMetric(t, replays) - before
		rows := testenv.Payments(t, f.db, no)
		return n >= 3 && len(rows) >= 1, fmt.Sprintf("%v replays, rows %+v", n, rows)
	})
	if rows := testenv.Payments(t, f.db, no); len(rows) != 1 || rows[0].TxnID != txn || rows[0].RefundRequired {
		t.Errorf("payments = %+v, want exactly one of %s", rows, txn)
	}
	if n := f.soldEvents(t, no); n > 1 {
		t.Errorf("%d hold.sold events in the outbox, want at most 1", n)
	}
	testenv.Eventually(t, testenv.Settle, "the order PAID (orders daemon)", func() (bool, string) {
		s := testenv.OrderStatus(t, f.db, no)
		return s == "PAID", s
	})
}

func TestLateNotification(t *testing.T) {
	f := newPayFixture(t, 2, 2)
	s0 := f.sess.SeatIDs[0]
	no := f.grab(t, 0, s0)
	id, _ := f.pay(t, 0, no)
	out, err := sale.Release(context.Background(), f.rdb, no, sale.ReleaseOpts{Reason: "timeout"})
	if out != sale.Released || err != nil {
		t.Fatalf("release = %s, %v", out, err)
	}
	txn := testenv.ConfirmPayment(t, id).JSON["txn_id"].(string)
	testenv.Eventually(t, testenv.Settle, "the payment recorded", func() (bool, string) {
		rows := testenv.Payments(t, f.db, no)
		return len(rows) == 1, fmt.Sprintf("%+v", rows)
	})
	t.Run("RefundFlagged", func(t *testing.T) {
		if p := testenv.Payments(t, f.db, no)[0]; p.TxnID != txn || !p.RefundRequired {
			t.Errorf("payment = %+v, want %s with refund_required", p, txn)
		}
		r := f.as(0).Do(t, "GET", "/api/orders/"+no, nil, nil)
		if r.Status != 200 || r.JSON["refund_required"] != true || r.JSON["status"] == "PAID" {
			t.Errorf("order = %d %s, want refund_required and not PAID", r.Status, r.Body)
		}
	})
	t.Run("NotRevived", func(t *testing.T) {
		if h := testenv.Hold(t, f.rdb, no); h.State != boxoffice.HoldReleased {
			t.Errorf("hold = %+v, want RELEASED", h)
		}
		if got := f.seat(t, s0); got != "A" {
			t.Errorf("seat = %q, want A", got)
		}
		testenv.Eventually(t, testenv.Settle, "the order TIMEOUT_CANCELLED (orders daemon)", func() (bool, string) {
			s := testenv.OrderStatus(t, f.db, no)
			return s == "TIMEOUT_CANCELLED", s
		})
	})
	t.Run("SeatSoldOnce", func(t *testing.T) {
		testenv.WaitAvailable(t, f.sess.ID, s0)
		other := f.grab(t, 1, s0)
		pid, _ := f.pay(t, 1, other)
		testenv.ConfirmPayment(t, pid)
		testenv.Eventually(t, testenv.Settle, "the seat sold to the other buyer", func() (bool, string) {
			got := f.seat(t, s0)
			return got == "S:"+other, got
		})
		if h := testenv.Hold(t, f.rdb, no); h.State != boxoffice.HoldReleased {
			t.Errorf("first hold = %+v, want still RELEASED", h)
		}
	})
}

// notification is a signed notification body for order no.
func notification(no, txn string, amount int64) []byte {
	b, _ := json.Marshal(map[string]any{"payment_id": "Ptest", "txn_id": txn, "order_no": no,
		"amount_cents": amount, "status": "SUCCEEDED", "paid_at": time.Now().UTC()})
	return b
}

func TestNotify(t *testing.T) {
	f := newPayFixture(t, 2, 1)
	r := f.as(0).Grab(t, f.sess.ID, testenv.Unique(), f.sess.SeatIDs[0])
	no, amount := r.JSON["order_no"].(string), int64(r.JSON["amount_cents"].(float64))
	f.pay(t, 0, no)
	secret := testenv.Config(t).PaySecret
	post := func(t *testing.T, body []byte, sig string) *testenv.Response {
		t.Helper()
		return f.edge.Do(t, "POST", "/api/payments/notify", body, http.Header{payments.SignatureHeader: {sig}})
	}
	txn := "Ttest" + testenv.Unique()
	t.Run("ErrBadSignature", func(t *testing.T) {
		body := notification(no, txn, amount)
		post(t, body, payments.Sign("another-secret-another-secret-000", body)).WantError(t, 401, "unauthorized")
		post(t, body, "").WantError(t, 401, "unauthorized")
		if rows := testenv.Payments(t, f.db, no); len(rows) != 0 {
			t.Errorf("payments = %+v, want none", rows)
		}
	})
	t.Run("ErrWrongAmount", func(t *testing.T) {
		body := notification(no, txn, amount+1)
		post(t, body, payments.Sign(secret, body)).WantError(t, 400, "bad_request")
		if rows := testenv.Payments(t, f.db, no); len(rows) != 0 {
			t.Errorf("payments = %+v, want none", rows)
		}
		if h := testenv.Hold(t, f.rdb, no); h.State != boxoffice.HoldPaying {
			t.Errorf("hold = %+v, want still PAYING", h)
		}
	})
	t.Run("ErrNotJSON", func(t *testing.T) {
		body := []byte("order_no=" + no)
		post(t, body, payments.Sign(secret, body)).WantError(t, 400, "bad_request")
	})
	t.Run("OK", func(t *testing.T) {
		body := notification(no, txn, amount)
		for range 2 { // a replay answers the same and records nothing new
			if r := post(t, body, payments.Sign(secret, body)); r.Status != 200 || r.JSON["status"] != "success" {
				t.Fatalf("got %d %s, want 200 success", r.Status, r.Body)
			}
		}
		if rows := testenv.Payments(t, f.db, no); len(rows) != 1 || rows[0].TxnID != txn || rows[0].RefundRequired {
			t.Errorf("payments = %+v, want one of %s", rows, txn)
		}
		if h := testenv.Hold(t, f.rdb, no); h.State != boxoffice.HoldSold {
			t.Errorf("hold = %+v, want SOLD", h)
		}
	})
	t.Run("SecondPaymentFlagged", func(t *testing.T) {
		other := "Ttest" + testenv.Unique()
		body := notification(no, other, amount)
		if r := post(t, body, payments.Sign(secret, body)); r.Status != 200 {
			t.Fatalf("got %d %s, want 200", r.Status, r.Body)
		}
		rows := testenv.Payments(t, f.db, no)
		if len(rows) != 2 || rows[1].TxnID != other || !rows[1].RefundRequired || rows[0].RefundRequired {
			t.Errorf("payments = %+v, want the second one flagged for refund", rows)
		}
	})
}

func TestOrderAccess(t *testing.T) {
	f := newPayFixture(t, 2, 2)
	no := f.grab(t, 0, f.sess.SeatIDs[0])
	stranger := f.as(1)
	for name, target := range map[string]string{"ErrNotOwner": no, "ErrUnknown": "B999999999-1-1", "ErrMalformed": "nope"} {
		t.Run(name, func(t *testing.T) {
			stranger.Do(t, "POST", "/api/orders/"+target+"/pay", nil, nil).WantError(t, 404, "not_found")
			stranger.Do(t, "POST", "/api/orders/"+target+"/cancel", nil, nil).WantError(t, 404, "not_found")
			stranger.Do(t, "GET", "/api/orders/"+target, nil, nil).WantError(t, 404, "not_found")
		})
	}
	t.Run("ErrNoToken", func(t *testing.T) {
		f.edge.Do(t, "GET", "/api/orders/"+no, nil, nil).WantError(t, 401, "unauthorized")
		f.edge.Do(t, "GET", "/api/me/orders", nil, nil).WantError(t, 401, "unauthorized")
	})
	if h := testenv.Hold(t, f.rdb, no); h.State != boxoffice.HoldLocked {
		t.Errorf("hold = %+v, want still LOCKED", h)
	}
}

func TestCancel(t *testing.T) {
	f := newPayFixture(t, 3, 1)
	s0, s1, s2 := f.sess.SeatIDs[0], f.sess.SeatIDs[1], f.sess.SeatIDs[2]
	no := f.grab(t, 0, s0, s1)
	t.Run("RightAfterGrab", func(t *testing.T) {
		r := f.as(0).Do(t, "POST", "/api/orders/"+no+"/cancel", nil, nil)
		if r.Status != 200 || r.JSON["status"] != "CANCELLED" || r.JSON["order_no"] != no {
			t.Fatalf("got %d %s, want 200 CANCELLED", r.Status, r.Body)
		}
		for _, s := range []int64{s0, s1} {
			if got := f.seat(t, s); got != "A" {
				t.Errorf("seat %d = %q, want A", s, got)
			}
		}
		testenv.WaitAvailable(t, f.sess.ID, s0, s1)
	})
	t.Run("Again", func(t *testing.T) {
		if r := f.as(0).Do(t, "POST", "/api/orders/"+no+"/cancel", nil, nil); r.Status != 200 || r.JSON["status"] != "CANCELLED" {
			t.Errorf("got %d %s, want 200 CANCELLED", r.Status, r.Body)
		}
	})
	t.Run("ErrPayCancelled", func(t *testing.T) {
		r := f.as(0).Do(t, "POST", "/api/orders/"+no+"/pay", nil, nil)
		r.WantError(t, 409, "conflict")
		if r.JSON["reason"] != "cancelled" {
			t.Errorf("got %s, want reason cancelled", r.Body)
		}
	})
	t.Run("OrderCancelled", func(t *testing.T) {
		testenv.Eventually(t, testenv.Settle, "the order CANCELLED", func() (bool, string) {
			r := f.as(0).Do(t, "GET", "/api/orders/"+no, nil, nil)
			return r.JSON["status"] == "CANCELLED", string(r.Body)
		})
	})
	t.Run("WhilePaying", func(t *testing.T) {
		paying := f.grab(t, 0, s2)
		id, _ := f.pay(t, 0, paying)
		if r := f.as(0).Do(t, "POST", "/api/orders/"+paying+"/cancel", nil, nil); r.Status != 200 {
			t.Fatalf("got %d %s, want 200", r.Status, r.Body)
		}
		if got := f.seat(t, s2); got != "A" {
			t.Errorf("seat = %q, want A", got)
		}
		// The gateway payment was cancelled with the hold: it cannot be paid.
		testenv.Paygw(t).Do(t, "POST", "/api/payments/"+id+"/confirm", nil, nil).WantError(t, 409, "conflict")
	})
}

func TestMyOrders(t *testing.T) {
	f := newPayFixture(t, 3, 1)
	first := f.grab(t, 0, f.sess.SeatIDs[0])
	second := f.grab(t, 0, f.sess.SeatIDs[1])
	t.Run("OrderBeforeOrAfterItsRow", func(t *testing.T) {
		r := f.as(0).Do(t, "GET", "/api/orders/"+second, nil, nil)
		var o struct {
			Status string `json:"status"`
			Amount int64  `json:"amount_cents"`
			ShowID int64  `json:"show_id"`
			Items  []struct {
				SeatID     int64 `json:"seat_id"`
				PriceCents int64 `json:"price_cents"`
			} `json:"items"`
			Payments []any `json:"payments"`
		}
		_ = json.Unmarshal(r.Body, &o)
		if r.Status != 200 || o.Status != "LOCKED" || o.ShowID != f.sess.ShowID || len(o.Items) != 1 ||
			o.Items[0].PriceCents <= 0 || o.Items[0].PriceCents != o.Amount {
			t.Errorf("got %d %s, want LOCKED with its show and one priced seat", r.Status, r.Body)
		}
	})
	t.Run("List", func(t *testing.T) {
		var r *testenv.Response
		testenv.Eventually(t, testenv.Settle, "both orders listed (orders daemon)", func() (bool, string) {
			r = f.as(0).Do(t, "GET", "/api/me/orders", nil, nil)
			items, _ := r.JSON["items"].([]any) // the count is read after the page: it may be ahead
			return r.JSON["total"] == 2.0 && len(items) == 2, string(r.Body)
		})
		items, _ := r.JSON["items"].([]any)
		if len(items) != 2 || items[0].(map[string]any)["order_no"] != second {
			t.Errorf("got %s, want %s then %s", r.Body, second, first)
		}
		r = f.as(0).Do(t, "GET", "/api/me/orders?page=2&per_page=1", nil, nil)
		items, _ = r.JSON["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["order_no"] != first || r.JSON["page"] != 2.0 {
			t.Errorf("page 2 = %s, want %s alone", r.Body, first)
		}
	})
	t.Run("ErrPaging", func(t *testing.T) {
		f.as(0).Do(t, "GET", "/api/me/orders?per_page=0", nil, nil).WantError(t, 400, "bad_request")
	})
}

// TestPayGatewayDown runs the api's router in the test with a gateway that
// does not answer: 503 with Retry-After, and paying again through the
// stack's api works.
func TestPayGatewayDown(t *testing.T) {
	f := newPayFixture(t, 2, 1)
	no := f.grab(t, 0, f.sess.SeatIDs[0])
	cfg := *testenv.Config(t)
	cfg.PaygwURL = "http://127.0.0.1:1"
	sale, cache := redis.NewSale(&cfg), redis.NewCache(&cfg)
	t.Cleanup(func() { sale.Close(); cache.Close() })
	s := api.New(&cfg, slog.New(slog.DiscardHandler), f.db, sale, cache, prometheus.NewRegistry())
	t.Cleanup(s.Catalog.Close)
	req := httptest.NewRequest("POST", "/api/orders/"+no+"/pay", nil)
	req.Header.Set("Authorization", "Bearer "+f.buyers[0].Token)
	w := httptest.NewRecorder()
	s.Router().ServeHTTP(w, req)
	if w.Code != 503 || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), `"unavailable"`) {
		t.Fatalf("got %d %v %s, want 503 unavailable with Retry-After", w.Code, w.Header(), w.Body)
	}
	if _, r := f.pay(t, 0, no); r.JSON["pay_url"] == nil {
		t.Errorf("paying again = %s, want a pay_url", r.Body)
	}
}

func TestPayExpired(t *testing.T) {
	s, b := testenv.OnSale(t, testenv.SessionSpec{Seats: 2, HoldSeconds: 1}, 1)
	buyer := testenv.Edge(t).As(b[0].Token)
	r := buyer.Grab(t, s.ID, testenv.Unique(), s.SeatIDs[0])
	if r.Status != 201 {
		t.Fatalf("grab = %d %s", r.Status, r.Body)
	}
	no := r.JSON["order_no"].(string)
	expires, err := time.Parse(time.RFC3339Nano, fmt.Sprint(r.JSON["expires_at"]))
	if err != nil {
		t.Fatalf("grab = %s: expires_at: %v", r.Body, err)
	}
	time.Sleep(time.Until(expires) + 50*time.Millisecond) // the hold time, not a guess
	// Past its expiry the hold is refused as "expired", or once the
	// timeouts daemon released it as "timeout".
	r = buyer.Do(t, "POST", "/api/orders/"+no+"/pay", nil, nil)
	r.WantError(t, 409, "conflict")
	if reason := r.JSON["reason"]; reason != "expired" && reason != "timeout" {
		t.Errorf("got %s, want reason expired or timeout", r.Body)
	}
}
