//go:build integration

package mysql_test

import (
	"context"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"boxoffice/internal/mysql"
	"boxoffice/internal/testenv"
)

func TestUpsertAdmin(t *testing.T) {
	ctx := context.Background()
	db := testenv.ScratchDB(t, true)

	id, created, err := mysql.UpsertAdmin(ctx, db, " Boss@Example.com ", "first-password")
	if err != nil || !created {
		t.Fatalf("first UpsertAdmin = %d, %v, %v; want created", id, created, err)
	}
	t.Run("stores the normalised email as admin", func(t *testing.T) {
		var email, role string
		if err := db.QueryRowContext(ctx, "SELECT email, role FROM users WHERE id = ?", id).Scan(&email, &role); err != nil {
			t.Fatalf("select: %v", err)
		}
		if email != "boss@example.com" || role != "admin" {
			t.Errorf("got %q %q, want boss@example.com admin", email, role)
		}
	})
	t.Run("again keeps the id and sets the new password", func(t *testing.T) {
		id2, created, err := mysql.UpsertAdmin(ctx, db, "boss@example.com", "second-password")
		if err != nil || created || id2 != id {
			t.Fatalf("second UpsertAdmin = %d, %v, %v; want %d, false, nil", id2, created, err, id)
		}
		var hash string
		if err := db.GetContext(ctx, &hash, "SELECT password_hash FROM users WHERE id = ?", id); err != nil {
			t.Fatalf("select: %v", err)
		}
		if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("second-password")); err != nil {
			t.Errorf("new password does not verify: %v", err)
		}
		var n int
		if err := db.GetContext(ctx, &n, "SELECT COUNT(*) FROM users"); err != nil || n != 1 {
			t.Errorf("users = %d, %v; want 1", n, err)
		}
	})
	t.Run("refuses a non-admin with that email", func(t *testing.T) {
		if _, err := db.ExecContext(ctx, "INSERT INTO users (email, password_hash, role) VALUES (?, 'x', 'user')", "buyer@example.com"); err != nil {
			t.Fatalf("insert buyer: %v", err)
		}
		if _, _, err := mysql.UpsertAdmin(ctx, db, "buyer@example.com", "some-password"); err == nil {
			t.Error("UpsertAdmin over a buyer = nil error, want one")
		}
	})
	t.Run("rejects bad input before touching the database", func(t *testing.T) {
		if _, _, err := mysql.UpsertAdmin(ctx, db, "not-an-email", "some-password"); err == nil {
			t.Error("bad email: nil error, want one")
		}
		if _, _, err := mysql.UpsertAdmin(ctx, db, "new@example.com", "short"); err == nil {
			t.Error("short password: nil error, want one")
		}
	})
}
