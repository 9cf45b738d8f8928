package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/web"
)

// MaxQueryLen is the longest ?q= or ?city= the show list accepts, in
// characters.
const MaxQueryLen = 100

// ShowsQuery asks for one page of the public show list.
type ShowsQuery struct {
	Q       string // contained in the title or artist, case-insensitive
	City    string // the show has a public session in this city
	Page    int    // 1-based
	PerPage int
}

// normalize trims and lower-cases Q and City (MySQL compares them
// case-insensitively, so the cache key may too) and checks their lengths.
func (q ShowsQuery) normalize() (ShowsQuery, error) {
	q.Q = strings.ToLower(strings.TrimSpace(q.Q))
	q.City = strings.ToLower(strings.TrimSpace(q.City))
	if utf8.RuneCountInString(q.Q) > MaxQueryLen {
		return q, web.Invalid("q must be at most %d characters", MaxQueryLen)
	}
	if utf8.RuneCountInString(q.City) > MaxQueryLen {
		return q, web.Invalid("city must be at most %d characters", MaxQueryLen)
	}
	if q.Page < 1 || q.PerPage < 1 || q.PerPage > web.MaxPerPage {
		return q, web.Invalid("page must be 1 or more and per_page 1 to %d", web.MaxPerPage)
	}
	return q, nil
}

// snapshot runs load in one read-only transaction, so that its queries see
// one consistent state, and renders what it returns as JSON.
func (c *Cache) snapshot(ctx context.Context, load func(tx *sqlx.Tx) (any, error)) ([]byte, error) {
	tx, err := c.db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	v, err := load(tx)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// loadShows reads one page of the show list.
func loadShows(ctx context.Context, tx *sqlx.Tx, q ShowsQuery) (any, error) {
	f := mysql.PublicShowFilter{Query: q.Q, City: q.City, Offset: (q.Page - 1) * q.PerPage, Limit: q.PerPage}
	shows, total, err := mysql.PublicShows(ctx, tx, f)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(shows))
	for i, s := range shows {
		ids[i] = s.ID
	}
	next, err := mysql.PublicNextSessions(ctx, tx, ids, time.Now(), q.City)
	if err != nil {
		return nil, err
	}
	list := web.List[ShowItem]{Items: make([]ShowItem, len(shows)), Page: q.Page, PerPage: q.PerPage, Total: total}
	for i, s := range shows {
		var n *mysql.PublicNextSession
		if ns, ok := next[s.ID]; ok {
			n = &ns
		}
		list.Items[i] = showItem(s, n)
	}
	return list, nil
}

// loadShow reads a published show with its sessions; ENOTFOUND.
func loadShow(ctx context.Context, tx *sqlx.Tx, id int64) (any, error) {
	show, err := mysql.PublicShow(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	sessions, err := mysql.PublicSessionsOfShow(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	venueIDs, sessionIDs := make([]int64, len(sessions)), make([]int64, len(sessions))
	for i, s := range sessions {
		venueIDs[i], sessionIDs[i] = s.VenueID, s.ID
	}
	venues, err := mysql.PublicVenues(ctx, tx, venueIDs)
	if err != nil {
		return nil, err
	}
	tiers, err := mysql.PublicPriceTiers(ctx, tx, sessionIDs)
	if err != nil {
		return nil, err
	}
	d := ShowDetail{ID: show.ID, Title: show.Title, Artist: show.Artist, Description: show.Description,
		PosterURL: show.PosterURL, Sessions: make([]SessionView, len(sessions))}
	for i, s := range sessions {
		d.Sessions[i] = sessionView(s, venues[s.VenueID], tiers[s.ID])
	}
	return d, nil
}

// loadSession reads a public session's seat map; ENOTFOUND.
func loadSession(ctx context.Context, tx *sqlx.Tx, id int64) (any, error) {
	s, err := mysql.PublicSession(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	venues, err := mysql.PublicVenues(ctx, tx, []int64{s.VenueID})
	if err != nil {
		return nil, err
	}
	venue, ok := venues[s.VenueID]
	if !ok {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "no public session %d", id)
	}
	tiers, err := mysql.PublicPriceTiers(ctx, tx, []int64{id})
	if err != nil {
		return nil, err
	}
	seats, err := mysql.PublicSeats(ctx, tx, s.VenueID)
	if err != nil {
		return nil, err
	}
	return SessionMap{ID: s.ID, ShowID: s.ShowID, StartsAt: s.StartsAt.UTC(), Venue: venueView(venue),
		PriceTiers: tierViews(tiers[id]), Seats: seatViews(seats)}, nil
}
