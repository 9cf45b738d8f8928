package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

// ArmSession marks session id ARMED and reads what arming loads into the
// sale Redis, in one transaction: with the session ARMED its seat map and
// tiers are frozen (the admin API refuses to change them), and the venue's
// shared lock waits out a seat map replacement under way. It returns
// ENOTFOUND for an unknown session, ECONFLICT (with the state) unless the
// session is RESERVING or ARMED, and ECONFLICT when a seat's tier has no
// price in the session.
func ArmSession(ctx context.Context, db *sqlx.DB, id int64) (*boxoffice.ArmPlan, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("arm session %d: %w", id, err)
	}
	defer tx.Rollback()
	p, err := readSession(ctx, tx, id, true)
	if err != nil {
		return nil, err
	}
	if err := WantState(p.Session.State, boxoffice.SessionReserving, boxoffice.SessionArmed); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `SELECT id FROM venues WHERE id = ? LOCK IN SHARE MODE`, p.Session.VenueID); err != nil {
		return nil, fmt.Errorf("lock venue of session %d: %w", id, err)
	}
	if err := readPlan(ctx, tx, p); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET state = 'ARMED', version = version + 1
		WHERE id = ? AND state = 'RESERVING'`, id); err != nil {
		return nil, fmt.Errorf("mark session %d armed: %w", id, err)
	}
	p.Session.State = boxoffice.SessionArmed
	return p, tx.Commit()
}

// readSession starts the plan of session id with the session itself,
// locking its row when forUpdate; ENOTFOUND for an unknown session.
func readSession(ctx context.Context, tx *sqlx.Tx, id int64, forUpdate bool) (*boxoffice.ArmPlan, error) {
	q := `SELECT ` + sessionColumns + ` FROM sessions se WHERE se.id = ?`
	if forUpdate {
		q += ` FOR UPDATE`
	}
	p := &boxoffice.ArmPlan{}
	err := tx.GetContext(ctx, &p.Session, q, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "no session %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read session %d: %w", id, err)
	}
	return p, nil
}

// readPlan reads the seats with their prices, the seats in live orders and
// the reservations of the plan's session. It changes nothing, so it also
// serves read-only transactions (recovery).
func readPlan(ctx context.Context, tx *sqlx.Tx, p *boxoffice.ArmPlan) error {
	id := p.Session.ID
	if err := tx.SelectContext(ctx, &p.Seats, `
		SELECT s.id, s.tier_code AS tier, COALESCE(pt.price_cents, 0) AS price_cents
		FROM seats s LEFT JOIN price_tiers pt ON pt.session_id = ? AND pt.code = s.tier_code
		WHERE s.venue_id = ? ORDER BY s.id`, id, p.Session.VenueID); err != nil {
		return fmt.Errorf("read seats of session %d: %w", id, err)
	}
	if err := unpriced(p.Seats); err != nil {
		return err
	}
	if err := tx.SelectContext(ctx, &p.Taken, `
		SELECT oi.seat_id, o.order_no, o.user_id, o.status = ? AS sold
		FROM order_items oi JOIN orders o ON o.id = oi.order_id
		WHERE oi.session_id = ? AND oi.active = 1 AND o.status IN (?, ?, ?)`, boxoffice.OrderPaid, id,
		boxoffice.OrderLocked, boxoffice.OrderPaying, boxoffice.OrderPaid); err != nil {
		return fmt.Errorf("read taken seats of session %d: %w", id, err)
	}
	if err := tx.SelectContext(ctx, &p.Reserved, `SELECT user_id FROM reservations WHERE session_id = ?`, id); err != nil {
		return fmt.Errorf("read reservations of session %d: %w", id, err)
	}
	return nil
}

// WantState returns ECONFLICT naming the current state unless it is one of allowed.
func WantState(current string, allowed ...string) error {
	for _, s := range allowed {
		if current == s {
			return nil
		}
	}
	return boxoffice.Errorf(boxoffice.ECONFLICT, "session is %s; this needs %s", current, strings.Join(allowed, " or ")).
		With("current_state", current)
}

// unpriced fails when a seat's tier has no price tier in the session.
func unpriced(seats []boxoffice.PlanSeat) error {
	missing := map[string]bool{}
	for _, s := range seats {
		if s.Price <= 0 {
			missing[s.Tier] = true
		}
	}
	if len(missing) == 0 {
		return nil
	}
	tiers := make([]string, 0, len(missing))
	for t := range missing {
		tiers = append(tiers, t)
	}
	sort.Strings(tiers)
	return boxoffice.Errorf(boxoffice.ECONFLICT, "seats of tier %s have no price in this session", strings.Join(tiers, ", ")).
		With("unpriced_tiers", tiers)
}

// SetSessionState moves session id to state if it is in one of from; else
// ECONFLICT naming its state. The version is bumped.
func SetSessionState(ctx context.Context, db *sqlx.DB, id int64, state string, from ...string) error {
	q, args, err := sqlx.In(`UPDATE sessions SET state = ?, version = version + 1 WHERE id = ? AND state IN (?)`,
		state, id, from)
	if err != nil {
		return err
	}
	res, err := db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("set session %d to %s: %w", id, state, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		s, err := GetSession(ctx, db, id)
		if err != nil {
			return err
		}
		if s.State == state {
			return nil
		}
		return boxoffice.Errorf(boxoffice.ECONFLICT, "session is %s, not %v", s.State, from).With("current_state", s.State)
	}
	return nil
}
