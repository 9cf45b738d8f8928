// Package mysql connects boxoffice to MySQL 8 or MariaDB 10.11.
package mysql

import (
	"context"
	"time"

	driver "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"boxoffice/internal/config"
)

// DSN builds the driver DSN for the configured database.
func DSN(c *config.Config) string {
	dc := driver.NewConfig()
	dc.User = c.MySQLUser
	dc.Passwd = c.MySQLPassword
	dc.Net = "tcp"
	dc.Addr = c.MySQLAddr
	dc.DBName = c.MySQLDatabase
	dc.ParseTime = true
	dc.Loc = time.UTC
	dc.Collation = "utf8mb4_unicode_ci"
	dc.Timeout = c.DepTimeout
	dc.ReadTimeout = 30 * time.Second
	dc.WriteTimeout = 30 * time.Second
	dc.Params = map[string]string{"time_zone": "'+00:00'"}
	return dc.FormatDSN()
}

// Open returns a pool for the configured database. It does not dial.
func Open(c *config.Config) (*sqlx.DB, error) {
	db, err := sqlx.Open("mysql", DSN(c))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(16)
	db.SetConnMaxLifetime(5 * time.Minute)
	return db, nil
}

// Ping reports whether the database answers.
func Ping(db *sqlx.DB) func(ctx context.Context) error {
	return func(ctx context.Context) error { return db.PingContext(ctx) }
}
