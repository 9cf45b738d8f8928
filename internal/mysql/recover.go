package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

// RecoverySnapshot reads what rebuilding session id's sale state needs, in
// one read-only transaction (one consistent snapshot): the arm plan (seats,
// prices, taken seats, reservations) and the session's orders as hold
// records: live ones (LOCKED, PAYING and PAID) with their active seats,
// ended ones (released) with the seats they had, and what MySQL has
// applied of its changes, all from one snapshot. Nothing is changed. It returns
// ENOTFOUND for an unknown session and ECONFLICT (with the state) unless the
// session is ARMED, ON_SALE or CLOSED.
func RecoverySnapshot(ctx context.Context, db *sqlx.DB, id int64) (*boxoffice.ArmPlan, []boxoffice.Hold, Applied, error) {
	var applied Applied
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return nil, nil, applied, fmt.Errorf("recovery snapshot of session %d: %w", id, err)
	}
	defer tx.Rollback()
	p, err := readSession(ctx, tx, id, false)
	if err != nil {
		return nil, nil, applied, err
	}
	if err := WantState(p.Session.State, boxoffice.SessionArmed, boxoffice.SessionOnSale, boxoffice.SessionClosed); err != nil {
		return nil, nil, applied, err
	}
	if err := tx.GetContext(ctx, &applied, `SELECT COALESCE(MAX(seq), 0) AS seq, COALESCE(MAX(lost), 0) AS lost
		FROM sale_sequences WHERE session_id = ?`, id); err != nil {
		return nil, nil, applied, fmt.Errorf("read the applied sale sequence of session %d: %w", id, err)
	}
	if err := readPlan(ctx, tx, p); err != nil {
		return nil, nil, applied, err
	}
	holds, err := sessionHolds(ctx, tx, id)
	if err != nil {
		return nil, nil, applied, err
	}
	return p, holds, applied, tx.Commit()
}

// liveItem is one seat of a live order, with the order's fields.
type liveItem struct {
	OrderNo     string       `db:"order_no"`
	UserID      int64        `db:"user_id"`
	Status      string       `db:"status"`
	Amount      int64        `db:"amount_cents"`
	ExpireAt    time.Time    `db:"expire_at"`
	PayDeadline sql.NullTime `db:"pay_deadline"`
	CreatedAt   time.Time    `db:"created_at"`
	SeatID      int64        `db:"seat_id"`
	Txn         string       `db:"txn"`
	Reason      string       `db:"reason"`
	UpdatedAt   time.Time    `db:"updated_at"`
}

// sessionHolds reads the orders of session id with their seats (a live
// order's active ones), as hold records in order of creation. A PAID
// order's txn is its succeeded payment's gateway transaction id, if one is
// recorded; a released one ends at its last update.
func sessionHolds(ctx context.Context, tx *sqlx.Tx, id int64) ([]boxoffice.Hold, error) {
	var items []liveItem
	if err := tx.SelectContext(ctx, &items, `
		SELECT o.order_no, o.user_id, o.status, o.amount_cents, o.expire_at, o.pay_deadline, o.created_at, oi.seat_id,
			COALESCE((SELECT MAX(p.gateway_txn_id) FROM payments p
				WHERE p.order_no = o.order_no AND p.status = ?), '') AS txn,
			COALESCE(o.cancel_reason, '') AS reason, o.updated_at
		FROM orders o JOIN order_items oi ON oi.order_id = o.id AND (oi.active = 1 OR o.status IN (?, ?))
		WHERE o.session_id = ?
		ORDER BY o.id, oi.seat_id`, boxoffice.PaymentSucceeded,
		boxoffice.OrderCancelled, boxoffice.OrderTimeoutCancelled, id); err != nil {
		return nil, fmt.Errorf("read the orders of session %d: %w", id, err)
	}
	var out []boxoffice.Hold
	for _, it := range items {
		if n := len(out); n > 0 && out[n-1].OrderNo == it.OrderNo {
			out[n-1].SeatIDs = append(out[n-1].SeatIDs, it.SeatID)
			continue
		}
		h := boxoffice.Hold{OrderNo: it.OrderNo, SessionID: id, UserID: it.UserID, SeatIDs: []int64{it.SeatID},
			Amount: it.Amount, ExpiresAt: it.ExpireAt.UnixMilli(), CreatedAt: it.CreatedAt.UnixMilli(),
			State: boxoffice.HoldState(it.Status), Reason: it.Reason}
		if !boxoffice.LiveStatus(it.Status) {
			h.State, h.EndedAt = boxoffice.HoldReleased, it.UpdatedAt.UnixMilli()
		}
		if it.PayDeadline.Valid {
			h.PayDeadline = it.PayDeadline.Time.UnixMilli()
		}
		if h.State == boxoffice.HoldSold {
			h.Txn = it.Txn
		}
		out = append(out, h)
	}
	return out, nil
}
