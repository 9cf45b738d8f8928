//go:build integration

package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	driver "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"boxoffice/internal/mysql"
	"boxoffice/internal/testenv"
	schema "boxoffice/sql"
)

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	db := testenv.ScratchDB(t, false)
	files, err := fs.Glob(schema.Migrations, "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations = %v, %v; want some", files, err)
	}
	slices.Sort(files)

	t.Run("first run applies every file in order", func(t *testing.T) {
		got, err := mysql.Migrate(ctx, db)
		if err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		if !reflect.DeepEqual(got, files) {
			t.Errorf("applied %v, want %v", got, files)
		}
	})
	before := schemaDump(t, db)
	t.Run("creates the tables", func(t *testing.T) {
		for _, table := range []string{"venues", "seats", "shows", "sessions", "price_tiers",
			"users", "reservations", "orders", "order_items", "payments"} {
			if !strings.Contains(before, "\n"+table+" ") {
				t.Errorf("table %s missing from schema", table)
			}
		}
	})
	t.Run("second run applies nothing", func(t *testing.T) {
		got, err := mysql.Migrate(ctx, db)
		if err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		if len(got) != 0 {
			t.Errorf("applied %v, want nothing", got)
		}
		if after := schemaDump(t, db); after != before {
			t.Errorf("schema changed on the second run:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})
	t.Run("down then up restores the schema", func(t *testing.T) {
		p, err := goose.NewProvider(goose.DialectMySQL, db.DB, schema.Migrations, goose.WithDisableGlobalRegistry(true))
		if err != nil {
			t.Fatalf("NewProvider: %v", err)
		}
		if _, err := p.DownTo(ctx, 0); err != nil {
			t.Fatalf("DownTo(0): %v", err)
		}
		if got, err := mysql.Migrate(ctx, db); err != nil || len(got) != len(files) {
			t.Fatalf("Migrate after down = %v, %v; want %d files", got, err, len(files))
		}
		if after := schemaDump(t, db); after != before {
			t.Errorf("schema differs after down and up:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})
}

func TestMigrateConcurrent(t *testing.T) {
	db := testenv.ScratchDB(t, false)
	var wg sync.WaitGroup
	results := make([][]string, 3)
	errs := make([]error, 3)
	for i := range results {
		wg.Go(func() { results[i], errs[i] = mysql.Migrate(context.Background(), db) })
	}
	wg.Wait()
	total := 0
	for i := range results {
		if errs[i] != nil {
			t.Errorf("migrator %d: %v", i, errs[i])
		}
		total += len(results[i])
	}
	files, _ := fs.Glob(schema.Migrations, "*.sql")
	if total != len(files) {
		t.Errorf("migrators applied %d files in all (%v), want %d", total, results, len(files))
	}
}

// schemaDump lists every column and index of the test database.
func schemaDump(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var b strings.Builder
	dumpRows(t, db, &b, `SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE,
		COALESCE(COLUMN_DEFAULT, 'NULL'), EXTRA, COALESCE(COLLATION_NAME, '')
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
		ORDER BY TABLE_NAME, ORDINAL_POSITION`)
	dumpRows(t, db, &b, `SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE
		FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
		ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`)
	return b.String()
}

func dumpRows(t *testing.T, db *sqlx.DB, b *strings.Builder, query string) {
	t.Helper()
	rows, err := db.Queryx(query)
	if err != nil {
		t.Fatalf("schema query: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		cols, err := rows.SliceScan()
		if err != nil {
			t.Fatalf("schema scan: %v", err)
		}
		b.WriteString("\n")
		for _, c := range cols {
			fmt.Fprintf(b, "%s ", c)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("schema rows: %v", err)
	}
}

func TestOrderItemsLiveSeatUnique(t *testing.T) {
	ctx := context.Background()
	db := testenv.ScratchDB(t, true)
	f := newFixture(t, db)
	o1, o2, o3 := f.order(t, "T-1"), f.order(t, "T-2"), f.order(t, "T-3")

	f.item(t, o1, 1)
	t.Run("second live row for the seat is rejected", func(t *testing.T) {
		if err := f.insertItem(o2, 1); !isDuplicate(err) {
			t.Errorf("insert = %v, want duplicate-key error 1062", err)
		}
	})
	t.Run("allowed once the first is cancelled", func(t *testing.T) {
		f.exec(t, "UPDATE order_items SET active = NULL WHERE order_id = ?", o1)
		if err := f.insertItem(o2, 1); err != nil {
			t.Errorf("insert after cancel = %v, want nil", err)
		}
	})
	t.Run("several cancelled rows coexist", func(t *testing.T) {
		f.exec(t, "UPDATE order_items SET active = NULL WHERE order_id = ?", o2)
		if err := f.insertItem(o3, 1); err != nil {
			t.Fatalf("insert = %v, want nil", err)
		}
		f.exec(t, "UPDATE order_items SET active = NULL WHERE order_id = ?", o3)
		var n int
		if err := db.GetContext(ctx, &n, "SELECT COUNT(*) FROM order_items WHERE active IS NULL"); err != nil || n != 3 {
			t.Errorf("cancelled rows = %d, %v; want 3", n, err)
		}
	})
	t.Run("active 0 is rejected", func(t *testing.T) {
		_, err := db.ExecContext(ctx, "UPDATE order_items SET active = 0 WHERE order_id = ?", o3)
		if !isCheckViolation(err) {
			t.Errorf("setting active = 0: %v, want a CHECK violation", err)
		}
	})
	t.Run("other seats are independent", func(t *testing.T) {
		if err := f.insertItem(o1, 2); err != nil {
			t.Errorf("insert seat 2 = %v, want nil", err)
		}
	})
}

// isCheckViolation matches MariaDB's error 4025 and MySQL 8's 3819.
func isCheckViolation(err error) bool {
	var me *driver.MySQLError
	return errors.As(err, &me) && (me.Number == 4025 || me.Number == 3819)
}

func isDuplicate(err error) bool {
	var me *driver.MySQLError
	return errors.As(err, &me) && me.Number == 1062
}

// fixture is a venue with two seats, a show, a session and a buyer.
type fixture struct {
	db            *sqlx.DB
	session, user int64
	seats         map[int]int64
}

func newFixture(t *testing.T, db *sqlx.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, seats: map[int]int64{}}
	venue := f.insert(t, "INSERT INTO venues (name, city) VALUES (?, ?)", "Hall", "Town")
	for n := 1; n <= 2; n++ {
		f.seats[n] = f.insert(t, "INSERT INTO seats (venue_id, section, row_label, `number`, x, y, tier_code) VALUES (?, 'S', 'A', ?, ?, 0, 'A')", venue, n, n*10)
	}
	show := f.insert(t, "INSERT INTO shows (title) VALUES (?)", "Show")
	f.session = f.insert(t, `INSERT INTO sessions (show_id, venue_id, starts_at, reserve_opens_at,
		reserve_closes_at, sale_opens_at, sale_closes_at)
		VALUES (?, ?, '2030-01-05', '2030-01-01', '2030-01-02', '2030-01-03', '2030-01-04')`, show, venue)
	f.user = f.insert(t, "INSERT INTO users (phone, password_hash) VALUES (?, 'x')", "13900000000")
	return f
}

func (f *fixture) order(t *testing.T, no string) int64 {
	t.Helper()
	return f.insert(t, `INSERT INTO orders (order_no, session_id, user_id, amount_cents, expire_at)
		VALUES (?, ?, ?, 100, '2030-01-03 00:15:00')`, no, f.session, f.user)
}

func (f *fixture) insertItem(order int64, seat int) error {
	_, err := f.db.Exec("INSERT INTO order_items (order_id, session_id, seat_id, price_cents) VALUES (?, ?, ?, 100)",
		order, f.session, f.seats[seat])
	return err
}

func (f *fixture) item(t *testing.T, order int64, seat int) {
	t.Helper()
	if err := f.insertItem(order, seat); err != nil {
		t.Fatalf("insert item: %v", err)
	}
}

func (f *fixture) insert(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	res, err := f.db.Exec(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		t.Fatalf("LastInsertId: %v", err)
	}
	return id
}

func (f *fixture) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, err := f.db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
