// Package admin is the admin API under /admin/api: login, and the catalog
// (venues, seat maps, shows, sessions, price tiers). Every route but login
// needs a token with the admin role.
package admin

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/auth"
	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/redis"
	"boxoffice/internal/web"
)

// Invalidator drops cached catalog reads after an admin write commits.
type Invalidator interface {
	Invalidate(ctx context.Context, change boxoffice.CatalogChange) error
}

// API serves the admin routes.
type API struct {
	Log     *slog.Logger
	DB      *sqlx.DB
	Sale    goredis.UniversalClient // the sale Redis, for arming
	BloomFP float64                 // false-positive rate of the reserved-buyers filter
	Keys    *auth.Keys
	Logins  *redis.LoginGuard
	Cache   Invalidator

	audits audits // the dashboards' integrity checks
}

// Mount registers the admin routes on g (the /admin/api group).
func (a *API) Mount(g *gin.RouterGroup) {
	g.POST("/login", a.login)
	authed := g.Group("", web.RequireRole(a.Keys, a.Log, auth.RoleAdmin))
	a.mountCatalog(authed)
	a.mountSale(authed)
	a.mountOrders(authed)
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (a *API) login(c *gin.Context) {
	var req loginRequest
	if err := web.BindJSON(c, 4096, &req); err != nil {
		web.Error(c, a.Log, err)
		return
	}
	if req.Email == "" || req.Password == "" {
		web.Error(c, a.Log, web.Invalid("email and password are required"))
		return
	}
	login := &auth.Login{Keys: a.Keys, Guard: a.Logins, Role: auth.RoleAdmin,
		Lookup: func(ctx context.Context, email string) (*boxoffice.Credentials, error) {
			return mysql.CredentialsByEmail(ctx, a.DB, email)
		}}
	token, exp, err := login.Do(c.Request.Context(), strings.ToLower(strings.TrimSpace(req.Email)), req.Password, c.ClientIP())
	if err != nil {
		web.Error(c, a.Log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"token": token, "expires_at": exp.UTC()})
}
