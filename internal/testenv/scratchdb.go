package testenv

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/mysql"
)

// ScratchDB creates a database boxoffice_t_<random> on the test stack's
// server, drops it when the test ends and returns a pool connected to it.
// With migrate it has the schema.
func ScratchDB(tb testing.TB, migrate bool) *sqlx.DB {
	tb.Helper()
	cfg := Config(tb)
	server := *cfg
	server.MySQLDatabase = ""
	root, err := mysql.Open(&server)
	if err != nil {
		tb.Fatalf("mysql.Open: %v", err)
	}
	tb.Cleanup(func() { root.Close() })
	name := "boxoffice_t_" + Unique()
	ctx := context.Background()
	// A database name cannot be a parameter; name is ours, not input.
	if _, err := root.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		tb.Fatalf("create database %s at %s: %v", name, cfg.MySQLAddr, err)
	}
	tb.Cleanup(func() {
		if _, err := root.ExecContext(context.Background(), "DROP DATABASE "+name); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})
	local := *cfg
	local.MySQLDatabase = name
	db, err := mysql.Open(&local)
	if err != nil {
		tb.Fatalf("mysql.Open(%s): %v", name, err)
	}
	tb.Cleanup(func() { db.Close() })
	if migrate {
		if _, err := mysql.Migrate(ctx, db); err != nil {
			tb.Fatalf("Migrate: %v", err)
		}
	}
	return db
}
