package api

import (
	"time"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/web"
)

// reservationView is a buyer's reservation (Reservation).
type reservationView struct {
	ID        int64     `json:"id"`
	SessionID int64     `json:"session_id"`
	CreatedAt time.Time `json:"created_at"`
	web.ShowRef
	SaleOpens time.Time `json:"sale_opens_at"`
}

func viewReservation(r boxoffice.Reservation) reservationView {
	return reservationView{ID: r.ID, SessionID: r.SessionID, CreatedAt: r.CreatedAt,
		ShowRef: web.ShowRef{ShowID: r.ShowID, ShowTitle: r.ShowTitle, StartsAt: r.StartsAt}, SaleOpens: r.SaleOpens}
}
