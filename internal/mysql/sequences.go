package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

// Applied is what MySQL knows of a session's changes.
type Applied struct {
	Seq  int64 `db:"seq"`  // the highest change sequence applied
	Lost int64 `db:"lost"` // findings of a sequence given twice since the last repair (registerSeqs)
}

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

// registerSeqs records which event holds each change sequence of events
// (sale_event_seqs), in a transaction of its own, so that it stands even
// when the batch that carries them fails and is tried again. A sequence
// another event of the session already holds was given twice: the sale
// Redis came back with older data and numbers again changes MySQL has
// seen. That session's lost count goes up, and workers/timeouts repairs
// it. An event seen again (a replay) holds its own sequence already and
// is no loss; a re-sent event (Seq 0) is not registered.
func registerSeqs(ctx context.Context, db *sqlx.DB, events []boxoffice.SaleEvent) error {
	bySession := map[int64][]boxoffice.SaleEvent{}
	for _, e := range events {
		if e.Seq > 0 {
			bySession[e.SessionID] = append(bySession[e.SessionID], e)
		}
	}
	if len(bySession) == 0 {
		return nil
	}
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return fmt.Errorf("register sale sequences: %w", err)
	}
	defer tx.Rollback()
	sids := slices.Sorted(maps.Keys(bySession)) // rows locked in one order: no deadlock
	if err := lockSessions(ctx, tx, sids); err != nil {
		return err
	}
	var lost []int64
	for _, sid := range sids {
		reused, err := registerSession(ctx, tx, sid, bySession[sid])
		if err != nil {
			return err
		}
		if reused {
			lost = append(lost, sid)
		}
	}
	if len(lost) > 0 {
		q, args, err := sqlx.In(`UPDATE sale_sequences SET lost = lost + 1 WHERE session_id IN (?)`, lost)
		if err == nil {
			_, err = tx.ExecContext(ctx, q, args...)
		}
		if err != nil {
			return fmt.Errorf("mark sessions %v lost: %w", lost, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("register sale sequences: commit: %w", err)
	}
	return nil
}

// lockSessions locks the sale_sequences rows of sids (made if missing), so
// the registrations of one session take turns and each sees the last.
func lockSessions(ctx context.Context, tx *sqlx.Tx, sids []int64) error {
	rows := make([]string, len(sids))
	args := make([]any, 0, len(sids))
	for i, sid := range sids {
		rows[i], args = "(?, 0)", append(args, sid)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO sale_sequences (session_id, seq) VALUES `+strings.Join(rows, ", ")+
		` ON DUPLICATE KEY UPDATE seq = seq`, args...)
	if err != nil {
		return fmt.Errorf("lock sale sequences: %w", err)
	}
	return nil
}

// registerSession registers events of session sid and reports whether one
// of them has a sequence that another event holds.
func registerSession(ctx context.Context, tx *sqlx.Tx, sid int64, events []boxoffice.SaleEvent) (bool, error) {
	reused := false
	for start := 0; start < len(events); start += writeChunk {
		part := events[start:min(start+writeChunk, len(events))]
		seqs := make([]int64, len(part))
		for i, e := range part {
			seqs[i] = e.Seq
		}
		q, args, err := sqlx.In(`SELECT seq, event_id FROM sale_event_seqs WHERE session_id = ? AND seq IN (?)`, sid, seqs)
		if err != nil {
			return false, err
		}
		var held []struct {
			Seq int64  `db:"seq"`
			ID  string `db:"event_id"`
		}
		if err := tx.SelectContext(ctx, &held, q, args...); err != nil {
			return false, fmt.Errorf("read the sequences of session %d: %w", sid, err)
		}
		holders := map[int64][]string{}
		for _, h := range held {
			holders[h.Seq] = append(holders[h.Seq], h.ID)
		}
		var rows []string
		var values []any
		for _, e := range part {
			if slices.Contains(holders[e.Seq], e.ID) {
				continue
			}
			reused = reused || len(holders[e.Seq]) > 0
			holders[e.Seq] = append(holders[e.Seq], e.ID)
			rows, values = append(rows, "(?, ?, ?)"), append(values, sid, e.Seq, e.ID)
		}
		if len(rows) == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sale_event_seqs (session_id, seq, event_id) VALUES `+
			strings.Join(rows, ", "), values...); err != nil {
			return false, fmt.Errorf("register the sequences of session %d: %w", sid, err)
		}
	}
	return reused, nil
}

// AppliedSeqs is what MySQL has applied of each session in ids that has a
// record.
func AppliedSeqs(ctx context.Context, db *sqlx.DB, ids []int64) (map[int64]Applied, error) {
	out := map[int64]Applied{}
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(`SELECT session_id, seq, lost FROM sale_sequences WHERE session_id IN (?)`, ids)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID   int64 `db:"session_id"`
		Seq  int64 `db:"seq"`
		Lost int64 `db:"lost"`
	}
	if err := db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("read the applied sale sequences: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = Applied{Seq: r.Seq, Lost: r.Lost}
	}
	return out, nil
}

// Repaired sets session id's lost count back to 0 after a repair that
// read it as lost, unless a loss was found since: then it stays, and the
// next check repairs again.
func Repaired(ctx context.Context, db *sqlx.DB, id, lost int64) error {
	if lost == 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx, `UPDATE sale_sequences SET lost = 0 WHERE session_id = ? AND lost = ?`, id, lost); err != nil {
		return fmt.Errorf("clear the loss of session %d: %w", id, err)
	}
	return nil
}

// ForgetSeqs deletes the sequence register of session id, a batch at a
// time: a retired session changes no more.
func ForgetSeqs(ctx context.Context, db *sqlx.DB, id int64) error {
	for {
		res, err := db.ExecContext(ctx, `DELETE FROM sale_event_seqs WHERE session_id = ? LIMIT 5000`, id)
		if err != nil {
			return fmt.Errorf("forget the sequences of session %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
	}
}
