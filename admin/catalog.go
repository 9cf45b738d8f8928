package admin

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/web"
)

// bodyLimit bounds a catalog request body but a seat map's: a show's
// description alone may be 64 KiB.
const bodyLimit = 128 << 10

// mountCatalog registers the catalog routes. What they share:
//   - GET of one object and every write but DELETE answer ETag "<version>"
//     with the version in the body. PUT (and the seat map and price tier
//     replacements, which bump the venue's or session's version) need
//     If-Match: "<version>": 428 precondition_required without it, 409
//     version_conflict with current_version when it is stale. DELETE checks
//     If-Match only when it is sent.
//   - PUT replaces every writable field; the ones with a default (a show's
//     status, a session's seat_limit, hold_seconds and state) stay as they
//     are when omitted.
//   - Deleting what is still referenced is 409 conflict with referenced_by
//     (table → ids): a venue or show with sessions, a session with
//     reservations or orders. A DRAFT or RESERVING session's price tiers
//     go with it; an armed (ARMED, ON_SALE, CLOSED) session is never
//     deleted, and its venue, price tiers and venue's seat map are frozen.
//   - After a write commits, the catalog cache is told which shows and
//     sessions changed.
func (a *API) mountCatalog(g *gin.RouterGroup) {
	a.venues().mount(g)
	g.GET("/venues/:id/seats", a.getOne(a.seatMap))
	g.PUT("/venues/:id/seats", a.replace(a.replaceSeats))
	a.shows().mount(g)
	a.sessions().mount(g)
	g.GET("/sessions/:id/tiers", a.getOne(a.priceTiers))
	g.PUT("/sessions/:id/tiers", a.replace(a.replaceTiers))
}

// resource adapts one catalog type's storage (T, listed with filter F) to
// the shared list, get, create, update and delete handlers.
type resource[T, F any] struct {
	a       *API
	path    string // e.g. "/venues"
	idOf    func(*T) int64
	version func(*T) int64
	// touches is what creating or deleting a T changes for public reads.
	touches func(*T) boxoffice.CatalogChange
	filter  func(q *query) F
	bind    func(c *gin.Context, create bool) (T, error)
	list    func(ctx context.Context, db *sqlx.DB, f F, p mysql.Page) ([]T, int, error)
	get     func(ctx context.Context, db sqlx.QueryerContext, id int64) (*T, error)
	create  func(ctx context.Context, db *sqlx.DB, in T) (*T, error)
	update  func(ctx context.Context, db *sqlx.DB, id, version int64, in T) (*T, boxoffice.CatalogChange, error)
	remove  func(ctx context.Context, db *sqlx.DB, id, version int64) (*T, error)
}

func (r *resource[T, F]) mount(g *gin.RouterGroup) {
	g.GET(r.path, r.handleList)
	g.POST(r.path, r.handleCreate)
	g.GET(r.path+"/:id", r.a.getOne(func(ctx context.Context, id int64) (int64, any, error) {
		v, err := r.get(ctx, r.a.DB, id)
		if err != nil {
			return 0, nil, err
		}
		return r.version(v), v, nil
	}))
	g.PUT(r.path+"/:id", r.a.replace(func(c *gin.Context, id, version int64) (int64, any, boxoffice.CatalogChange, error) {
		in, err := r.bind(c, false)
		if err != nil {
			return 0, nil, noChange, err
		}
		v, change, err := r.update(c.Request.Context(), r.a.DB, id, version, in)
		if err != nil {
			return 0, nil, noChange, err
		}
		return r.version(v), v, change, nil
	}))
	g.DELETE(r.path+"/:id", r.handleDelete)
}

func (r *resource[T, F]) handleList(c *gin.Context) {
	page, err := web.Paging(c)
	if err != nil {
		web.Error(c, r.a.Log, err)
		return
	}
	q := newQuery(c)
	f := r.filter(q)
	if q.err != nil {
		web.Error(c, r.a.Log, q.err)
		return
	}
	items, total, err := r.list(c.Request.Context(), r.a.DB, f, mysql.Page{Limit: page.PerPage, Offset: page.Offset()})
	if err != nil {
		web.Error(c, r.a.Log, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, web.List[T]{Items: items, Page: page.Page, PerPage: page.PerPage, Total: total})
}

func (r *resource[T, F]) handleCreate(c *gin.Context) {
	in, err := r.bind(c, true)
	if err != nil {
		web.Error(c, r.a.Log, err)
		return
	}
	v, err := r.create(c.Request.Context(), r.a.DB, in)
	if err != nil {
		web.Error(c, r.a.Log, err)
		return
	}
	r.a.invalidate(c, r.touches(v))
	c.Header("Location", fmt.Sprintf("%s%s/%d", basePath, r.path, r.idOf(v)))
	respond(c, http.StatusCreated, r.version(v), v)
}

// handleDelete deletes; an If-Match header is optional here but checked
// when sent.
func (r *resource[T, F]) handleDelete(c *gin.Context) {
	id, version, err := target(c, false)
	if err != nil {
		web.Error(c, r.a.Log, err)
		return
	}
	v, err := r.remove(c.Request.Context(), r.a.DB, id, version)
	if err != nil {
		web.Error(c, r.a.Log, err)
		return
	}
	r.a.invalidate(c, r.touches(v))
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusNoContent)
}

// getOne answers GET of the :id object (or sub-resource) that fetch reads,
// with its version as ETag.
func (a *API) getOne(fetch func(ctx context.Context, id int64) (version int64, body any, err error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := web.ID(c, "id")
		if err != nil {
			web.Error(c, a.Log, err)
			return
		}
		version, body, err := fetch(c.Request.Context(), id)
		if err != nil {
			web.Error(c, a.Log, err)
			return
		}
		respond(c, http.StatusOK, version, body)
	}
}

// replace answers PUT of the :id object (or sub-resource) that put writes:
// If-Match is required, and the cache is told what changed.
func (a *API) replace(put func(c *gin.Context, id, version int64) (int64, any, boxoffice.CatalogChange, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, version, err := target(c, true)
		if err != nil {
			web.Error(c, a.Log, err)
			return
		}
		newVersion, body, change, err := put(c, id, version)
		if err != nil {
			web.Error(c, a.Log, err)
			return
		}
		a.invalidate(c, change)
		respond(c, http.StatusOK, newVersion, body)
	}
}

// basePath is where Mount is mounted; Location headers start with it.
const basePath = "/admin/api"

// respond writes v as JSON with ETag "<version>"; admin answers are never
// cached.
func respond(c *gin.Context, status int, version int64, v any) {
	c.Header("ETag", `"`+strconv.FormatInt(version, 10)+`"`)
	c.Header("Cache-Control", "no-store")
	c.JSON(status, v)
}

// target reads the :id path parameter and the If-Match version. A missing
// If-Match is 428 when required, else version 0 (no check).
func target(c *gin.Context, required bool) (id, version int64, err error) {
	if id, err = web.ID(c, "id"); err != nil {
		return 0, 0, err
	}
	h := strings.TrimSpace(c.GetHeader("If-Match"))
	if h == "" {
		if required {
			return 0, 0, boxoffice.Errorf(boxoffice.EPRECONDITION,
				`this write needs an If-Match header with the version from the object's ETag, e.g. If-Match: "3"`)
		}
		return id, 0, nil
	}
	tag := strings.TrimPrefix(h, "W/")
	v, ok := int64(0), len(tag) >= 3 && tag[0] == '"' && tag[len(tag)-1] == '"'
	if ok {
		v, ok = boxoffice.ParseID(tag[1 : len(tag)-1])
	}
	if !ok {
		return 0, 0, web.Invalid(`If-Match must be one version in quotes, like "3"; got %s`, h)
	}
	return id, v, nil
}

// invalidate drops cached public reads that change names, after the write
// committed. A failure is logged, not answered: the write stands.
func (a *API) invalidate(c *gin.Context, change boxoffice.CatalogChange) {
	if a.Cache == nil || len(change.ShowIDs)+len(change.SessionIDs) == 0 {
		return
	}
	// The write stands even if the caller has gone: do not inherit its cancel.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), invalidateTimeout)
	defer cancel()
	if err := a.Cache.Invalidate(ctx, change); err != nil {
		a.Log.Error("catalog cache invalidation failed", "path", c.FullPath(),
			"shows", change.ShowIDs, "sessions", change.SessionIDs, "err", err)
	}
}

// invalidateTimeout bounds one cache invalidation.
const invalidateTimeout = 2 * time.Second

// noChange is the change of writes no public read shows.
var noChange = boxoffice.CatalogChange{}

// sessionChange is the change of a write to one session.
func sessionChange(s *boxoffice.Session) boxoffice.CatalogChange {
	return boxoffice.CatalogChange{ShowIDs: []int64{s.ShowID}, SessionIDs: []int64{s.ID}}
}
