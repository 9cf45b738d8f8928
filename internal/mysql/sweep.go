package mysql

import (
	"boxoffice/internal/boxoffice"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// OverdueOrder is an order still LOCKED past its hold's expiry, or PAYING
// past its payment deadline.
type OverdueOrder struct {
	OrderNo   string    `db:"order_no"`
	SessionID int64     `db:"session_id"`
	Status    string    `db:"status"`
	Due       time.Time `db:"due"`   // expire_at while LOCKED, pay_deadline while PAYING
	Seats     string    `db:"seats"` // its live seats, comma-separated
}

// SeatIDs are the order's live seats.
func (o OverdueOrder) SeatIDs() []int64 {
	var out []int64
	for _, f := range strings.Split(o.Seats, ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// OverdueOrders returns up to limit LOCKED orders that expired before
// before and up to limit PAYING orders whose payment deadline passed
// before it, the most overdue first: the timeouts daemon's backstop sweep.
func OverdueOrders(ctx context.Context, db *sqlx.DB, before time.Time, limit int) ([]OverdueOrder, error) {
	const cols = `o.order_no, o.session_id, o.status, COALESCE((SELECT GROUP_CONCAT(oi.seat_id) FROM order_items oi
		WHERE oi.order_id = o.id AND oi.active = 1), '') AS seats`
	var out []OverdueOrder
	err := db.SelectContext(ctx, &out, `
		(SELECT `+cols+`, o.expire_at AS due FROM orders o
			WHERE o.status = ? AND o.expire_at < ? ORDER BY o.expire_at LIMIT ?)
		UNION ALL
		(SELECT `+cols+`, o.pay_deadline AS due FROM orders o
			WHERE o.status = ? AND o.pay_deadline < ? ORDER BY o.pay_deadline LIMIT ?)`,
		boxoffice.OrderLocked, before, limit, boxoffice.OrderPaying, before, limit)
	if err != nil {
		return nil, fmt.Errorf("read overdue orders: %w", err)
	}
	return out, nil
}

// CancelOverdue marks an order TIMEOUT_CANCELLED with reason and frees its
// seats (items inactive), in one transaction, if it is still LOCKED or
// PAYING; it reports whether it changed the order. The sweep uses it when
// the sale Redis has lost the order's hold, so no event will ever end it.
func CancelOverdue(ctx context.Context, db *sqlx.DB, orderNo, reason string) (bool, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("cancel order %s: %w", orderNo, err)
	}
	defer tx.Rollback()
	var id int64
	err = tx.GetContext(ctx, &id, `SELECT id FROM orders WHERE order_no = ? AND status IN (?, ?) FOR UPDATE`,
		orderNo, boxoffice.OrderLocked, boxoffice.OrderPaying)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read order %s: %w", orderNo, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = ?, cancel_reason = ?
		WHERE id = ? AND status IN (?, ?)`,
		boxoffice.OrderTimeoutCancelled, reason, id, boxoffice.OrderLocked, boxoffice.OrderPaying); err != nil {
		return false, fmt.Errorf("cancel order %s: %w", orderNo, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE order_items SET active = NULL WHERE order_id = ?`, id); err != nil {
		return false, fmt.Errorf("free the seats of order %s: %w", orderNo, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("cancel order %s: %w", orderNo, err)
	}
	return true, nil
}

// OrderStatuses returns the status of those of orderNos that have an order
// row, by order number; numbers without a row are absent.
func OrderStatuses(ctx context.Context, db *sqlx.DB, orderNos []string) (map[string]string, error) {
	out := make(map[string]string, len(orderNos))
	if len(orderNos) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(`SELECT order_no, status FROM orders WHERE order_no IN (?)`, orderNos)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		OrderNo string `db:"order_no"`
		Status  string `db:"status"`
	}
	if err := db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("look up %d order numbers: %w", len(orderNos), err)
	}
	for _, r := range rows {
		out[r.OrderNo] = r.Status
	}
	return out, nil
}
