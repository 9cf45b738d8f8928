//go:build integration

package mysql_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/config"
	"boxoffice/internal/mysql"
)

// newDB creates a database boxoffice_t_<random> on the configured server,
// drops it when the test ends and returns a pool connected to it.
func newDB(t *testing.T) *sqlx.DB {
	t.Helper()
	cfg, err := config.Load()
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	server := *cfg
	server.MySQLDatabase = ""
	root, err := mysql.Open(&server)
	if err != nil {
		t.Fatalf("mysql.Open: %v", err)
	}
	t.Cleanup(func() { root.Close() })
	name := "boxoffice_t_" + randomHex(t)
	ctx := context.Background()
	// A database name cannot be a parameter; name is ours, not input.
	if _, err := root.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("create database %s at %s: %v", name, cfg.MySQLAddr, err)
	}
	t.Cleanup(func() {
		if _, err := root.ExecContext(context.Background(), "DROP DATABASE "+name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	local := *cfg
	local.MySQLDatabase = name
	db, err := mysql.Open(&local)
	if err != nil {
		t.Fatalf("mysql.Open(%s): %v", name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// migrated is newDB with the schema applied.
func migrated(t *testing.T) *sqlx.DB {
	t.Helper()
	db := newDB(t)
	if _, err := mysql.Migrate(context.Background(), db); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("rand: %v", err)
	}
	return hex.EncodeToString(b)
}
