package mysql

import (
	"context"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
)

const (
	venueCols = "id, name, city, address, version, created_at, updated_at"
	venueByID = "SELECT " + venueCols + " FROM venues WHERE id = ?"
)

// VenueFilter narrows ListVenues: City matches exactly, Q is a substring of
// the name. Empty fields do not filter.
type VenueFilter struct {
	City, Q string
}

// ListVenues returns one page of venues by id, and how many match in all.
func ListVenues(ctx context.Context, db *sqlx.DB, f VenueFilter, p Page) ([]boxoffice.Venue, int, error) {
	var w where
	eq(&w, "city", f.City)
	w.contains(f.Q, "name")
	return list[boxoffice.Venue](ctx, db, "venues", venueCols, w, "id", p)
}

// GetVenue returns the venue, or ENOTFOUND.
func GetVenue(ctx context.Context, db sqlx.QueryerContext, id int64) (*boxoffice.Venue, error) {
	return getRow[boxoffice.Venue](ctx, db, "venue", venueByID, id)
}

// venues are the parent rows of sessions held at a venue.
var venues = parent[boxoffice.Venue]{"venue", "venues", "venue_id", GetVenue}

// CreateVenue inserts v and returns the stored venue; ECONFLICT when a
// venue of that name is in the city already.
func CreateVenue(ctx context.Context, db *sqlx.DB, v boxoffice.Venue) (*boxoffice.Venue, error) {
	id, err := insert(ctx, db, "venue", "INSERT INTO venues (name, city, address) VALUES (?, ?, ?)",
		v.Name, v.City, v.Address)
	if err != nil {
		return nil, venueWriteError(err, v)
	}
	return GetVenue(ctx, db, id)
}

// UpdateVenue replaces the venue's fields if it is at version; it returns
// the stored venue and the sessions (and their shows) held there.
// ENOTFOUND, ESTALE, or ECONFLICT for a duplicate name in the city.
func UpdateVenue(ctx context.Context, db *sqlx.DB, id, version int64, v boxoffice.Venue) (*boxoffice.Venue, boxoffice.CatalogChange, error) {
	out, change, err := venues.updateOne(ctx, db, id, version,
		"name = ?, city = ?, address = ?", v.Name, v.City, v.Address)
	return out, change, venueWriteError(err, v)
}

// DeleteVenue deletes the venue and its seat map and returns what it was.
// ENOTFOUND; ESTALE when version is not 0 and not the venue's; ECONFLICT
// naming the sessions held there.
func DeleteVenue(ctx context.Context, db *sqlx.DB, id, version int64) (*boxoffice.Venue, error) {
	var v *boxoffice.Venue
	err := inTx(ctx, db, "delete venue", func(tx *sqlx.Tx) error {
		var err error
		if v, err = lockVenue(ctx, tx, id, version); err != nil {
			return err
		}
		if err := referenced(ctx, tx, "venue", id, ref{"sessions", "venue_id", "session"}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM seats WHERE venue_id = ?", id); err != nil {
			return stillReferenced(err, "venue", id)
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM venues WHERE id = ?", id)
		return stillReferenced(err, "venue", id)
	})
	return v, err
}

// lockVenue reads the venue FOR UPDATE: ENOTFOUND, or ESTALE when version
// is not 0 and not the venue's.
func lockVenue(ctx context.Context, tx *sqlx.Tx, id, version int64) (*boxoffice.Venue, error) {
	return lock(ctx, tx, "venue", venueByID, id, version, func(v *boxoffice.Venue) int64 { return v.Version })
}

func venueWriteError(err error, v boxoffice.Venue) error {
	if isMySQL(err, errDuplicate) {
		return boxoffice.Errorf(boxoffice.ECONFLICT,
			"a venue named %q is in %s already", v.Name, v.City)

	}
	return err
}
