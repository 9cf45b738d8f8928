package admin

import (
	"github.com/gin-gonic/gin"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/web"
)

type showInput struct {
	Title       string `json:"title"`
	Artist      string `json:"artist"`
	Description string `json:"description"`
	PosterURL   string `json:"poster_url"`
	Status      string `json:"status"`
}

// shows serves /shows: list (?status=, ?from=/?to= on created_at, ?q= in
// the title or artist), create, get, update (an omitted status stays) and
// delete (refused while the show has sessions).
func (a *API) shows() *resource[boxoffice.Show, mysql.ShowFilter] {
	return &resource[boxoffice.Show, mysql.ShowFilter]{
		a: a, path: "/shows",
		idOf:    func(s *boxoffice.Show) int64 { return s.ID },
		version: func(s *boxoffice.Show) int64 { return s.Version },
		touches: func(s *boxoffice.Show) boxoffice.CatalogChange {
			return boxoffice.CatalogChange{ShowIDs: []int64{s.ID}}
		},
		filter: func(q *query) mysql.ShowFilter {
			return mysql.ShowFilter{Status: q.oneOf("status", boxoffice.ShowDraft, boxoffice.ShowPublished),
				From: q.time("from"), To: q.time("to"), Q: q.text("q", mysql.MaxShowTitle)}
		},
		bind: bindShow, list: mysql.ListShows, get: mysql.GetShow,
		create: mysql.CreateShow, update: mysql.UpdateShow, remove: mysql.DeleteShow,
	}
}

func bindShow(c *gin.Context, _ bool) (boxoffice.Show, error) {
	var in showInput
	if err := web.BindJSON(c, bodyLimit, &in); err != nil {
		return boxoffice.Show{}, err
	}
	var f fields
	f.text("title", &in.Title, mysql.MaxShowTitle, true)
	f.text("artist", &in.Artist, mysql.MaxShowArtist, false)
	if len(in.Description) > mysql.MaxShowDescription {
		f.fail("description", "is longer than %d bytes", mysql.MaxShowDescription)
	}
	f.httpURL("poster_url", &in.PosterURL, mysql.MaxPosterURL)
	f.oneOf("status", in.Status, true, boxoffice.ShowDraft, boxoffice.ShowPublished)
	return boxoffice.Show{Title: in.Title, Artist: in.Artist, Description: in.Description,
		PosterURL: in.PosterURL, Status: in.Status}, f.err
}
