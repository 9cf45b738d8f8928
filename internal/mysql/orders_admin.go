package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

// AdminOrder is an order as the admin panel sees it: with its buyer's
// phone and when its row last changed.
type AdminOrder struct {
	boxoffice.Order
	BuyerID    int64     `db:"buyer_id"`
	BuyerPhone string    `db:"buyer_phone"`
	UpdatedAt  time.Time `db:"updated_at"`
}

// adminOrderSelect is orderSelect with the buyer and the row's last change.
var adminOrderSelect = strings.Replace(orderSelect, "FROM orders o ",
	", o.user_id AS buyer_id, u.phone AS buyer_phone, o.updated_at FROM orders o ", 1) +
	" JOIN users u ON u.id = o.user_id"

// FindOrders returns the orders whose number is q or whose buyer's phone
// is q, newest first, with their items (at most limit).
func FindOrders(ctx context.Context, db *sqlx.DB, q string, limit int) ([]AdminOrder, error) {
	out := []AdminOrder{}
	err := db.SelectContext(ctx, &out, adminOrderSelect+` WHERE o.order_no = ?
		UNION ALL `+adminOrderSelect+` WHERE u.phone = ? AND o.order_no <> ?
		ORDER BY created_at DESC, id DESC LIMIT ?`, q, q, q, limit)
	if err != nil {
		return nil, fmt.Errorf("find orders %q: %w", q, err)
	}
	return out, attachAdminItems(ctx, db, out)
}

// RefundOrders lists the orders flagged for refund (the order's flag or a
// payment's), newest first, and their total.
func RefundOrders(ctx context.Context, db *sqlx.DB, p Page) ([]AdminOrder, int, error) {
	const flagged = ` WHERE o.refund_required = 1 OR o.order_no IN
		(SELECT p.order_no FROM payments p WHERE p.refund_required = 1)`
	out := []AdminOrder{}
	if err := db.SelectContext(ctx, &out, adminOrderSelect+flagged+
		` ORDER BY o.created_at DESC, o.id DESC LIMIT ? OFFSET ?`, p.Limit, p.Offset); err != nil {
		return nil, 0, fmt.Errorf("refund orders: %w", err)
	}
	var total int
	if err := db.GetContext(ctx, &total, `SELECT COUNT(*) FROM orders o`+flagged); err != nil {
		return nil, 0, fmt.Errorf("count refund orders: %w", err)
	}
	return out, total, attachAdminItems(ctx, db, out)
}

// AdminOrderByNo returns one order with its items and payments.
func AdminOrderByNo(ctx context.Context, db *sqlx.DB, orderNo string) (*AdminOrder, error) {
	var o AdminOrder
	err := db.GetContext(ctx, &o, adminOrderSelect+` WHERE o.order_no = ?`, orderNo)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "no order %s", orderNo)
	}
	if err != nil {
		return nil, fmt.Errorf("order %s: %w", orderNo, err)
	}
	list := []AdminOrder{o}
	if err := attachAdminItems(ctx, db, list); err != nil {
		return nil, err
	}
	o = list[0]
	if o.Payments, err = PaymentsOf(ctx, db, orderNo); err != nil {
		return nil, err
	}
	return &o, nil
}

func attachAdminItems(ctx context.Context, db *sqlx.DB, list []AdminOrder) error {
	if len(list) == 0 {
		return nil
	}
	orders := make([]boxoffice.Order, len(list))
	for i := range list {
		orders[i] = list[i].Order
	}
	if err := attachItems(ctx, db, orders); err != nil {
		return err
	}
	for i := range list {
		list[i].Items = orders[i].Items
	}
	return nil
}

// SaleLag is how far the order rows of a session trail its holds.
type SaleLag struct {
	// Orders is the number of order rows written.
	Orders int64 `json:"orders"`
	// Recent is the number of LOCKED rows whose hold is under a minute
	// old; AvgMS and MaxMS are their hold → row times.
	Recent int64   `json:"recent"`
	AvgMS  float64 `json:"avg_ms"`
	MaxMS  float64 `json:"max_ms"`
}

// SessionLag measures the hold → order row time of a session's recent
// holds: a LOCKED row's updated_at is when it was written, its created_at
// the hold's time.
func SessionLag(ctx context.Context, db *sqlx.DB, sessionID int64, now time.Time) (*SaleLag, error) {
	var l SaleLag
	var avg, max sql.NullFloat64
	err := db.QueryRowxContext(ctx, `SELECT
		(SELECT COUNT(*) FROM orders WHERE session_id = ?),
		COUNT(*), AVG(TIMESTAMPDIFF(MICROSECOND, created_at, updated_at)) / 1000,
		MAX(TIMESTAMPDIFF(MICROSECOND, created_at, updated_at)) / 1000
		FROM orders WHERE session_id = ? AND status = 'LOCKED' AND created_at >= ?`,
		sessionID, sessionID, now.Add(-time.Minute).UTC()).Scan(&l.Orders, &l.Recent, &avg, &max)
	if err != nil {
		return nil, fmt.Errorf("lag of session %d: %w", sessionID, err)
	}
	l.AvgMS, l.MaxMS = avg.Float64, max.Float64
	return &l, nil
}

// RefundCount counts the session's orders flagged for refund.
func RefundCount(ctx context.Context, db *sqlx.DB, sessionID int64) (int64, error) {
	var n int64
	err := db.GetContext(ctx, &n, `SELECT COUNT(*) FROM orders o WHERE o.session_id = ? AND (o.refund_required = 1
		OR o.order_no IN (SELECT p.order_no FROM payments p WHERE p.refund_required = 1))`, sessionID)
	if err != nil {
		return 0, fmt.Errorf("refunds of session %d: %w", sessionID, err)
	}
	return n, nil
}
