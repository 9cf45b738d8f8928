package admin

import (
	"github.com/gin-gonic/gin"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/web"
)

type venueInput struct {
	Name    string `json:"name"`
	City    string `json:"city"`
	Address string `json:"address"`
}

// venues serves /venues: list (?city=, ?q= in the name), create, get,
// update and delete (refused while sessions are held there; the seat map
// goes with the venue).
func (a *API) venues() *resource[boxoffice.Venue, mysql.VenueFilter] {
	return &resource[boxoffice.Venue, mysql.VenueFilter]{
		a: a, path: "/venues",
		idOf:    func(v *boxoffice.Venue) int64 { return v.ID },
		version: func(v *boxoffice.Venue) int64 { return v.Version },
		// A venue without sessions is in no public read.
		touches: func(*boxoffice.Venue) boxoffice.CatalogChange { return noChange },
		filter: func(q *query) mysql.VenueFilter {
			return mysql.VenueFilter{City: q.text("city", mysql.MaxVenueCity), Q: q.text("q", mysql.MaxVenueName)}
		},
		bind: bindVenue, list: mysql.ListVenues, get: mysql.GetVenue,
		create: mysql.CreateVenue, update: mysql.UpdateVenue, remove: mysql.DeleteVenue,
	}
}

func bindVenue(c *gin.Context, _ bool) (boxoffice.Venue, error) {
	var in venueInput
	if err := web.BindJSON(c, bodyLimit, &in); err != nil {
		return boxoffice.Venue{}, err
	}
	var f fields
	f.text("name", &in.Name, mysql.MaxVenueName, true)
	f.text("city", &in.City, mysql.MaxVenueCity, true)
	f.text("address", &in.Address, mysql.MaxVenueAddress, false)
	return boxoffice.Venue{Name: in.Name, City: in.City, Address: in.Address}, f.err
}
