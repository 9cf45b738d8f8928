//go:build integration

package orders_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	kafkago "github.com/segmentio/kafka-go"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/testenv"
)

// orderRow is an order as the tests compare it.
type orderRow struct {
	Status    string     `db:"status"`
	SessionID int64      `db:"session_id"`
	UserID    int64      `db:"user_id"`
	Amount    int64      `db:"amount_cents"`
	ExpireAt  time.Time  `db:"expire_at"`
	PaidAt    *time.Time `db:"paid_at"`
	Reason    *string    `db:"cancel_reason"`
	UpdatedAt time.Time  `db:"updated_at"`
}

func (r orderRow) String() string {
	reason := "<nil>"
	if r.Reason != nil {
		reason = *r.Reason
	}
	paid := "<nil>"
	if r.PaidAt != nil {
		paid = r.PaidAt.Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("{%s session %d user %d amount %d expire %s paid %s reason %s updated %s}", r.Status, r.SessionID,
		r.UserID, r.Amount, r.ExpireAt.Format(time.RFC3339Nano), paid, reason, r.UpdatedAt.Format(time.RFC3339Nano))
}

// itemRow is one seat of an order.
type itemRow struct {
	SeatID int64 `db:"seat_id"`
	Price  int64 `db:"price_cents"`
	Active *int  `db:"active"`
}

func (i itemRow) String() string {
	return fmt.Sprintf("{seat %d price %d active %v}", i.SeatID, i.Price, i.Active != nil)
}

// getOrder reads an order; false if it has no row.
func getOrder(t *testing.T, db *sqlx.DB, no string) (orderRow, bool) {
	t.Helper()
	var r orderRow
	err := db.Get(&r, `SELECT status, session_id, user_id, amount_cents, expire_at, paid_at, cancel_reason, updated_at
		FROM orders WHERE order_no = ?`, no)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false
	}
	if err != nil {
		t.Fatalf("read order %s: %v", no, err)
	}
	return r, true
}

// getItems reads an order's items by seat.
func getItems(t *testing.T, db *sqlx.DB, no string) []itemRow {
	t.Helper()
	var out []itemRow
	if err := db.Select(&out, `SELECT oi.seat_id, oi.price_cents, oi.active FROM order_items oi
		JOIN orders o ON o.id = oi.order_id WHERE o.order_no = ? ORDER BY oi.seat_id`, no); err != nil {
		t.Fatalf("read items of %s: %v", no, err)
	}
	return out
}

// waitOrder polls until the order has a row in status, and returns it.
func waitOrder(t *testing.T, db *sqlx.DB, no, status string) orderRow {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, ok := getOrder(t, db, no)
		if ok && r.Status == status {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s: after 20 s got %v (row: %v), want status %s", no, r, ok, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fixture is a session with seats and a buyer, in MySQL only: events about
// them are written straight to Kafka.
type fixture struct {
	t      *testing.T
	db     *sqlx.DB
	topic  string
	s      *testenv.Session
	buyer  testenv.Buyer
	parts  int
	serial atomic.Int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := testenv.DB(t)
	cfg := testenv.Config(t)
	f := &fixture{t: t, db: db, topic: cfg.KafkaTopic, s: testenv.NewSession(t, db, testenv.SessionSpec{Seats: 40}),
		buyer: testenv.NewBuyers(t, db, 1)[0]}
	f.parts = testenv.NewKafkaTail(t, cfg.KafkaTopic).Partitions()
	return f
}

// orderNo mints a new order number in the fixture's session.
func (f *fixture) orderNo() string {
	return fmt.Sprintf("B%d-%d-%d", f.s.ID, time.Now().UnixMilli(), f.serial.Add(1))
}

// created is a hold.created event for seats of the fixture, priced 10,000
// (tier A) and 5,000 (tier B) in turn, expiring in 15 minutes.
func (f *fixture) created(no string, seats ...int) boxoffice.SaleEvent {
	e := boxoffice.SaleEvent{ID: no + ":created", Type: boxoffice.EventHoldCreated, SessionID: f.s.ID, OrderNo: no,
		UserID: f.buyer.ID, At: time.Now().UnixMilli(), ExpiresAt: time.Now().Add(15 * time.Minute).UnixMilli()}
	for _, i := range seats {
		e.SeatIDs = append(e.SeatIDs, f.s.SeatIDs[i])
		e.AmountCents += map[int]int64{0: 10000, 1: 5000}[i%2]
	}
	return e
}

func released(e boxoffice.SaleEvent, reason string) boxoffice.SaleEvent {
	e.ID, e.Type, e.Reason, e.ExpiresAt, e.At = e.OrderNo+":released", boxoffice.EventHoldReleased, reason, 0, time.Now().UnixMilli()
	return e
}

func sold(e boxoffice.SaleEvent) boxoffice.SaleEvent {
	e.ID, e.Type, e.Txn, e.ExpiresAt, e.At = e.OrderNo+":sold", boxoffice.EventHoldSold, "txn-"+e.OrderNo, 0, time.Now().UnixMilli()
	return e
}

func message(e boxoffice.SaleEvent) kafkago.Message {
	v, _ := json.Marshal(e)
	return kafkago.Message{Key: []byte(e.OrderNo), Value: v}
}

// publish writes events to the sale-events topic, in order.
func (f *fixture) publish(events ...boxoffice.SaleEvent) {
	f.t.Helper()
	msgs := make([]kafkago.Message, len(events))
	for i, e := range events {
		msgs[i] = message(e)
	}
	testenv.Publish(f.t, f.topic, msgs...)
}

// partition is the partition the writer sends key to.
func (f *fixture) partition(key string) int {
	ids := make([]int, f.parts)
	for i := range ids {
		ids[i] = i
	}
	return kafkago.Murmur2Balancer{}.Balance(kafkago.Message{Key: []byte(key)}, ids...)
}

// settle publishes a marker behind key (same partition, so handled after
// everything published for key before) and waits for its row: once it is
// there, the orders daemon has handled what came before.
func (f *fixture) settle(key string) {
	f.t.Helper()
	var no string
	for no = f.orderNo(); f.partition(no) != f.partition(key); no = f.orderNo() {
	}
	f.publish(released(f.created(no, 39), "marker"))
	waitOrder(f.t, f.db, no, "CANCELLED")
}
