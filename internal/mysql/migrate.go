package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	schema "boxoffice/sql"
)

// lockName is a per-database advisory lock name (at most 64 characters, as
// MySQL 8 requires) so that concurrent migrators take turns.
const lockName = "CONCAT('boxoffice_migrate_', SHA1(COALESCE(DATABASE(), '')))"

// lockWaitSeconds is how long Migrate waits for another migrator.
const lockWaitSeconds = 60

// Migrate applies every pending migration from boxoffice/sql in order and
// returns the file names it applied; none when the schema is up to date.
// The returned error names the migration that failed.
func Migrate(ctx context.Context, db *sqlx.DB) (applied []string, err error) {
	p, err := newProvider(db)
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if pe := (*goose.PartialError)(nil); errors.As(err, &pe) {
		return names(pe.Applied), fmt.Errorf("migration %s failed: %w",
			filepath.Base(pe.Failed.Source.Path), pe.Err)
	}
	if err != nil {
		return names(results), fmt.Errorf("apply migrations: %w", err)
	}
	return names(results), nil
}

// newProvider returns a goose provider over the embedded migrations that
// holds a MySQL advisory lock while it changes the schema.
func newProvider(db *sqlx.DB) (*goose.Provider, error) {
	p, err := goose.NewProvider(goose.DialectMySQL, db.DB, schema.Migrations,
		goose.WithDisableGlobalRegistry(true),
		goose.WithSessionLocker(advisoryLocker{}),
	)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, nil
}

func names(results []*goose.MigrationResult) []string {
	out := []string{}
	for _, r := range results {
		out = append(out, filepath.Base(r.Source.Path))
	}
	return out
}

// advisoryLocker serialises migrators with GET_LOCK, which works on both
// MySQL and MariaDB and is released if the connection dies.
type advisoryLocker struct{}

func (advisoryLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	var got sql.NullInt64
	q := "SELECT GET_LOCK(" + lockName + ", ?)"
	if err := conn.QueryRowContext(ctx, q, lockWaitSeconds).Scan(&got); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	if got.Int64 != 1 {
		return fmt.Errorf("take migration lock: another migration held it for %ds", lockWaitSeconds)
	}
	return nil
}

func (advisoryLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, "DO RELEASE_LOCK("+lockName+")"); err != nil {
		return fmt.Errorf("release migration lock: %w", err)
	}
	return nil
}
