package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

// Order is the durable record of a hold, with its show and, when read one
// at a time, its seats and payments.
type Order struct {
	ID          int64      `db:"id" json:"-"`
	OrderNo     string     `db:"order_no" json:"order_no"`
	SessionID   int64      `db:"session_id" json:"session_id"`
	UserID      int64      `db:"user_id" json:"-"`
	Status      string     `db:"status" json:"status"`
	AmountCents int64      `db:"amount_cents" json:"amount_cents"`
	ExpireAt    time.Time  `db:"expire_at" json:"expire_at"`
	PayDeadline *time.Time `db:"pay_deadline" json:"pay_deadline,omitempty"`
	PaidAt      *time.Time `db:"paid_at" json:"paid_at,omitempty"`
	Reason      *string    `db:"cancel_reason" json:"cancel_reason,omitempty"`
	// RefundRequired is the order's flag or any of its payments'.
	RefundRequired bool            `db:"refund_required" json:"refund_required"`
	CreatedAt      time.Time       `db:"created_at" json:"created_at"`
	ShowID         int64           `db:"show_id" json:"show_id"`
	ShowTitle      string          `db:"show_title" json:"show_title"`
	StartsAt       time.Time       `db:"starts_at" json:"starts_at"`
	Items          []OrderItem     `db:"-" json:"items"`
	Payments       []PaymentRecord `db:"-" json:"payments,omitempty"`
}

// OrderItem is one seat of an order.
type OrderItem struct {
	OrderID    int64  `db:"order_id" json:"-"`
	SeatID     int64  `db:"seat_id" json:"seat_id"`
	Section    string `db:"section" json:"section"`
	Row        string `db:"row_label" json:"row"`
	Number     int    `db:"number" json:"number"`
	PriceCents int64  `db:"price_cents" json:"price_cents"`
}

const orderSelect = `SELECT o.id, o.order_no, o.session_id, o.user_id, o.status, o.amount_cents, o.expire_at,
	o.pay_deadline, o.paid_at, o.cancel_reason,
	(o.refund_required = 1 OR EXISTS (SELECT 1 FROM payments p WHERE p.order_no = o.order_no AND p.refund_required = 1))
		AS refund_required,
	o.created_at, se.show_id, sh.title AS show_title, se.starts_at
	FROM orders o JOIN sessions se ON se.id = o.session_id JOIN shows sh ON sh.id = se.show_id`

const itemSelect = `SELECT oi.order_id, oi.seat_id, s.section, s.row_label, s.number, oi.price_cents
	FROM order_items oi JOIN seats s ON s.id = oi.seat_id`

// OrderByNo returns the order with its items, or ENOTFOUND if no row is
// written for the number (yet).
func OrderByNo(ctx context.Context, db *sqlx.DB, orderNo string) (*Order, error) {
	var o Order
	err := db.GetContext(ctx, &o, orderSelect+` WHERE o.order_no = ?`, orderNo)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "no order %s", orderNo)
	}
	if err != nil {
		return nil, fmt.Errorf("order %s: %w", orderNo, err)
	}
	o.Items = []OrderItem{}
	if err := db.SelectContext(ctx, &o.Items, itemSelect+` WHERE oi.order_id = ? ORDER BY oi.seat_id`, o.ID); err != nil {
		return nil, fmt.Errorf("items of order %s: %w", orderNo, err)
	}
	return &o, nil
}

// OrdersOf lists the user's orders with their items, newest first, and
// the total.
func OrdersOf(ctx context.Context, db *sqlx.DB, userID int64, limit, offset int) ([]Order, int, error) {
	out := []Order{}
	// Rows of one batch share created_at; expire_at (hold time + the
	// session's hold seconds) then keeps the holds' order.
	if err := db.SelectContext(ctx, &out, orderSelect+` WHERE o.user_id = ?
		ORDER BY o.created_at DESC, o.expire_at DESC, o.id DESC LIMIT ? OFFSET ?`, userID, limit, offset); err != nil {
		return nil, 0, fmt.Errorf("list orders: %w", err)
	}
	var total int
	if err := db.GetContext(ctx, &total, `SELECT COUNT(*) FROM orders WHERE user_id = ?`, userID); err != nil {
		return nil, 0, fmt.Errorf("count orders: %w", err)
	}
	if len(out) == 0 {
		return out, total, nil
	}
	return out, total, attachItems(ctx, db, out)
}

// attachItems loads the items of orders in one query.
func attachItems(ctx context.Context, db *sqlx.DB, orders []Order) error {
	ids := make([]int64, len(orders))
	at := make(map[int64]int, len(orders))
	for i := range orders {
		ids[i], at[orders[i].ID] = orders[i].ID, i
		orders[i].Items = []OrderItem{}
	}
	q, args, err := sqlx.In(itemSelect+` WHERE oi.order_id IN (?) ORDER BY oi.order_id, oi.seat_id`, ids)
	if err != nil {
		return fmt.Errorf("items query: %w", err)
	}
	var items []OrderItem
	if err := db.SelectContext(ctx, &items, q, args...); err != nil {
		return fmt.Errorf("items of orders: %w", err)
	}
	for _, it := range items {
		o := &orders[at[it.OrderID]]
		o.Items = append(o.Items, it)
	}
	return nil
}

// SeatItems returns the seats with the ids as order items without prices,
// for an order read from its hold before its row is written.
func SeatItems(ctx context.Context, db *sqlx.DB, seatIDs []int64) ([]OrderItem, error) {
	out := []OrderItem{}
	if len(seatIDs) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(`SELECT id AS seat_id, section, row_label, number FROM seats WHERE id IN (?) ORDER BY id`, seatIDs)
	if err != nil {
		return nil, fmt.Errorf("seats query: %w", err)
	}
	if err := db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, fmt.Errorf("seats %v: %w", seatIDs, err)
	}
	return out, nil
}

// SessionShow fills the show of o's session (id, title, start).
func SessionShow(ctx context.Context, db *sqlx.DB, o *Order) error {
	err := db.GetContext(ctx, o, `SELECT se.show_id, sh.title AS show_title, se.starts_at
		FROM sessions se JOIN shows sh ON sh.id = se.show_id WHERE se.id = ?`, o.SessionID)
	if err != nil {
		return fmt.Errorf("show of session %d: %w", o.SessionID, err)
	}
	return nil
}
