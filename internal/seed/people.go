package seed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"boxoffice/internal/boxoffice"
)

// login is a user's natural key: column is "email" or "phone" (a constant,
// never input), value is the address or number.
type login struct{ column, value, role string }

// people creates the admin and the buyers and reserves the session for the
// buyers.
func people(ctx context.Context, tx *sqlx.Tx, sum *Summary, password string) error {
	if _, err := user(ctx, tx, login{"email", sum.AdminEmail, "admin"}, password); err != nil {
		return err
	}
	for _, phone := range sum.BuyerPhones {
		id, err := user(ctx, tx, login{"phone", phone, "user"}, password)
		if err != nil {
			return err
		}
		if err := reserve(ctx, tx, sum.SessionID, id); err != nil {
			return err
		}
	}
	return nil
}

// user finds or creates the user. An existing user keeps its hash when the
// password still matches (so re-seeding changes nothing) and gets a new one
// when the demo password changed.
func user(ctx context.Context, tx *sqlx.Tx, l login, password string) (int64, error) {
	var u struct {
		ID   int64  `db:"id"`
		Role string `db:"role"`
		Hash string `db:"password_hash"`
	}
	err := tx.GetContext(ctx, &u,
		"SELECT id, role, password_hash FROM users WHERE "+l.column+" = ? FOR UPDATE", l.value)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return createUser(ctx, tx, l, password)
	case err != nil:
		return 0, fmt.Errorf("seed user %s: %w", l.value, err)
	case u.Role != l.role:
		return 0, fmt.Errorf("seed user %s: exists with role %q, want %q", l.value, u.Role, l.role)
	case bcrypt.CompareHashAndPassword([]byte(u.Hash), []byte(password)) == nil:
		return u.ID, nil
	}
	hash, err := boxoffice.HashPassword(password)
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = ? WHERE id = ?", hash, u.ID); err != nil {
		return 0, fmt.Errorf("seed user %s: new password: %w", l.value, err)
	}
	return u.ID, nil
}

func createUser(ctx context.Context, tx *sqlx.Tx, l login, password string) (int64, error) {
	hash, err := boxoffice.HashPassword(password)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx,
		"INSERT INTO users ("+l.column+", password_hash, role) VALUES (?, ?, ?)", l.value, hash, l.role)
	if err != nil {
		return 0, fmt.Errorf("seed user %s: %w", l.value, err)
	}
	return res.LastInsertId()
}

func reserve(ctx context.Context, tx *sqlx.Tx, sessionID, userID int64) error {
	_, err := findOrInsert(ctx, tx,
		q("SELECT id FROM reservations WHERE session_id = ? AND user_id = ?", sessionID, userID),
		q("INSERT INTO reservations (session_id, user_id) VALUES (?, ?)", sessionID, userID))
	if err != nil {
		return fmt.Errorf("seed reservation of user %d: %w", userID, err)
	}
	return nil
}
