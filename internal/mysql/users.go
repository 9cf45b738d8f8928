package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

// UpsertAdmin creates the admin with this email, or gives an existing admin
// the new password (keeping its id). The email is trimmed and lower-cased.
// A user with that email who is not an admin is an error.
func UpsertAdmin(ctx context.Context, db *sqlx.DB, email, password string) (id int64, created bool, err error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if err := boxoffice.ValidateEmail(email); err != nil {
		return 0, false, err
	}
	hash, err := boxoffice.HashPassword(password)
	if err != nil {
		return 0, false, err
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("upsert admin: %w", err)
	}
	defer tx.Rollback()
	if id, created, err = upsertAdminTx(ctx, tx, email, hash); err != nil {
		return 0, false, err
	}
	if err := tx.Commit(); err != nil {
		return 0, false, fmt.Errorf("upsert admin %s: commit: %w", email, err)
	}
	return id, created, nil
}

func upsertAdminTx(ctx context.Context, tx *sqlx.Tx, email, hash string) (int64, bool, error) {
	var u struct {
		ID   int64  `db:"id"`
		Role string `db:"role"`
	}
	err := tx.GetContext(ctx, &u, "SELECT id, role FROM users WHERE email = ? FOR UPDATE", email)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		res, err := tx.ExecContext(ctx,
			"INSERT INTO users (email, password_hash, role) VALUES (?, ?, 'admin')", email, hash)
		if err != nil {
			return 0, false, fmt.Errorf("create admin %s: %w", email, err)
		}
		id, err := res.LastInsertId()
		return id, true, err
	case err != nil:
		return 0, false, fmt.Errorf("look up user %s: %w", email, err)
	case u.Role != "admin":
		return 0, false, fmt.Errorf("user %s exists with role %q, not admin; refusing to change it", email, u.Role)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = ? WHERE id = ?", hash, u.ID); err != nil {
		return 0, false, fmt.Errorf("update admin %s: %w", email, err)
	}
	return u.ID, false, nil
}

// CredentialsByEmail returns the login data of the user with the email, or ENOTFOUND.
func CredentialsByEmail(ctx context.Context, db *sqlx.DB, email string) (*boxoffice.Credentials, error) {
	return credentials(ctx, db, `SELECT id, password_hash, role FROM users WHERE email = ?`,
		strings.ToLower(strings.TrimSpace(email)))
}

// CredentialsByPhone returns the login data of the user with the phone, or ENOTFOUND.
func CredentialsByPhone(ctx context.Context, db *sqlx.DB, phone string) (*boxoffice.Credentials, error) {
	return credentials(ctx, db, `SELECT id, password_hash, role FROM users WHERE phone = ?`, phone)
}

func credentials(ctx context.Context, db *sqlx.DB, query, arg string) (*boxoffice.Credentials, error) {
	var c boxoffice.Credentials
	err := db.GetContext(ctx, &c, query, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "no such user")
	}
	return &c, err
}
