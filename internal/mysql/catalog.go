package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	driver "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

// Limits of the catalog columns (sql/0001-0005): VARCHAR lengths count
// characters, TEXT counts bytes.
const (
	MaxVenueName       = 200
	MaxVenueCity       = 100
	MaxVenueAddress    = 500
	MaxSeatSection     = 32
	MaxSeatRow         = 16
	MaxSeatNumber      = 65535
	MaxTierCode        = 16
	MaxTierName        = 64
	MaxShowTitle       = 200
	MaxShowArtist      = 200
	MaxShowDescription = 65535
	MaxPosterURL       = 1000
)

// MaxRefs is how many referrer ids a conflict names per table.
const MaxRefs = 50

// Page selects at most Limit rows after Offset.
type Page struct {
	Limit, Offset int
}

// where collects the AND-ed conditions of a list query.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// eq adds col = v unless v is its zero value.
func eq[T comparable](w *where, col string, v T) {
	var zero T
	if v != zero {
		w.add(col+" = ?", v)
	}
}

// contains adds "one of cols contains q" unless q is empty.
func (w *where) contains(q string, cols ...string) {
	if q == "" {
		return
	}
	pattern := "%" + likeEscaper.Replace(q) + "%"
	ors := make([]string, len(cols))
	for i, col := range cols {
		ors[i] = col + " LIKE ? ESCAPE '!'"
		w.args = append(w.args, pattern)
	}
	w.conds = append(w.conds, "("+strings.Join(ors, " OR ")+")")
}

var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

// between adds from <= col < to for the bounds that are set.
func (w *where) between(col string, from, to *time.Time) {
	if from != nil {
		w.add(col+" >= ?", *from)
	}
	if to != nil {
		w.add(col+" < ?", *to)
	}
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// list returns one page of SELECT cols FROM table WHERE w ORDER BY order,
// and how many rows match in all.
func list[T any](ctx context.Context, db sqlx.QueryerContext, table, cols string, w where, order string, p Page) ([]T, int, error) {
	var total int
	if err := sqlx.GetContext(ctx, db, &total, "SELECT COUNT(*) FROM "+table+w.String(), w.args...); err != nil {
		return nil, 0, fmt.Errorf("count %s: %w", table, err)
	}
	items := []T{}
	args := append(append([]any{}, w.args...), p.Limit, p.Offset)
	err := sqlx.SelectContext(ctx, db, &items,
		"SELECT "+cols+" FROM "+table+w.String()+" ORDER BY "+order+" LIMIT ? OFFSET ?", args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", table, err)
	}
	return items, total, nil
}

// getRow reads the row query selects by id into a new T, or ENOTFOUND
// naming what id.
func getRow[T any](ctx context.Context, q sqlx.QueryerContext, what, query string, id int64) (*T, error) {
	var row T
	err := sqlx.GetContext(ctx, q, &row, query, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(what, id)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %d: %w", what, id, err)
	}
	return &row, nil
}

// lock is getRow FOR UPDATE that also returns ESTALE when version is not 0
// and versionOf the row is not version.
func lock[T any](ctx context.Context, tx *sqlx.Tx, what, query string, id, version int64, versionOf func(*T) int64) (*T, error) {
	row, err := getRow[T](ctx, tx, what, query+" FOR UPDATE", id)
	if err != nil || version == 0 {
		return row, err
	}
	return row, checkVersion(what, id, versionOf(row), version)
}

func notFound(what string, id int64) error {
	return boxoffice.Errorf(boxoffice.ENOTFOUND, "%s %d does not exist", what, id)
}

// checkVersion returns ESTALE with current_version unless current is want.
func checkVersion(what string, id, current, want int64) error {
	if current == want {
		return nil
	}
	return boxoffice.Errorf(boxoffice.ESTALE,
		"%s %d is at version %d, not %d: someone changed it; reload and retry", what, id, current, want).
		With("current_version", current)
}

// updateVersioned runs UPDATE table SET set, version = version + 1 WHERE
// id = ? AND version = ?. When no row matches it tells ENOTFOUND from
// ESTALE by reading the row's version.
func updateVersioned(ctx context.Context, q sqlx.ExtContext, what, table string, id, version int64, set string, args ...any) error {
	if set != "" {
		set += ", "
	}
	res, err := q.ExecContext(ctx, "UPDATE "+table+" SET "+set+"version = version + 1 WHERE id = ? AND version = ?",
		append(args, id, version)...)
	if err != nil {
		return fmt.Errorf("update %s %d: %w", what, id, err)
	}
	// Every match changes version, so affected rows count matches.
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var current int64
	err = sqlx.GetContext(ctx, q, &current, "SELECT version FROM "+table+" WHERE id = ?", id)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(what, id)
	}
	if err != nil {
		return fmt.Errorf("read %s %d version: %w", what, id, err)
	}
	return checkVersion(what, id, current, version)
}

// insert runs an INSERT of a what and returns the new row's id.
func insert(ctx context.Context, q sqlx.ExecerContext, what, query string, args ...any) (int64, error) {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", what, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", what, err)
	}
	return id, nil
}

// parent is a catalog table that sessions point at: venues or shows.
type parent[T any] struct {
	what, table, column string // e.g. "venue", "venues", "venue_id"
	get                 func(ctx context.Context, q sqlx.QueryerContext, id int64) (*T, error)
}

// update runs updateVersioned on the parent row and returns it re-read,
// with the change: the sessions that point at it and their shows.
func (p parent[T]) update(ctx context.Context, tx *sqlx.Tx, id, version int64, set string, args ...any) (*T, boxoffice.CatalogChange, error) {
	if err := updateVersioned(ctx, tx, p.what, p.table, id, version, set, args...); err != nil {
		return nil, boxoffice.CatalogChange{}, err
	}
	change, err := sessionsWhere(ctx, tx, p.column, id)
	if err != nil {
		return nil, change, err
	}
	row, err := p.get(ctx, tx, id)
	return row, change, err
}

// updateOne is update in a transaction of its own.
func (p parent[T]) updateOne(ctx context.Context, db *sqlx.DB, id, version int64, set string, args ...any) (*T, boxoffice.CatalogChange, error) {
	var row *T
	var change boxoffice.CatalogChange
	err := inTx(ctx, db, "update "+p.what, func(tx *sqlx.Tx) error {
		var err error
		row, change, err = p.update(ctx, tx, id, version, set, args...)
		return err
	})
	return row, change, err
}

// inTx runs fn in a transaction and commits when fn succeeds.
func inTx(ctx context.Context, db *sqlx.DB, what string, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}

// ref is a table whose column points at the row being deleted.
type ref struct {
	table, column, noun string
}

// referenced returns ECONFLICT naming the rows of refs that point at the
// what with this id (referenced_by: table → up to MaxRefs ids), or nil.
func referenced(ctx context.Context, q sqlx.QueryerContext, what string, id int64, refs ...ref) error {
	by := map[string][]int64{}
	var parts []string
	for _, r := range refs {
		var n int
		where := " FROM " + r.table + " WHERE " + r.column + " = ?"
		if err := sqlx.GetContext(ctx, q, &n, "SELECT COUNT(*)"+where, id); err != nil {
			return fmt.Errorf("count %s of %s %d: %w", r.table, what, id, err)
		}
		if n == 0 {
			continue
		}
		ids := []int64{}
		if err := sqlx.SelectContext(ctx, q, &ids, "SELECT id"+where+" ORDER BY id LIMIT ?", id, MaxRefs); err != nil {
			return fmt.Errorf("list %s of %s %d: %w", r.table, what, id, err)
		}
		by[r.table] = ids
		parts = append(parts, plural(n, r.noun))
	}
	if len(parts) == 0 {
		return nil
	}
	return boxoffice.Errorf(boxoffice.ECONFLICT, "%s %d is used by %s",
		what, id, strings.Join(parts, " and ")).
		With("referenced_by", by)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// MySQL error numbers the catalog maps to domain errors.
const (
	errDuplicate  = 1062 // ER_DUP_ENTRY
	errReferenced = 1451 // ER_ROW_IS_REFERENCED_2
)

func isMySQL(err error, number uint16) bool {
	var me *driver.MySQLError
	return errors.As(err, &me) && me.Number == number
}

// stillReferenced turns a foreign key refusal (a referrer that appeared
// after the checks) into ECONFLICT. It returns nil for nil.
func stillReferenced(err error, what string, id int64) error {
	if err == nil {
		return nil
	}
	if isMySQL(err, errReferenced) {
		return boxoffice.Errorf(boxoffice.ECONFLICT, "%s %d is still referenced: %v", what, id, err)
	}
	return fmt.Errorf("delete %s %d: %w", what, id, err)
}

// lockShared reads the row of table with id in share mode, so it cannot be
// deleted before the transaction ends; a missing row is EINVALID naming
// field, since the caller's input pointed at it.
func lockShared(ctx context.Context, tx *sqlx.Tx, table, field string, id int64) error {
	var got int64
	err := tx.GetContext(ctx, &got, "SELECT id FROM "+table+" WHERE id = ? LOCK IN SHARE MODE", id)
	if errors.Is(err, sql.ErrNoRows) {
		return boxoffice.Errorf(boxoffice.EINVALID, "%s: %d does not exist", field, id).
			With("field", field)
	}
	if err != nil {
		return fmt.Errorf("check %s %d: %w", field, id, err)
	}
	return nil
}

// sessionRefs are the (session id, show id) pairs of the sessions query
// selects; change turns them into the catalog change they cause.
type sessionRefs []struct {
	ID     int64 `db:"id"`
	ShowID int64 `db:"show_id"`
}

func (s sessionRefs) change(extraShows ...int64) boxoffice.CatalogChange {
	ch := boxoffice.CatalogChange{ShowIDs: []int64{}, SessionIDs: []int64{}}
	seen := map[int64]bool{}
	addShow := func(id int64) {
		if !seen[id] {
			seen[id] = true
			ch.ShowIDs = append(ch.ShowIDs, id)
		}
	}
	for _, id := range extraShows {
		addShow(id)
	}
	for _, r := range s {
		ch.SessionIDs = append(ch.SessionIDs, r.ID)
		addShow(r.ShowID)
	}
	return ch
}

// sessionsWhere returns the catalog change of the sessions matching
// column = id (a venue's or a show's sessions).
func sessionsWhere(ctx context.Context, q sqlx.QueryerContext, column string, id int64) (boxoffice.CatalogChange, error) {
	var rows sessionRefs
	if err := sqlx.SelectContext(ctx, q, &rows, "SELECT id, show_id FROM sessions WHERE "+column+" = ? ORDER BY id", id); err != nil {
		return boxoffice.CatalogChange{}, fmt.Errorf("sessions by %s %d: %w", column, id, err)
	}
	return rows.change(), nil
}
