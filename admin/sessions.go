package admin

import (
	"time"

	"github.com/gin-gonic/gin"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/web"
)

// Bounds of a session's per-buyer seat limit and hold time.
const (
	maxSeatLimit   = 20
	maxHoldSeconds = 86400
)

type sessionInput struct {
	ShowID          int64  `json:"show_id"`
	VenueID         int64  `json:"venue_id"`
	StartsAt        string `json:"starts_at"`
	ReserveOpensAt  string `json:"reserve_opens_at"`
	ReserveClosesAt string `json:"reserve_closes_at"`
	SaleOpensAt     string `json:"sale_opens_at"`
	SaleClosesAt    string `json:"sale_closes_at"`
	SeatLimit       *int   `json:"seat_limit"`
	HoldSeconds     *int   `json:"hold_seconds"`
	State           string `json:"state"`
}

var sessionStates = []string{boxoffice.SessionDraft, boxoffice.SessionReserving, boxoffice.SessionArmed,
	boxoffice.SessionOnSale, boxoffice.SessionClosed}

// sessions serves /sessions: list (?show_id=, ?venue_id=, ?state=,
// ?from=/?to= on starts_at), create (always DRAFT), get, update (omitted
// seat_limit, hold_seconds and state stay; state moves only between DRAFT
// and RESERVING) and delete (DRAFT or RESERVING sessions without
// reservations or orders; their price tiers go with them).
func (a *API) sessions() *resource[boxoffice.Session, mysql.SessionFilter] {
	return &resource[boxoffice.Session, mysql.SessionFilter]{
		a: a, path: "/sessions",
		idOf:    func(s *boxoffice.Session) int64 { return s.ID },
		version: func(s *boxoffice.Session) int64 { return s.Version },
		touches: sessionChange,
		filter: func(q *query) mysql.SessionFilter {
			return mysql.SessionFilter{ShowID: q.id("show_id"), VenueID: q.id("venue_id"),
				State: q.oneOf("state", sessionStates...), From: q.time("from"), To: q.time("to")}
		},
		bind: bindSession, list: mysql.ListSessions, get: mysql.GetSession,
		create: mysql.CreateSession, update: mysql.UpdateSession, remove: mysql.DeleteSession,
	}
}

func bindSession(c *gin.Context, create bool) (boxoffice.Session, error) {
	var in sessionInput
	if err := web.BindJSON(c, bodyLimit, &in); err != nil {
		return boxoffice.Session{}, err
	}
	var f fields
	f.id("show_id", in.ShowID)
	f.id("venue_id", in.VenueID)
	s := boxoffice.Session{ShowID: in.ShowID, VenueID: in.VenueID, State: in.State,
		StartsAt:        f.time("starts_at", in.StartsAt),
		ReserveOpensAt:  f.time("reserve_opens_at", in.ReserveOpensAt),
		ReserveClosesAt: f.time("reserve_closes_at", in.ReserveClosesAt),
		SaleOpensAt:     f.time("sale_opens_at", in.SaleOpensAt),
		SaleClosesAt:    f.time("sale_closes_at", in.SaleClosesAt),
		SeatLimit:       f.optional("seat_limit", in.SeatLimit, 1, maxSeatLimit),
		HoldSeconds:     f.optional("hold_seconds", in.HoldSeconds, 1, maxHoldSeconds),
	}
	f.ordered([]string{"reserve_opens_at", "reserve_closes_at", "sale_opens_at", "sale_closes_at"},
		[]time.Time{s.ReserveOpensAt, s.ReserveClosesAt, s.SaleOpensAt, s.SaleClosesAt},
		[]bool{false, false, false, true})
	if create {
		f.oneOf("state", in.State, true, boxoffice.SessionDraft)
	} else {
		f.oneOf("state", in.State, true, sessionStates...)
	}
	return s, f.err
}
