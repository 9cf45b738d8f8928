package seed

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
)

type seatKey struct {
	Section string `db:"section"`
	Row     string `db:"row_label"`
	Number  int    `db:"number"`
}

// seats inserts the layout's seats the venue lacks and returns how many
// seats the venue has.
func seats(ctx context.Context, tx *sqlx.Tx, venueID int64) (int, error) {
	var have []seatKey
	err := tx.SelectContext(ctx, &have,
		"SELECT section, row_label, `number` FROM seats WHERE venue_id = ?", venueID)
	if err != nil {
		return 0, fmt.Errorf("seed seats: %w", err)
	}
	known := make(map[seatKey]bool, len(have))
	for _, k := range have {
		known[k] = true
	}
	var missing []Seat
	for _, s := range Layout() {
		if !known[seatKey{s.Section, s.Row, s.Number}] {
			missing = append(missing, s)
		}
	}
	if err := insertSeats(ctx, tx, venueID, missing); err != nil {
		return 0, err
	}
	return len(have) + len(missing), nil
}

// insertSeats writes the seats with the catalog's bulk insert.
func insertSeats(ctx context.Context, tx *sqlx.Tx, venueID int64, seats []Seat) error {
	rows := make([]boxoffice.Seat, len(seats))
	for i, s := range seats {
		rows[i] = boxoffice.Seat{Section: s.Section, Row: s.Row, Number: s.Number, X: s.X, Y: s.Y, Tier: s.Tier}
	}
	if err := mysql.InsertSeats(ctx, tx, venueID, rows); err != nil {
		return fmt.Errorf("seed seats: %w", err)
	}
	return nil
}
