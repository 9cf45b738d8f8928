package mysql

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

// CreateBuyer adds a buyer with the phone and password hash. A phone that
// is taken is ECONFLICT.
func CreateBuyer(ctx context.Context, db *sqlx.DB, phone, hash string) (int64, error) {
	res, err := db.ExecContext(ctx, `INSERT INTO users (phone, password_hash, role) VALUES (?, ?, 'user')`, phone, hash)
	if isMySQL(err, errDuplicate) {
		return 0, boxoffice.Errorf(boxoffice.ECONFLICT, "this phone is already registered")
	}
	if err != nil {
		return 0, fmt.Errorf("create buyer: %w", err)
	}
	return res.LastInsertId()
}

const reservationSelect = `SELECT r.id, r.session_id, r.user_id, r.created_at, se.show_id,
	sh.title AS show_title, se.starts_at, se.sale_opens_at
	FROM reservations r JOIN sessions se ON se.id = r.session_id JOIN shows sh ON sh.id = se.show_id`

// Reserve records that user reserved session; a repeat returns the first
// reservation with created false.
func Reserve(ctx context.Context, db *sqlx.DB, sessionID, userID int64) (*boxoffice.Reservation, bool, error) {
	res, err := db.ExecContext(ctx, `INSERT IGNORE INTO reservations (session_id, user_id) VALUES (?, ?)`, sessionID, userID)
	if err != nil {
		return nil, false, fmt.Errorf("reserve session %d: %w", sessionID, err)
	}
	n, _ := res.RowsAffected()
	var r boxoffice.Reservation
	err = db.GetContext(ctx, &r, reservationSelect+` WHERE r.session_id = ? AND r.user_id = ?`, sessionID, userID)
	if err != nil {
		return nil, false, fmt.Errorf("read reservation: %w", err)
	}
	return &r, n == 1, nil
}

// ReservationsOf lists the user's reservations, newest first, and the total.
func ReservationsOf(ctx context.Context, db *sqlx.DB, userID int64, limit, offset int) ([]boxoffice.Reservation, int, error) {
	out := []boxoffice.Reservation{}
	if err := db.SelectContext(ctx, &out, reservationSelect+` WHERE r.user_id = ?
		ORDER BY r.created_at DESC, r.id DESC LIMIT ? OFFSET ?`, userID, limit, offset); err != nil {
		return nil, 0, fmt.Errorf("list reservations: %w", err)
	}
	var total int
	err := db.GetContext(ctx, &total, `SELECT COUNT(*) FROM reservations WHERE user_id = ?`, userID)
	return out, total, err
}
