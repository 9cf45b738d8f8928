package mysql

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

// recordSeqs raises each session's applied sequence (sale_sequences) to
// the highest seq among events, in the batch's transaction.
func recordSeqs(ctx context.Context, tx *sqlx.Tx, events []boxoffice.SaleEvent) error {
	high := map[int64]int64{}
	for _, e := range events {
		high[e.SessionID] = max(high[e.SessionID], e.Seq)
	}
	var rows []string
	var args []any
	for sid, seq := range high {
		if seq > 0 {
			rows, args = append(rows, "(?, ?)"), append(args, sid, seq)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO sale_sequences (session_id, seq) VALUES `+strings.Join(rows, ", ")+
		` ON DUPLICATE KEY UPDATE seq = GREATEST(seq, VALUES(seq))`, args...)
	if err != nil {
		return fmt.Errorf("record sale sequences: %w", err)
	}
	return nil
}

// AppliedSeqs is the highest change sequence MySQL has applied of each
// session in ids that has one.
func AppliedSeqs(ctx context.Context, db *sqlx.DB, ids []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(`SELECT session_id, seq FROM sale_sequences WHERE session_id IN (?)`, ids)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID  int64 `db:"session_id"`
		Seq int64 `db:"seq"`
	}
	if err := db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("read the applied sale sequences: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Seq
	}
	return out, nil
}
