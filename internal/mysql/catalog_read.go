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

// Read queries of the public catalog. Only published shows and their
// sessions that are not DRAFT are public; every function here takes a
// sqlx.QueryerContext so that a caller can run several of them in one
// read-only transaction (one consistent snapshot).

// PublicShowFilter selects one page of the public show list.
type PublicShowFilter struct {
	Query  string // contained in the title or the artist, case-insensitive; "" for all
	City   string // a non-DRAFT session at a venue in this city; "" for all
	Offset int
	Limit  int
}

// where returns the filter's WHERE clause (on shows AS s) and its arguments.
func (f PublicShowFilter) where() (string, []any) {
	clause, args := "s.status = 'published'", []any{}
	if f.Query != "" {
		// The column collation is case-insensitive, so LIKE is too.
		like := "%" + escapeLike(f.Query) + "%"
		clause += " AND (s.title LIKE ? ESCAPE '!' OR s.artist LIKE ? ESCAPE '!')"
		args = append(args, like, like)
	}
	if f.City != "" {
		clause += ` AND EXISTS (SELECT 1 FROM sessions se JOIN venues v ON v.id = se.venue_id
			WHERE se.show_id = s.id AND se.state <> 'DRAFT' AND v.city = ?)`
		args = append(args, f.City)
	}
	return clause, args
}

// escapeLike makes s match itself literally in a LIKE pattern with ESCAPE
// '!' (not backslash, whose meaning depends on the SQL mode).
func escapeLike(s string) string {
	return strings.NewReplacer(`!`, `!!`, `%`, `!%`, `_`, `!_`).Replace(s)
}

// PublicShows returns one page of published shows, newest first, and how
// many shows match the filter in all.
func PublicShows(ctx context.Context, q sqlx.QueryerContext, f PublicShowFilter) ([]boxoffice.Show, int, error) {
	where, args := f.where()
	var total int
	if err := sqlx.GetContext(ctx, q, &total, "SELECT COUNT(*) FROM shows s WHERE "+where, args...); err != nil {
		return nil, 0, fmt.Errorf("count public shows: %w", err)
	}
	shows := []boxoffice.Show{}
	err := sqlx.SelectContext(ctx, q, &shows, `SELECT s.id, s.title, s.artist, COALESCE(s.description, '') AS description,
		s.poster_url, s.status, s.version, s.created_at, s.updated_at
		FROM shows s WHERE `+where+` ORDER BY s.id DESC LIMIT ? OFFSET ?`,
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list public shows: %w", err)
	}
	return shows, total, nil
}

// PublicShow returns the published show with the id, or ENOTFOUND.
func PublicShow(ctx context.Context, q sqlx.QueryerContext, id int64) (*boxoffice.Show, error) {
	var s boxoffice.Show
	err := sqlx.GetContext(ctx, q, &s, `SELECT id, title, artist, COALESCE(description, '') AS description,
		poster_url, status, version, created_at, updated_at
		FROM shows WHERE id = ? AND status = 'published'`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "no published show %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("public show %d: %w", id, err)
	}
	return &s, nil
}

const sessionColumns = `se.id, se.show_id, se.venue_id, se.starts_at, se.reserve_opens_at,
	se.reserve_closes_at, se.sale_opens_at, se.sale_closes_at, se.seat_limit, se.hold_seconds,
	se.state, se.version, se.created_at, se.updated_at`

// PublicSessionsOfShow returns the show's sessions that are not DRAFT,
// ordered by start time.
func PublicSessionsOfShow(ctx context.Context, q sqlx.QueryerContext, showID int64) ([]boxoffice.Session, error) {
	sessions := []boxoffice.Session{}
	err := sqlx.SelectContext(ctx, q, &sessions, `SELECT `+sessionColumns+` FROM sessions se
		WHERE se.show_id = ? AND se.state <> 'DRAFT' ORDER BY se.starts_at, se.id`, showID)
	if err != nil {
		return nil, fmt.Errorf("sessions of show %d: %w", showID, err)
	}
	return sessions, nil
}

// PublicSession returns the session with the id if it is not DRAFT and its
// show is published, or ENOTFOUND.
func PublicSession(ctx context.Context, q sqlx.QueryerContext, id int64) (*boxoffice.Session, error) {
	var s boxoffice.Session
	err := sqlx.GetContext(ctx, q, &s, `SELECT `+sessionColumns+` FROM sessions se
		JOIN shows s ON s.id = se.show_id
		WHERE se.id = ? AND se.state <> 'DRAFT' AND s.status = 'published'`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "no public session %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("public session %d: %w", id, err)
	}
	return &s, nil
}

// PublicNextSession is the next session of a show in the public list.
type PublicNextSession struct {
	ShowID    int64     `db:"show_id"`
	SessionID int64     `db:"id"`
	StartsAt  time.Time `db:"starts_at"`
	City      string    `db:"city"`
}

// PublicNextSessions returns, per show id, its earliest session that is not
// DRAFT and starts at or after from (at a venue in city, unless city is "").
// Shows without one are absent from the map.
func PublicNextSessions(ctx context.Context, q sqlx.QueryerContext, showIDs []int64, from time.Time, city string) (map[int64]PublicNextSession, error) {
	next := make(map[int64]PublicNextSession, len(showIDs))
	if len(showIDs) == 0 {
		return next, nil
	}
	query := `SELECT se.show_id, se.id, se.starts_at, v.city FROM sessions se
		JOIN venues v ON v.id = se.venue_id
		WHERE se.show_id IN (?) AND se.state <> 'DRAFT' AND se.starts_at >= ?`
	args := []any{showIDs, from}
	if city != "" {
		query += " AND v.city = ?"
		args = append(args, city)
	}
	query, args, err := sqlx.In(query+" ORDER BY se.show_id, se.starts_at, se.id", args...)
	if err != nil {
		return nil, fmt.Errorf("next sessions: %w", err)
	}
	var rows []PublicNextSession
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("next sessions: %w", err)
	}
	for _, r := range rows {
		if _, seen := next[r.ShowID]; !seen {
			next[r.ShowID] = r
		}
	}
	return next, nil
}

// PublicVenues returns the venues with the ids, by id.
func PublicVenues(ctx context.Context, q sqlx.QueryerContext, ids []int64) (map[int64]boxoffice.Venue, error) {
	venues := make(map[int64]boxoffice.Venue, len(ids))
	if len(ids) == 0 {
		return venues, nil
	}
	query, args, err := sqlx.In(`SELECT id, name, city, address, version, created_at, updated_at
		FROM venues WHERE id IN (?)`, ids)
	if err != nil {
		return nil, fmt.Errorf("venues: %w", err)
	}
	var rows []boxoffice.Venue
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("venues: %w", err)
	}
	for _, v := range rows {
		venues[v.ID] = v
	}
	return venues, nil
}

// PublicPriceTiers returns the price tiers of the sessions, by session id,
// each session's tiers by price, highest first.
func PublicPriceTiers(ctx context.Context, q sqlx.QueryerContext, sessionIDs []int64) (map[int64][]boxoffice.PriceTier, error) {
	tiers := make(map[int64][]boxoffice.PriceTier, len(sessionIDs))
	if len(sessionIDs) == 0 {
		return tiers, nil
	}
	query, args, err := sqlx.In(`SELECT id, session_id, code, name, price_cents FROM price_tiers
		WHERE session_id IN (?) ORDER BY session_id, price_cents DESC, code`, sessionIDs)
	if err != nil {
		return nil, fmt.Errorf("price tiers: %w", err)
	}
	var rows []boxoffice.PriceTier
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("price tiers: %w", err)
	}
	for _, t := range rows {
		tiers[t.SessionID] = append(tiers[t.SessionID], t)
	}
	return tiers, nil
}

// PublicSeats returns the venue's seat map, by seat id.
func PublicSeats(ctx context.Context, q sqlx.QueryerContext, venueID int64) ([]boxoffice.Seat, error) {
	seats := []boxoffice.Seat{}
	err := sqlx.SelectContext(ctx, q, &seats, "SELECT id, venue_id, section, row_label, `number`, x, y, tier_code "+
		"FROM seats WHERE venue_id = ? ORDER BY id", venueID)
	if err != nil {
		return nil, fmt.Errorf("seats of venue %d: %w", venueID, err)
	}
	return seats, nil
}
