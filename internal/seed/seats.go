package seed

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
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

// insertSeats writes seats in multi-row INSERTs of up to seatBatch rows.
func insertSeats(ctx context.Context, tx *sqlx.Tx, venueID int64, seats []Seat) error {
	for len(seats) > 0 {
		n := min(len(seats), seatBatch)
		args := make([]any, 0, 7*n)
		for _, s := range seats[:n] {
			args = append(args, venueID, s.Section, s.Row, s.Number, s.X, s.Y, s.Tier)
		}
		rows := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", n), ", ")
		_, err := tx.ExecContext(ctx,
			"INSERT INTO seats (venue_id, section, row_label, `number`, x, y, tier_code) VALUES "+rows, args...)
		if err != nil {
			return fmt.Errorf("seed seats: insert %d: %w", n, err)
		}
		seats = seats[n:]
	}
	return nil
}
