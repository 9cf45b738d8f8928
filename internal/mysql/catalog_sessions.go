package mysql

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

const (
	sessionCols = "id, show_id, venue_id, starts_at, reserve_opens_at, reserve_closes_at, sale_opens_at, " +
		"sale_closes_at, seat_limit, hold_seconds, state, version, created_at, updated_at"
	sessionByID = "SELECT " + sessionCols + " FROM sessions WHERE id = ?"
	tierCols    = "id, session_id, code, name, price_cents"
)

// Defaults of a new session.
const (
	DefaultSeatLimit   = 4
	DefaultHoldSeconds = 900
)

// SessionFilter narrows ListSessions: ShowID, VenueID and State match
// exactly, From <= starts_at < To. Zero fields do not filter.
type SessionFilter struct {
	ShowID, VenueID int64
	State           string
	From, To        *time.Time
}

// ListSessions returns one page of sessions by start time, and how many
// match in all.
func ListSessions(ctx context.Context, db *sqlx.DB, f SessionFilter, p Page) ([]boxoffice.Session, int, error) {
	var w where
	eq(&w, "show_id", f.ShowID)
	eq(&w, "venue_id", f.VenueID)
	eq(&w, "state", f.State)
	w.between("starts_at", f.From, f.To)
	return list[boxoffice.Session](ctx, db, "sessions", sessionCols, w, "starts_at, id", p)
}

// GetSession returns the session, or ENOTFOUND.
func GetSession(ctx context.Context, db sqlx.QueryerContext, id int64) (*boxoffice.Session, error) {
	return getRow[boxoffice.Session](ctx, db, "session", sessionByID, id)
}

// Armed reports whether a session in state has been armed: its seat map,
// venue and price tiers are loaded into the sale and must not change.
func Armed(state string) bool {
	return state == boxoffice.SessionArmed || state == boxoffice.SessionOnSale || state == boxoffice.SessionClosed
}

// CreateSession inserts s in state DRAFT (zero seat limit and hold time
// take the defaults) and returns the stored session. EINVALID (with
// "field") when the show or the venue does not exist.
func CreateSession(ctx context.Context, db *sqlx.DB, s boxoffice.Session) (*boxoffice.Session, error) {
	s.State = boxoffice.SessionDraft
	s.SeatLimit = cmp.Or(s.SeatLimit, DefaultSeatLimit)
	s.HoldSeconds = cmp.Or(s.HoldSeconds, DefaultHoldSeconds)
	var out *boxoffice.Session
	err := inTx(ctx, db, "create session", func(tx *sqlx.Tx) error {
		if err := sessionParents(ctx, tx, &s, nil); err != nil {
			return err
		}
		id, err := insert(ctx, tx, "session", `INSERT INTO sessions (show_id, venue_id, starts_at, reserve_opens_at,
		    reserve_closes_at, sale_opens_at, sale_closes_at, seat_limit, hold_seconds, state)
		    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, sessionArgs(&s)...)
		if err != nil {
			return err
		}
		out, err = GetSession(ctx, tx, id)
		return err
	})
	return out, err
}

// UpdateSession replaces the session's fields if it is at version and
// returns the stored session and the change (the session, its old and new
// show). A zero seat limit, hold time or state keeps the current one.
// ENOTFOUND; ESTALE; EINVALID for a show or venue that does not exist;
// ECONFLICT (with "current_state") for a state move other than between
// DRAFT and RESERVING, or a venue change once the session is armed.
func UpdateSession(ctx context.Context, db *sqlx.DB, id, version int64, s boxoffice.Session) (*boxoffice.Session, boxoffice.CatalogChange, error) {
	var out *boxoffice.Session
	var change boxoffice.CatalogChange
	err := inTx(ctx, db, "update session", func(tx *sqlx.Tx) error {
		cur, err := lockSession(ctx, tx, id, version)
		if err != nil {
			return err
		}
		if err := mergeSession(cur, &s); err != nil {
			return err
		}
		if err := sessionParents(ctx, tx, &s, cur); err != nil {
			return err
		}
		err = updateVersioned(ctx, tx, "session", "sessions", id, version, `show_id = ?, venue_id = ?,
		    starts_at = ?, reserve_opens_at = ?, reserve_closes_at = ?, sale_opens_at = ?,
		    sale_closes_at = ?, seat_limit = ?, hold_seconds = ?, state = ?`, sessionArgs(&s)...)
		if err != nil {
			return err
		}
		change = sessionRefs{{ID: id, ShowID: s.ShowID}}.change(cur.ShowID)
		out, err = GetSession(ctx, tx, id)
		return err
	})
	return out, change, err
}

// DeleteSession deletes a DRAFT or RESERVING session with its price tiers
// and returns what it was. ENOTFOUND; ESTALE when version is not 0 and not
// the session's; ECONFLICT (with "current_state") once it is armed, or
// naming its reservations and orders.
func DeleteSession(ctx context.Context, db *sqlx.DB, id, version int64) (*boxoffice.Session, error) {
	var cur *boxoffice.Session
	err := inTx(ctx, db, "delete session", func(tx *sqlx.Tx) error {
		var err error
		if cur, err = lockSession(ctx, tx, id, version); err != nil {
			return err
		}
		if err := notArmed(cur, "be deleted"); err != nil {
			return err
		}
		err = referenced(ctx, tx, "session", id,
			ref{"reservations", "session_id", "reservation"}, ref{"orders", "session_id", "order"})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM price_tiers WHERE session_id = ?", id); err != nil {
			return fmt.Errorf("delete price tiers of session %d: %w", id, err)
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM sessions WHERE id = ?", id)
		return stillReferenced(err, "session", id)
	})
	return cur, err
}

// PriceTiers returns the session and its price tiers by code. ENOTFOUND.
func PriceTiers(ctx context.Context, db *sqlx.DB, sessionID int64) (*boxoffice.Session, []boxoffice.PriceTier, error) {
	s, err := GetSession(ctx, db, sessionID)
	if err != nil {
		return nil, nil, err
	}
	tiers, err := tiersOf(ctx, db, sessionID)
	return s, tiers, err
}

// ReplacePriceTiers replaces the session's price tiers and bumps its
// version; it returns the session and the stored tiers. ENOTFOUND; ESTALE;
// ECONFLICT (with "current_state") once the session is armed.
func ReplacePriceTiers(ctx context.Context, db *sqlx.DB, sessionID, version int64, tiers []boxoffice.PriceTier) (*boxoffice.Session, []boxoffice.PriceTier, error) {
	var s *boxoffice.Session
	var out []boxoffice.PriceTier
	err := inTx(ctx, db, "replace price tiers", func(tx *sqlx.Tx) error {
		cur, err := lockSession(ctx, tx, sessionID, version)
		if err != nil {
			return err
		}
		if err := notArmed(cur, "change its price tiers"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM price_tiers WHERE session_id = ?", sessionID); err != nil {
			return fmt.Errorf("delete price tiers of session %d: %w", sessionID, err)
		}
		if err := insertTiers(ctx, tx, sessionID, tiers); err != nil {
			return err
		}
		if err := updateVersioned(ctx, tx, "session", "sessions", sessionID, version, ""); err != nil {
			return err
		}
		if s, err = GetSession(ctx, tx, sessionID); err != nil {
			return err
		}
		out, err = tiersOf(ctx, tx, sessionID)
		return err
	})
	return s, out, err
}

func insertTiers(ctx context.Context, tx *sqlx.Tx, sessionID int64, tiers []boxoffice.PriceTier) error {
	if len(tiers) == 0 {
		return nil
	}
	args := make([]any, 0, 4*len(tiers))
	for _, t := range tiers {
		args = append(args, sessionID, t.Code, t.Name, t.PriceCents)
	}
	rows := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", len(tiers)), ", ")
	_, err := tx.ExecContext(ctx, "INSERT INTO price_tiers (session_id, code, name, price_cents) VALUES "+rows, args...)
	if isMySQL(err, errDuplicate) {
		return boxoffice.Errorf(boxoffice.EINVALID, "tiers: two codes are the same to the database: %v", err)
	}
	if err != nil {
		return fmt.Errorf("insert price tiers of session %d: %w", sessionID, err)
	}
	return nil
}

func tiersOf(ctx context.Context, q sqlx.QueryerContext, sessionID int64) ([]boxoffice.PriceTier, error) {
	tiers := []boxoffice.PriceTier{}
	err := sqlx.SelectContext(ctx, q, &tiers, "SELECT "+tierCols+" FROM price_tiers WHERE session_id = ? ORDER BY code", sessionID)
	if err != nil {
		return nil, fmt.Errorf("read price tiers of session %d: %w", sessionID, err)
	}
	return tiers, nil
}

func lockSession(ctx context.Context, tx *sqlx.Tx, id, version int64) (*boxoffice.Session, error) {
	return lock(ctx, tx, "session", sessionByID, id, version, func(s *boxoffice.Session) int64 { return s.Version })
}

// notArmed returns ECONFLICT saying the session cannot do what once armed.
func notArmed(s *boxoffice.Session, what string) error {
	if !Armed(s.State) {
		return nil
	}
	return boxoffice.Errorf(boxoffice.ECONFLICT,
		"session %d is %s: once armed it cannot %s", s.ID, s.State, what).
		With("current_state", s.State)
}

// mergeSession fills next's kept fields from cur and checks the move.
func mergeSession(cur, next *boxoffice.Session) error {
	next.State = cmp.Or(next.State, cur.State)
	next.SeatLimit = cmp.Or(next.SeatLimit, cur.SeatLimit)
	next.HoldSeconds = cmp.Or(next.HoldSeconds, cur.HoldSeconds)
	editable := func(state string) bool {
		return state == boxoffice.SessionDraft || state == boxoffice.SessionReserving
	}
	if next.State != cur.State && !(editable(cur.State) && editable(next.State)) {
		return boxoffice.Errorf(boxoffice.ECONFLICT,
			"session %d is %s: an update moves the state only between DRAFT and RESERVING, not to %s "+
				"(arm, open and close are actions)", cur.ID, cur.State, next.State).
			With("current_state", cur.State)
	}
	if next.VenueID != cur.VenueID {
		return notArmed(cur, "change its venue")
	}
	return nil
}

// sessionParents locks the show and venue s names (those that differ from
// cur's, when cur is not nil): EINVALID when one does not exist.
func sessionParents(ctx context.Context, tx *sqlx.Tx, s, cur *boxoffice.Session) error {
	if cur == nil || s.ShowID != cur.ShowID {
		if err := lockShared(ctx, tx, "shows", "show_id", s.ShowID); err != nil {
			return err
		}
	}
	if cur == nil || s.VenueID != cur.VenueID {
		return lockShared(ctx, tx, "venues", "venue_id", s.VenueID)
	}
	return nil
}

func sessionArgs(s *boxoffice.Session) []any {
	return []any{s.ShowID, s.VenueID, s.StartsAt, s.ReserveOpensAt, s.ReserveClosesAt,
		s.SaleOpensAt, s.SaleClosesAt, s.SeatLimit, s.HoldSeconds, s.State}
}
