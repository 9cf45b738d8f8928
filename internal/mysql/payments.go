package mysql

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

// RecordPayment inserts p unless its gateway transaction is recorded
// already. It returns the row as stored (the first one wins: a replay
// changes nothing) and whether it inserted it. A transaction recorded for
// another order is ECONFLICT.
func RecordPayment(ctx context.Context, db *sqlx.DB, p boxoffice.Payment) (boxoffice.Payment, bool, error) {
	res, err := db.ExecContext(ctx, `INSERT INTO payments (order_no, gateway_txn_id, amount_cents, status, refund_required)
		VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id`,
		p.OrderNo, p.TxnID, p.AmountCents, p.Status, p.RefundRequired)
	if err != nil {
		return p, false, fmt.Errorf("record payment %s of %s: %w", p.TxnID, p.OrderNo, err)
	}
	n, _ := res.RowsAffected()
	var rec boxoffice.Payment
	if err := db.GetContext(ctx, &rec, paymentSelect+` WHERE gateway_txn_id = ?`, p.TxnID); err != nil {
		return p, false, fmt.Errorf("read payment %s: %w", p.TxnID, err)
	}
	if rec.OrderNo != p.OrderNo {
		return rec, false, boxoffice.Errorf(boxoffice.ECONFLICT,
			"transaction %s is recorded for order %s, not %s", p.TxnID, rec.OrderNo, p.OrderNo)

	}
	return rec, n == 1, nil
}

const paymentSelect = `SELECT id, order_no, gateway_txn_id, amount_cents, status, refund_required, created_at FROM payments`

// PaymentsOf returns the payments recorded for an order, oldest first.
func PaymentsOf(ctx context.Context, db *sqlx.DB, orderNo string) ([]boxoffice.Payment, error) {
	out := []boxoffice.Payment{}
	err := db.SelectContext(ctx, &out, paymentSelect+` WHERE order_no = ? ORDER BY id`, orderNo)
	if err != nil {
		return nil, fmt.Errorf("payments of %s: %w", orderNo, err)
	}
	return out, nil
}

// MarkOrderPaying moves a LOCKED order to PAYING with its payment deadline
// and reports whether it did; an order in another state, or not written
// yet, is left alone.
func MarkOrderPaying(ctx context.Context, db *sqlx.DB, orderNo string, deadline time.Time) (bool, error) {
	res, err := db.ExecContext(ctx, `UPDATE orders SET status = ?, pay_deadline = ?
		WHERE order_no = ? AND status = ?`, boxoffice.OrderPaying, deadline.UTC(), orderNo, boxoffice.OrderLocked)
	if err != nil {
		return false, fmt.Errorf("mark order %s paying: %w", orderNo, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// FlagOrderRefund marks an order as owing its buyer a refund (money came
// after the order could no longer be paid). An order not written yet is
// left alone: its payment row carries the flag too.
func FlagOrderRefund(ctx context.Context, db *sqlx.DB, orderNo string) error {
	if _, err := db.ExecContext(ctx, `UPDATE orders SET refund_required = 1 WHERE order_no = ?`, orderNo); err != nil {
		return fmt.Errorf("flag refund of order %s: %w", orderNo, err)
	}
	return nil
}
