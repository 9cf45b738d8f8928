package api

import (
	"github.com/gin-gonic/gin"

	"boxoffice/internal/catalog"
	"boxoffice/internal/web"
)

// catalogMaxAge is how long browsers may keep a public catalog read (L1),
// in seconds. The edge (L2) ignores it and keeps its own TTL.
const catalogMaxAge = 5

// mountCatalog registers the public catalog reads (no authentication); the
// JSON shapes are documented in package catalog.
//
//	GET /api/shows          ?q= (title or artist contains, ≤100 chars), ?city=, ?page=, ?per_page=
//	GET /api/shows/:id      a published show with its sessions that are not DRAFT
//	GET /api/sessions/:id   the seat-map geometry of a public session (no live seat states)
//
// Every answer carries Cache-Control: public, max-age=5 and a strong ETag;
// If-None-Match with it gets 304. Errors: 400 bad_request (non-numeric id,
// page out of range, q or city too long), 404 not_found (unknown, an
// unpublished show, a DRAFT session), 503 unavailable (MySQL down and the
// read not cached).
func (s *Server) mountCatalog(r gin.IRouter) {
	r.GET("/api/shows", s.listShows)
	r.GET("/api/shows/:id", s.getShow)
	r.GET("/api/sessions/:id", s.getSession)
}

func (s *Server) listShows(c *gin.Context) {
	page, err := web.Paging(c)
	if err != nil {
		web.Error(c, s.Log, err)
		return
	}
	q := catalog.ShowsQuery{Q: c.Query("q"), City: c.Query("city"), Page: page.Page, PerPage: page.PerPage}
	e, err := s.Catalog.Shows(c.Request.Context(), q)
	s.serveCatalog(c, e, err)
}

func (s *Server) getShow(c *gin.Context) {
	id, err := web.ID(c, "id")
	if err != nil {
		web.Error(c, s.Log, err)
		return
	}
	e, err := s.Catalog.Show(c.Request.Context(), id)
	s.serveCatalog(c, e, err)
}

func (s *Server) getSession(c *gin.Context) {
	id, err := web.ID(c, "id")
	if err != nil {
		web.Error(c, s.Log, err)
		return
	}
	e, err := s.Catalog.Session(c.Request.Context(), id)
	s.serveCatalog(c, e, err)
}

func (s *Server) serveCatalog(c *gin.Context, e catalog.Entry, err error) {
	if err != nil {
		web.Error(c, s.Log, err)
		return
	}
	web.Cached(c, catalogMaxAge, e.ETag, e.Body)
}
