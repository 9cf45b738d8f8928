// Package seed loads boxoffice's demo data: a venue with its seat map, a
// published show with one session on sale, an admin and reserved buyers.
package seed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

// Natural keys and details of the demo data.
const (
	VenueName    = "Demo Arena"
	VenueCity    = "Shanghai"
	VenueAddress = "1 Demo Avenue, Pudong"
	ShowTitle    = "Boxoffice Live: Demo Night"
	ShowArtist   = "The Demo Band"
	AdminEmail   = "admin@boxoffice.local"
)

// buyerPhones are the demo buyers' logins.
func buyerPhones() []string {
	return []string{"13800000001", "13800000002", "13800000003"}
}

// tiers are the demo session's prices, one per seat tier code.
var tiers = []struct {
	code, name string
	cents      int64
}{
	{TierVIP, "VIP", 128000},
	{TierA, "Tier A", 68000},
	{TierB, "Tier B", 38000},
}

// Summary identifies what Demo loaded.
type Summary struct {
	VenueID     int64
	ShowID      int64
	SessionID   int64
	SeatCount   int
	AdminEmail  string
	BuyerPhones []string
}

// Demo loads the demo data in one transaction. It is idempotent by natural
// keys: rows that exist are left as they are (a session created earlier
// keeps its times), so running it again changes nothing and returns the
// same ids. password is the admin's and the buyers'; now anchors the
// session's windows (reservation over, sale open from now-1h for 30 days).
func Demo(ctx context.Context, db *sqlx.DB, password string, now time.Time) (*Summary, error) {
	if err := boxoffice.ValidatePassword(password); err != nil {
		return nil, fmt.Errorf("demo password: %w", err)
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("seed: begin: %w", err)
	}
	defer tx.Rollback()
	sum, err := load(ctx, tx, password, now.UTC().Truncate(time.Second))
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("seed: commit: %w", err)
	}
	return sum, nil
}

func load(ctx context.Context, tx *sqlx.Tx, password string, now time.Time) (*Summary, error) {
	sum := &Summary{AdminEmail: AdminEmail, BuyerPhones: buyerPhones()}
	var err error
	if sum.VenueID, err = venue(ctx, tx); err != nil {
		return nil, err
	}
	if sum.SeatCount, err = seats(ctx, tx, sum.VenueID); err != nil {
		return nil, err
	}
	if sum.ShowID, err = show(ctx, tx); err != nil {
		return nil, err
	}
	if sum.SessionID, err = session(ctx, tx, sum.ShowID, sum.VenueID, now); err != nil {
		return nil, err
	}
	if err := priceTiers(ctx, tx, sum.SessionID); err != nil {
		return nil, err
	}
	if err := people(ctx, tx, sum, password); err != nil {
		return nil, err
	}
	return sum, nil
}

// query is a parameterised statement.
type query struct {
	sql  string
	args []any
}

func q(sql string, args ...any) query { return query{sql, args} }

// findOrInsert returns the id that find selects, running insert first when
// find selects nothing.
func findOrInsert(ctx context.Context, tx *sqlx.Tx, find, insert query) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, find.sql, find.args...)
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	res, err := tx.ExecContext(ctx, insert.sql, insert.args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func venue(ctx context.Context, tx *sqlx.Tx) (int64, error) {
	// FOR UPDATE: concurrent seeds queue up on the venue row.
	id, err := findOrInsert(ctx, tx,
		q("SELECT id FROM venues WHERE name = ? AND city = ? FOR UPDATE", VenueName, VenueCity),
		q("INSERT INTO venues (name, city, address) VALUES (?, ?, ?)", VenueName, VenueCity, VenueAddress))
	if err != nil {
		return 0, fmt.Errorf("seed venue: %w", err)
	}
	return id, nil
}

func show(ctx context.Context, tx *sqlx.Tx) (int64, error) {
	id, err := findOrInsert(ctx, tx,
		q("SELECT id FROM shows WHERE title = ? AND artist = ? ORDER BY id LIMIT 1", ShowTitle, ShowArtist),
		q(`INSERT INTO shows (title, artist, description, poster_url, status)
		   VALUES (?, ?, ?, '', 'published')`, ShowTitle, ShowArtist,
			"An evening of loud guitars and louder demand: the show the demo sells."))
	if err != nil {
		return 0, fmt.Errorf("seed show: %w", err)
	}
	return id, nil
}

// session finds the demo show's session at the venue or creates it ON_SALE:
// reservations ran from now-7d to now-2h; the sale runs now-1h to now+30d.
func session(ctx context.Context, tx *sqlx.Tx, showID, venueID int64, now time.Time) (int64, error) {
	day := 24 * time.Hour
	saleCloses := now.Add(30 * day)
	id, err := findOrInsert(ctx, tx,
		q("SELECT id FROM sessions WHERE show_id = ? AND venue_id = ? ORDER BY id LIMIT 1", showID, venueID),
		q(`INSERT INTO sessions (show_id, venue_id, starts_at, reserve_opens_at, reserve_closes_at,
		       sale_opens_at, sale_closes_at, seat_limit, hold_seconds, state)
		   VALUES (?, ?, ?, ?, ?, ?, ?, 4, 900, 'ON_SALE')`,
			showID, venueID, saleCloses.Add(3*time.Hour), now.Add(-7*day), now.Add(-2*time.Hour),
			now.Add(-time.Hour), saleCloses))
	if err != nil {
		return 0, fmt.Errorf("seed session: %w", err)
	}
	return id, nil
}

func priceTiers(ctx context.Context, tx *sqlx.Tx, sessionID int64) error {
	for _, t := range tiers {
		_, err := findOrInsert(ctx, tx,
			q("SELECT id FROM price_tiers WHERE session_id = ? AND code = ?", sessionID, t.code),
			q("INSERT INTO price_tiers (session_id, code, name, price_cents) VALUES (?, ?, ?, ?)",
				sessionID, t.code, t.name, t.cents))
		if err != nil {
			return fmt.Errorf("seed price tier %s: %w", t.code, err)
		}
	}
	return nil
}
