package mysql

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

// MaxSeats is the most seats one venue's seat map holds.
const MaxSeats = 100_000

// seatBatch is how many seats one INSERT carries: 7 placeholders each, and
// a statement takes at most 65,535.
const seatBatch = 2000

const seatCols = "id, venue_id, section, row_label, `number`, x, y, tier_code"

// InsertSeats adds seats to the venue's seat map in multi-row INSERTs of up
// to seatBatch rows. Run it in a transaction so a failure leaves nothing.
func InsertSeats(ctx context.Context, q sqlx.ExecerContext, venueID int64, seats []boxoffice.Seat) error {
	for len(seats) > 0 {
		n := min(len(seats), seatBatch)
		args := make([]any, 0, 7*n)
		for _, s := range seats[:n] {
			args = append(args, venueID, s.Section, s.Row, s.Number, s.X, s.Y, s.Tier)
		}
		rows := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", n), ", ")
		_, err := q.ExecContext(ctx,
			"INSERT INTO seats (venue_id, section, row_label, `number`, x, y, tier_code) VALUES "+rows, args...)
		if isMySQL(err, errDuplicate) {
			return boxoffice.Errorf(boxoffice.EINVALID,
				"the database counts two seats as the same place (their names differ only in case or accents): %v", err)

		}
		if err != nil {
			return fmt.Errorf("insert %d seats of venue %d: %w", n, venueID, err)
		}
		seats = seats[n:]
	}
	return nil
}

// Seats returns the venue and its seat map in upload order. ENOTFOUND.
func Seats(ctx context.Context, db *sqlx.DB, venueID int64) (*boxoffice.Venue, []boxoffice.Seat, error) {
	v, err := GetVenue(ctx, db, venueID)
	if err != nil {
		return nil, nil, err
	}
	seats := []boxoffice.Seat{}
	err = db.SelectContext(ctx, &seats, "SELECT "+seatCols+" FROM seats WHERE venue_id = ? ORDER BY id", venueID)
	if err != nil {
		return nil, nil, fmt.Errorf("read seats of venue %d: %w", venueID, err)
	}
	return v, seats, nil
}

// ReplaceSeats replaces the venue's seat map in one transaction and bumps
// the venue's version; it returns the venue and the sessions held there.
// Seat ids change. ENOTFOUND; ESTALE; ECONFLICT (with "sessions") when a
// session at the venue is armed, on sale or closed, since those sessions
// sell this seat map.
func ReplaceSeats(ctx context.Context, db *sqlx.DB, venueID, version int64, seats []boxoffice.Seat) (*boxoffice.Venue, boxoffice.CatalogChange, error) {
	var out *boxoffice.Venue
	var change boxoffice.CatalogChange
	err := inTx(ctx, db, "replace seats", func(tx *sqlx.Tx) error {
		if _, err := lockVenue(ctx, tx, venueID, version); err != nil {
			return err
		}
		if err := seatMapFrozen(ctx, tx, venueID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM seats WHERE venue_id = ?", venueID); err != nil {
			return stillReferenced(err, "seat map of venue", venueID)
		}
		if err := InsertSeats(ctx, tx, venueID, seats); err != nil {
			return err
		}
		var err error
		out, change, err = venues.update(ctx, tx, venueID, version, "")
		return err
	})
	return out, change, err
}

// seatMapFrozen returns ECONFLICT naming the venue's sessions that are
// armed or later, or nil.
func seatMapFrozen(ctx context.Context, tx *sqlx.Tx, venueID int64) error {
	ids := []int64{}
	err := tx.SelectContext(ctx, &ids, "SELECT id FROM sessions WHERE venue_id = ? AND state IN (?, ?, ?) ORDER BY id",
		venueID, boxoffice.SessionArmed, boxoffice.SessionOnSale, boxoffice.SessionClosed)
	if err != nil {
		return fmt.Errorf("armed sessions of venue %d: %w", venueID, err)
	}
	if len(ids) == 0 {
		return nil
	}
	return boxoffice.Errorf(boxoffice.ECONFLICT,
		"the seat map of venue %d cannot change: armed, on-sale or closed sessions sell it (sessions %s)",
		venueID, joinIDs(ids)).
		With("sessions", ids)
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ", ")
}
