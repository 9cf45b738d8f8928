package catalog

import (
	"time"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
)

// ShowItem is one show of the public list.
type ShowItem struct {
	ID          int64        `json:"id"`
	Title       string       `json:"title"`
	Artist      string       `json:"artist"`
	PosterURL   string       `json:"poster_url"`
	NextSession *NextSession `json:"next_session"`
}

// NextSession is the earliest upcoming public session of a listed show.
type NextSession struct {
	ID       int64     `json:"id"`
	StartsAt time.Time `json:"starts_at"`
	City     string    `json:"city"`
}

// ShowDetail is a published show with its public sessions.
type ShowDetail struct {
	ID          int64         `json:"id"`
	Title       string        `json:"title"`
	Artist      string        `json:"artist"`
	Description string        `json:"description"`
	PosterURL   string        `json:"poster_url"`
	Sessions    []SessionView `json:"sessions"`
}

// SessionView is one session of a show: times, state, venue and prices.
type SessionView struct {
	ID              int64      `json:"id"`
	State           string     `json:"state"`
	StartsAt        time.Time  `json:"starts_at"`
	ReserveOpensAt  time.Time  `json:"reserve_opens_at"`
	ReserveClosesAt time.Time  `json:"reserve_closes_at"`
	SaleOpensAt     time.Time  `json:"sale_opens_at"`
	SaleClosesAt    time.Time  `json:"sale_closes_at"`
	SeatLimit       int        `json:"seat_limit"`
	Venue           VenueView  `json:"venue"`
	PriceTiers      []TierView `json:"price_tiers"`
}

// SessionMap is the seat-map geometry of a session: no live seat states.
type SessionMap struct {
	ID         int64      `json:"id"`
	ShowID     int64      `json:"show_id"`
	StartsAt   time.Time  `json:"starts_at"`
	Venue      VenueView  `json:"venue"`
	PriceTiers []TierView `json:"price_tiers"`
	Seats      []SeatView `json:"seats"`
}

// VenueView is a venue as buyers see it.
type VenueView struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	City    string `json:"city"`
	Address string `json:"address"`
}

// TierView is a price tier; seats name it by code.
type TierView struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
}

// SeatView is one seat of the seat map.
type SeatView struct {
	ID      int64  `json:"id"`
	Section string `json:"section"`
	Row     string `json:"row"`
	Number  int    `json:"number"`
	X       int    `json:"x"`
	Y       int    `json:"y"`
	Tier    string `json:"tier"`
}

func showItem(s boxoffice.Show, next *mysql.PublicNextSession) ShowItem {
	item := ShowItem{ID: s.ID, Title: s.Title, Artist: s.Artist, PosterURL: s.PosterURL}
	if next != nil {
		item.NextSession = &NextSession{ID: next.SessionID, StartsAt: next.StartsAt.UTC(), City: next.City}
	}
	return item
}

func sessionView(s boxoffice.Session, v boxoffice.Venue, tiers []boxoffice.PriceTier) SessionView {
	return SessionView{
		ID: s.ID, State: s.State, StartsAt: s.StartsAt.UTC(),
		ReserveOpensAt: s.ReserveOpensAt.UTC(), ReserveClosesAt: s.ReserveClosesAt.UTC(),
		SaleOpensAt: s.SaleOpensAt.UTC(), SaleClosesAt: s.SaleClosesAt.UTC(),
		SeatLimit: s.SeatLimit, Venue: venueView(v), PriceTiers: tierViews(tiers),
	}
}

func venueView(v boxoffice.Venue) VenueView {
	return VenueView{ID: v.ID, Name: v.Name, City: v.City, Address: v.Address}
}

func tierViews(tiers []boxoffice.PriceTier) []TierView {
	out := make([]TierView, len(tiers))
	for i, t := range tiers {
		out[i] = TierView{Code: t.Code, Name: t.Name, PriceCents: t.PriceCents}
	}
	return out
}

func seatViews(seats []boxoffice.Seat) []SeatView {
	out := make([]SeatView, len(seats))
	for i, s := range seats {
		out[i] = SeatView{ID: s.ID, Section: s.Section, Row: s.Row, Number: s.Number, X: s.X, Y: s.Y, Tier: s.Tier}
	}
	return out
}
