package mysql

import (
	"cmp"
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

const (
	showCols = "id, title, artist, COALESCE(description, '') AS description, poster_url, status, version, created_at, updated_at"
	showByID = "SELECT " + showCols + " FROM shows WHERE id = ?"
)

// ShowFilter narrows ListShows: Status matches exactly, From <= created_at
// < To, Q is a substring of the title or the artist. Zero fields do not
// filter.
type ShowFilter struct {
	Status   string
	From, To *time.Time
	Q        string
}

// ListShows returns one page of shows, newest first, and how many match.
func ListShows(ctx context.Context, db *sqlx.DB, f ShowFilter, p Page) ([]boxoffice.Show, int, error) {
	var w where
	eq(&w, "status", f.Status)
	w.between("created_at", f.From, f.To)
	w.contains(f.Q, "title", "artist")
	return list[boxoffice.Show](ctx, db, "shows", showCols, w, "id DESC", p)
}

// GetShow returns the show, or ENOTFOUND.
func GetShow(ctx context.Context, db sqlx.QueryerContext, id int64) (*boxoffice.Show, error) {
	return getRow[boxoffice.Show](ctx, db, "show", showByID, id)
}

// shows are the parent rows of a show's sessions.
var shows = parent[boxoffice.Show]{"show", "shows", "show_id", GetShow}

// CreateShow inserts s (status draft when empty) and returns the stored show.
func CreateShow(ctx context.Context, db *sqlx.DB, s boxoffice.Show) (*boxoffice.Show, error) {
	id, err := insert(ctx, db, "show",
		"INSERT INTO shows (title, artist, description, poster_url, status) VALUES (?, ?, ?, ?, ?)",
		s.Title, s.Artist, s.Description, s.PosterURL, cmp.Or(s.Status, boxoffice.ShowDraft))
	if err != nil {
		return nil, err
	}
	return GetShow(ctx, db, id)
}

// UpdateShow replaces the show's fields (an empty status keeps the current
// one) if it is at version; it returns the stored show and the change: the
// show and its sessions. ENOTFOUND, ESTALE.
func UpdateShow(ctx context.Context, db *sqlx.DB, id, version int64, s boxoffice.Show) (*boxoffice.Show, boxoffice.CatalogChange, error) {
	out, change, err := shows.updateOne(ctx, db, id, version,
		"title = ?, artist = ?, description = ?, poster_url = ?, status = COALESCE(NULLIF(?, ''), status)",
		s.Title, s.Artist, s.Description, s.PosterURL, s.Status)
	change.ShowIDs = []int64{id} // its sessions are all of this show
	return out, change, err
}

// DeleteShow deletes the show and returns what it was. ENOTFOUND; ESTALE
// when version is not 0 and not the show's; ECONFLICT naming its sessions.
func DeleteShow(ctx context.Context, db *sqlx.DB, id, version int64) (*boxoffice.Show, error) {
	var s *boxoffice.Show
	err := inTx(ctx, db, "delete show", func(tx *sqlx.Tx) error {
		var err error
		s, err = lock(ctx, tx, "show", showByID, id, version, func(s *boxoffice.Show) int64 { return s.Version })
		if err != nil {
			return err
		}
		if err := referenced(ctx, tx, "show", id, ref{"sessions", "show_id", "session"}); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM shows WHERE id = ?", id)
		return stillReferenced(err, "show", id)
	})
	return s, err
}
