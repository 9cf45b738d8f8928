//go:build integration

package seed_test

import (
	"testing"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/testenv"
)

// newDB is a fresh, empty database; migrated one with the schema.
func newDB(t *testing.T) *sqlx.DB    { return testenv.ScratchDB(t, false) }
func migrated(t *testing.T) *sqlx.DB { return testenv.ScratchDB(t, true) }
