//go:build integration

package payments_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/payments"
	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// fixture is a session on sale, one buyer, and the stores.
type fixture struct {
	sess  *testenv.Session
	buyer testenv.Buyer
	rdb   goredis.UniversalClient
	db    *sqlx.DB
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s, b := testenv.OnSale(t, testenv.SessionSpec{Seats: 8}, 1)
	rdb := redis.NewSale(testenv.Config(t))
	t.Cleanup(func() { rdb.Close() })
	return &fixture{sess: s, buyer: b[0], rdb: rdb, db: testenv.DB(t)}
}

// hold grabs seat i through the edge and returns the order and its amount.
func (f *fixture) hold(t *testing.T, i int) (string, int64) {
	t.Helper()
	r := testenv.Edge(t).As(f.buyer.Token).Grab(t, f.sess.ID, testenv.Unique(), f.sess.SeatIDs[i])
	if r.Status != 201 {
		t.Fatalf("grab = %d %s", r.Status, r.Body)
	}
	return r.JSON["order_no"].(string), int64(r.JSON["amount_cents"].(float64))
}

func (f *fixture) seat(t *testing.T, i int) string {
	t.Helper()
	v, _ := f.rdb.HGet(context.Background(), sale.KeysFor(f.sess.ID).Key("seats"), fmtID(f.sess.SeatIDs[i])).Result()
	return v
}

func succeeded(no, txn string, amount int64) payments.Payment {
	return payments.Payment{ID: "Ptest", OrderNo: no, TxnID: txn, Status: payments.StatusSucceeded,
		AmountCents: amount, PaidAt: time.Now()}
}

func TestSettle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	settle := func(t *testing.T, p payments.Payment, want payments.Outcome) {
		t.Helper()
		if got, err := payments.Settle(ctx, f.db, f.rdb, p); got != want || err != nil {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	}
	no, amount := f.hold(t, 0)
	txn := "Ts" + testenv.Unique()
	t.Run("Paid", func(t *testing.T) {
		settle(t, succeeded(no, txn, amount), payments.Paid)
		if got := f.seat(t, 0); got != "S:"+no {
			t.Errorf("seat = %q, want S:%s", got, no)
		}
		if rows := testenv.Payments(t, f.db, no); len(rows) != 1 || rows[0].RefundRequired || rows[0].AmountCents != amount {
			t.Errorf("rows = %+v, want one of %d cents without refund", rows, amount)
		}
	})
	t.Run("AlreadyPaid", func(t *testing.T) {
		settle(t, succeeded(no, txn, amount), payments.AlreadyPaid)
		if rows := testenv.Payments(t, f.db, no); len(rows) != 1 {
			t.Errorf("rows = %+v, want one", rows)
		}
	})
	t.Run("SecondTransaction", func(t *testing.T) {
		testenv.Eventually(t, testenv.Settle, "order row PAID", func() (bool, string) {
			s := testenv.OrderStatus(t, f.db, no)
			return s == boxoffice.OrderPaid, s
		})
		settle(t, succeeded(no, "Ts"+testenv.Unique(), amount), payments.RefundFlagged)
		if rows := testenv.Payments(t, f.db, no); len(rows) != 2 || !rows[1].RefundRequired || rows[0].RefundRequired {
			t.Errorf("rows = %+v, want the second flagged for refund", rows)
		}
		if o, err := mysql.OrderByNo(ctx, f.db, no); err != nil || o.RefundRequired {
			t.Errorf("order = %+v, %v; want it paid and not flagged for refund, only its second payment", o, err)
		}
	})
	t.Run("Released", func(t *testing.T) {
		no, amount := f.hold(t, 1)
		if out, _ := sale.Release(ctx, f.rdb, no, sale.ReleaseOpts{Reason: "timeout"}); out != sale.Released {
			t.Fatalf("release = %s", out)
		}
		p := succeeded(no, "Ts"+testenv.Unique(), amount)
		settle(t, p, payments.RefundFlagged)
		settle(t, p, payments.RefundFlagged) // a replay: still one row
		if rows := testenv.Payments(t, f.db, no); len(rows) != 1 || !rows[0].RefundRequired {
			t.Errorf("rows = %+v, want one flagged for refund", rows)
		}
		if got := f.seat(t, 1); got != "A" {
			t.Errorf("seat = %q, want A (not revived)", got)
		}
	})
	t.Run("ConfirmedButNotRecorded", func(t *testing.T) {
		// A settle that died between the Redis confirm and the row.
		no, amount := f.hold(t, 2)
		txn := "Ts" + testenv.Unique()
		if out, _ := sale.Confirm(ctx, f.rdb, no, txn); out != "sold" {
			t.Fatalf("confirm = %s", out)
		}
		settle(t, succeeded(no, txn, amount), payments.Paid)
		if rows := testenv.Payments(t, f.db, no); len(rows) != 1 || rows[0].RefundRequired {
			t.Errorf("rows = %+v, want one without refund", rows)
		}
	})
	t.Run("UnknownOrder", func(t *testing.T) {
		no := "B999999999-1-" + testenv.Unique()
		settle(t, succeeded(no, "Ts"+testenv.Unique(), 100), payments.RefundFlagged)
		if rows := testenv.Payments(t, f.db, no); len(rows) != 1 || !rows[0].RefundRequired {
			t.Errorf("rows = %+v, want one flagged for refund", rows)
		}
	})
	t.Run("ErrWrongAmount", func(t *testing.T) {
		no, amount := f.hold(t, 3)
		_, err := payments.Settle(ctx, f.db, f.rdb, succeeded(no, "Ts"+testenv.Unique(), amount+1))
		if boxoffice.ErrorCode(err) != boxoffice.EINVALID {
			t.Errorf("got %v, want bad_request", err)
		}
		if rows := testenv.Payments(t, f.db, no); len(rows) != 0 {
			t.Errorf("rows = %+v, want none", rows)
		}
		if got := f.seat(t, 3); got != "L:"+no {
			t.Errorf("seat = %q, want still L:%s", got, no)
		}
	})
	t.Run("ErrNotSucceeded", func(t *testing.T) {
		p := succeeded(no, "Ts"+testenv.Unique(), amount)
		p.Status = payments.StatusFailed
		if _, err := payments.Settle(ctx, f.db, f.rdb, p); boxoffice.ErrorCode(err) != boxoffice.EINVALID {
			t.Errorf("got %v, want bad_request", err)
		}
	})
}

func TestGatewayAgainstPaygw(t *testing.T) {
	ctx := context.Background()
	cfg := testenv.Config(t)
	gw := payments.NewGateway(cfg.PaygwURL, cfg.PaySecret, 5*time.Second)
	no := "B999999999-2-" + testenv.Unique()
	p, err := gw.Create(ctx, no, 4200, cfg.PublicURL+"/api/payments/notify")
	if err != nil || p.Status != payments.StatusPending || p.AmountCents != 4200 {
		t.Fatalf("create = %+v, %v; want a PENDING payment of 4200", p, err)
	}
	t.Run("Idempotent", func(t *testing.T) {
		if again, err := gw.Create(ctx, no, 4200, cfg.PublicURL+"/api/payments/notify"); err != nil || again.ID != p.ID {
			t.Errorf("got %+v, %v; want payment %s", again, err, p.ID)
		}
	})
	t.Run("Status", func(t *testing.T) {
		if got, err := gw.Status(ctx, no); err != nil || got.ID != p.ID || got.Status != payments.StatusPending {
			t.Errorf("got %+v, %v; want %s PENDING", got, err, p.ID)
		}
	})
	t.Run("ErrNoPayment", func(t *testing.T) {
		if _, err := gw.Status(ctx, "B999999999-3-"+testenv.Unique()); boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
			t.Errorf("got %v, want not_found", err)
		}
	})
	t.Run("ErrWrongSecret", func(t *testing.T) {
		bad := payments.NewGateway(cfg.PaygwURL, "not-the-secret-not-the-secret-000", 5*time.Second)
		if _, err := bad.Create(ctx, no, 4200, cfg.PublicURL+"/api/payments/notify"); err == nil {
			t.Error("a request signed with another secret was accepted")
		}
	})
}

func TestSettleConflict(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	r := testenv.Edge(t).As(f.buyer.Token).Grab(t, f.sess.ID, testenv.Unique(), f.sess.SeatIDs[0], f.sess.SeatIDs[1])
	if r.Status != 201 {
		t.Fatalf("grab = %d %s", r.Status, r.Body)
	}
	no, amount := r.JSON["order_no"].(string), int64(r.JSON["amount_cents"].(float64))
	// An integrity fault: the hold's second seat is locked by another order.
	other := "L:B" + fmtID(f.sess.ID) + "-1-other"
	if err := f.rdb.HSet(ctx, sale.KeysFor(f.sess.ID).Key("seats"), fmtID(f.sess.SeatIDs[1]), other).Err(); err != nil {
		t.Fatal(err)
	}
	p := succeeded(no, "Ts"+testenv.Unique(), amount)
	for range 2 { // a replay answers the same
		if got, err := payments.Settle(ctx, f.db, f.rdb, p); got != payments.Conflict || err != nil {
			t.Fatalf("got %q, %v; want %q", got, err, payments.Conflict)
		}
	}
	if got0, got1 := f.seat(t, 0), f.seat(t, 1); got0 != "L:"+no || got1 != other {
		t.Errorf("seats = %q, %q; want L:%s and %s untouched (nothing sold)", got0, got1, no, other)
	}
	if h := testenv.Hold(t, f.rdb, no); h.State == boxoffice.HoldSold {
		t.Errorf("hold = %+v, want not sold", h)
	}
	if rows := testenv.Payments(t, f.db, no); len(rows) != 1 || !rows[0].RefundRequired {
		t.Errorf("rows = %+v, want one flagged for refund", rows)
	}
}

// TestSettleSoldTwice: after a sale-Redis loss, a seat MySQL gives to a
// PAID order was held again by another buyer, who pays. The later payment
// is flagged for refund and its hold released, the seat kept out of sale by
// a conflict naming both orders; the first buyer keeps the seat, paid and
// not flagged.
func TestSettleSoldTwice(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	seat := f.sess.SeatIDs[0]
	first := f.paidInMySQL(t, seat)
	later, amount := f.hold(t, 0) // the sale Redis lost first's hold
	p := succeeded(later, "Ts"+testenv.Unique(), amount)
	for range 2 { // a replay answers the same
		if got, err := payments.Settle(ctx, f.db, f.rdb, p); got != payments.Conflict || err != nil {
			t.Fatalf("got %q, %v; want %q", got, err, payments.Conflict)
		}
	}
	if h := testenv.Hold(t, f.rdb, later); h.State != boxoffice.HoldReleased || h.Reason != boxoffice.ReasonSoldTwice {
		t.Errorf("later hold = %+v, want released (sold_twice)", h)
	}
	raw, _ := f.rdb.HGet(ctx, sale.KeysFor(f.sess.ID).Key(sale.KeyConflict), fmtID(seat)).Result()
	var c boxoffice.Conflict
	if json.Unmarshal([]byte(raw), &c) != nil || c.Kind != boxoffice.ConflictSoldTwice || c.OrderNo != later || c.OtherOrderNo != first {
		t.Errorf("conflict of seat %d = %s, want sold_twice naming %s and %s", seat, raw, later, first)
	}
	if rows := testenv.Payments(t, f.db, later); len(rows) != 1 || !rows[0].RefundRequired {
		t.Errorf("payments of %s = %+v, want one flagged for refund", later, rows)
	}
	testenv.Eventually(t, testenv.Settle, "the later order on the refund list", func() (bool, string) {
		o, err := mysql.AdminOrderByNo(ctx, f.db, later)
		return err == nil && o.Status == boxoffice.OrderCancelled && o.RefundRequired, fmt.Sprintf("%+v, %v", o, err)
	})
	o, err := mysql.AdminOrderByNo(ctx, f.db, first)
	if err != nil || o.Status != boxoffice.OrderPaid || o.RefundRequired || len(o.Items) != 1 {
		t.Errorf("first order = %+v, %v; want PAID with its seat, no refund", o, err)
	}
}

// paidInMySQL writes a PAID order of seat straight into MySQL, as the
// orders daemon had it before the sale Redis lost the hold.
func (f *fixture) paidInMySQL(t *testing.T, seat int64) string {
	t.Helper()
	no := fmt.Sprintf("B%d-%d-7%s", f.sess.ID, time.Now().UnixMilli(), testenv.Unique()[:6])
	res, err := f.db.Exec(`INSERT INTO orders (order_no, session_id, user_id, status, amount_cents, expire_at, paid_at)
		VALUES (?, ?, ?, 'PAID', 100, NOW(3), NOW(3))`, no, f.sess.ID, f.buyer.ID)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	if _, err := f.db.Exec(`INSERT INTO order_items (order_id, session_id, seat_id, price_cents) VALUES (?, ?, ?, 100)`,
		id, f.sess.ID, seat); err != nil {
		t.Fatal(err)
	}
	return no
}
