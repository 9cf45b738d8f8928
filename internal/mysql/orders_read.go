package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

const orderSelect = `SELECT o.id, o.order_no, o.session_id, o.user_id, o.status, o.amount_cents, o.expire_at,
	o.pay_deadline, o.paid_at, o.cancel_reason,
	(o.refund_required = 1 OR ` + refundOwed + `) AS refund_required,
	o.created_at, se.show_id, sh.title AS show_title, se.starts_at
	FROM orders o JOIN sessions se ON se.id = o.session_id JOIN shows sh ON sh.id = se.show_id`

// refundOwed holds for an order o that money came for (a payment flagged
// refund_required) but that no payment paid: a second payment of a paid
// order is refunded on its own.
const refundOwed = `(EXISTS (SELECT 1 FROM payments p WHERE p.order_no = o.order_no AND p.refund_required = 1)
	AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_no = o.order_no AND p.refund_required = 0))`

const itemSelect = `SELECT oi.order_id, oi.seat_id, s.section, s.row_label, s.number, oi.price_cents
	FROM order_items oi JOIN seats s ON s.id = oi.seat_id`

// OrderByNo returns the order with its items, or ENOTFOUND if no row is
// written for the number (yet).
func OrderByNo(ctx context.Context, db *sqlx.DB, orderNo string) (*boxoffice.Order, error) {
	var o boxoffice.Order
	err := db.GetContext(ctx, &o, orderSelect+` WHERE o.order_no = ?`, orderNo)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "no order %s", orderNo)
	}
	if err != nil {
		return nil, fmt.Errorf("order %s: %w", orderNo, err)
	}
	o.Items = []boxoffice.OrderItem{}
	if err := db.SelectContext(ctx, &o.Items, itemSelect+` WHERE oi.order_id = ? ORDER BY oi.seat_id`, o.ID); err != nil {
		return nil, fmt.Errorf("items of order %s: %w", orderNo, err)
	}
	return &o, nil
}

// OrdersOf lists the user's orders with their items, newest first, and
// the total.
func OrdersOf(ctx context.Context, db *sqlx.DB, userID int64, limit, offset int) ([]boxoffice.Order, int, error) {
	out := []boxoffice.Order{}
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
func attachItems(ctx context.Context, db *sqlx.DB, orders []boxoffice.Order) error {
	ids := make([]int64, len(orders))
	at := make(map[int64]int, len(orders))
	for i := range orders {
		ids[i], at[orders[i].ID] = orders[i].ID, i
		orders[i].Items = []boxoffice.OrderItem{}
	}
	q, args, err := sqlx.In(itemSelect+` WHERE oi.order_id IN (?) ORDER BY oi.order_id, oi.seat_id`, ids)
	if err != nil {
		return fmt.Errorf("items query: %w", err)
	}
	var items []boxoffice.OrderItem
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
func SeatItems(ctx context.Context, db *sqlx.DB, seatIDs []int64) ([]boxoffice.OrderItem, error) {
	out := []boxoffice.OrderItem{}
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
func SessionShow(ctx context.Context, db *sqlx.DB, o *boxoffice.Order) error {
	err := db.GetContext(ctx, o, `SELECT se.show_id, sh.title AS show_title, se.starts_at
		FROM sessions se JOIN shows sh ON sh.id = se.show_id WHERE se.id = ?`, o.SessionID)
	if err != nil {
		return fmt.Errorf("show of session %d: %w", o.SessionID, err)
	}
	return nil
}
