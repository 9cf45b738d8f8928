package mysql

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

// RecordConflict writes conflict c for each of seats of session sid
// (sale_conflicts), once per seat, order and kind: a disagreement found
// again, or cleared by an admin, is not opened again. It returns how many
// rows it added and the seats whose row for c is open.
func RecordConflict(ctx context.Context, db *sqlx.DB, sid int64, c boxoffice.Conflict, seats []int64) (int64, []int64, error) {
	if len(seats) == 0 {
		return 0, nil, nil
	}
	rows := make([]string, len(seats))
	args := make([]any, 0, 6*len(seats))
	for i, seat := range seats {
		rows[i] = "(?, ?, ?, ?, ?, ?)"
		args = append(args, sid, seat, c.Kind, c.OrderNo, c.OtherOrderNo, c.Detail[:min(len(c.Detail), 1000)])
	}
	res, err := db.ExecContext(ctx, `INSERT INTO sale_conflicts (session_id, seat_id, kind, order_no, other_order_no, detail)
		VALUES `+strings.Join(rows, ", ")+` ON DUPLICATE KEY UPDATE id = id`, args...)
	if err != nil {
		return 0, nil, fmt.Errorf("record a %s conflict of order %s: %w", c.Kind, c.OrderNo, err)
	}
	added, _ := res.RowsAffected()
	q, qargs, err := sqlx.In(`SELECT seat_id FROM sale_conflicts WHERE session_id = ? AND order_no = ? AND kind = ?
		AND cleared_at IS NULL AND seat_id IN (?)`, sid, c.OrderNo, c.Kind, seats)
	var open []int64
	if err == nil {
		err = db.SelectContext(ctx, &open, q, qargs...)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read the open conflicts of order %s: %w", c.OrderNo, err)
	}
	return added, open, nil
}

// ClearConflicts closes the open conflicts of a seat of session sid and
// reports whether it had any.
func ClearConflicts(ctx context.Context, db *sqlx.DB, sid, seat int64) (bool, error) {
	res, err := db.ExecContext(ctx, `UPDATE sale_conflicts SET cleared_at = CURRENT_TIMESTAMP(3)
		WHERE session_id = ? AND seat_id = ? AND cleared_at IS NULL`, sid, seat)
	if err != nil {
		return false, fmt.Errorf("clear the conflicts of seat %d of session %d: %w", seat, sid, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// OpenConflicts returns the open conflicts of session sid, one per seat
// (the newest).
func OpenConflicts(ctx context.Context, db *sqlx.DB, sid int64) ([]boxoffice.Conflict, error) {
	var rows []struct {
		SeatID    int64     `db:"seat_id"`
		Kind      string    `db:"kind"`
		OrderNo   string    `db:"order_no"`
		Other     string    `db:"other_order_no"`
		Detail    string    `db:"detail"`
		CreatedAt time.Time `db:"created_at"`
	}
	if err := db.SelectContext(ctx, &rows, `SELECT seat_id, kind, order_no, other_order_no, detail, created_at
		FROM sale_conflicts WHERE session_id = ? AND cleared_at IS NULL ORDER BY seat_id, id`, sid); err != nil {
		return nil, fmt.Errorf("read the conflicts of session %d: %w", sid, err)
	}
	var out []boxoffice.Conflict
	for _, r := range rows {
		c := boxoffice.Conflict{SeatID: r.SeatID, Kind: r.Kind, OrderNo: r.OrderNo, OtherOrderNo: r.Other,
			Detail: r.Detail, At: r.CreatedAt.UnixMilli()}
		if n := len(out); n > 0 && out[n-1].SeatID == c.SeatID {
			out[n-1] = c
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// SeatOwner is the live order MySQL gives a seat to.
type SeatOwner struct {
	SeatID  int64  `db:"seat_id"`
	OrderNo string `db:"order_no"`
	Status  string `db:"status"`
}

// SeatOwners returns the live orders (LOCKED, PAYING or PAID) that hold
// seats of session sid in MySQL, by seat.
func SeatOwners(ctx context.Context, db *sqlx.DB, sid int64, seats []int64) (map[int64]SeatOwner, error) {
	out := make(map[int64]SeatOwner, len(seats))
	for start := 0; start < len(seats); start += writeChunk {
		q, args, err := sqlx.In(`SELECT oi.seat_id, o.order_no, o.status FROM order_items oi
			JOIN orders o ON o.id = oi.order_id
			WHERE oi.session_id = ? AND oi.active = 1 AND oi.seat_id IN (?)`, sid, seats[start:min(start+writeChunk, len(seats))])
		var rows []SeatOwner
		if err == nil {
			err = db.SelectContext(ctx, &rows, q, args...)
		}
		if err != nil {
			return nil, fmt.Errorf("read the owners of seats of session %d: %w", sid, err)
		}
		for _, r := range rows {
			out[r.SeatID] = r
		}
	}
	return out, nil
}
