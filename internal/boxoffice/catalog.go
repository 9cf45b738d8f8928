package boxoffice

import "time"

// Show statuses.
const (
	ShowDraft     = "draft"
	ShowPublished = "published"
)

// Session sale states: DRAFT → RESERVING → ARMED → ON_SALE → CLOSED.
const (
	SessionDraft     = "DRAFT"
	SessionReserving = "RESERVING"
	SessionArmed     = "ARMED"
	SessionOnSale    = "ON_SALE"
	SessionClosed    = "CLOSED"
)

// Venue is a place with a seat map.
type Venue struct {
	ID        int64     `db:"id" json:"id"`
	Name      string    `db:"name" json:"name"`
	City      string    `db:"city" json:"city"`
	Address   string    `db:"address" json:"address"`
	Version   int64     `db:"version" json:"version"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
}

// Seat is one seat of a venue's seat map (the template every session copies).
type Seat struct {
	ID      int64  `db:"id" json:"id"`
	VenueID int64  `db:"venue_id" json:"-"`
	Section string `db:"section" json:"section"`
	Row     string `db:"row_label" json:"row"`
	Number  int    `db:"number" json:"number"`
	X       int    `db:"x" json:"x"`
	Y       int    `db:"y" json:"y"`
	Tier    string `db:"tier_code" json:"tier"`
}

// Show is a performance offered for sale, in one or more sessions.
type Show struct {
	ID          int64     `db:"id" json:"id"`
	Title       string    `db:"title" json:"title"`
	Artist      string    `db:"artist" json:"artist"`
	Description string    `db:"description" json:"description"`
	PosterURL   string    `db:"poster_url" json:"poster_url"`
	Status      string    `db:"status" json:"status"`
	Version     int64     `db:"version" json:"version"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time `db:"updated_at" json:"updated_at"`
}

// Session is one performance of a show at a venue (场次).
type Session struct {
	ID              int64     `db:"id" json:"id"`
	ShowID          int64     `db:"show_id" json:"show_id"`
	VenueID         int64     `db:"venue_id" json:"venue_id"`
	StartsAt        time.Time `db:"starts_at" json:"starts_at"`
	ReserveOpensAt  time.Time `db:"reserve_opens_at" json:"reserve_opens_at"`
	ReserveClosesAt time.Time `db:"reserve_closes_at" json:"reserve_closes_at"`
	SaleOpensAt     time.Time `db:"sale_opens_at" json:"sale_opens_at"`
	SaleClosesAt    time.Time `db:"sale_closes_at" json:"sale_closes_at"`
	SeatLimit       int       `db:"seat_limit" json:"seat_limit"`
	HoldSeconds     int       `db:"hold_seconds" json:"hold_seconds"`
	State           string    `db:"state" json:"state"`
	Version         int64     `db:"version" json:"version"`
	CreatedAt       time.Time `db:"created_at" json:"created_at"`
	UpdatedAt       time.Time `db:"updated_at" json:"updated_at"`
}

// PriceTier is a named price of a session; seats name their tier by Code.
type PriceTier struct {
	ID         int64  `db:"id" json:"id"`
	SessionID  int64  `db:"session_id" json:"-"`
	Code       string `db:"code" json:"code"`
	Name       string `db:"name" json:"name"`
	PriceCents int64  `db:"price_cents" json:"price_cents"`
}

// CatalogChange names what a catalog write touched, so caches can drop it.
// Lists (show search, pages) are always dropped, and so are the sessions
// of every named show.
type CatalogChange struct {
	ShowIDs    []int64
	SessionIDs []int64
}
