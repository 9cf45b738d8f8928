// Package admin is the admin API under /admin/api: login, and the catalog
// (venues, seat maps, shows, sessions, price tiers). Every route but login
// needs a token with the admin role.
package admin

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

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
	Log    *slog.Logger
	DB     *sqlx.DB
	Keys   *auth.Keys
	Logins *redis.LoginGuard
	Cache  Invalidator
}

// Mount registers the admin routes on g (the /admin/api group).
func (a *API) Mount(g *gin.RouterGroup) {
	g.POST("/login", a.login)
	authed := g.Group("", web.RequireRole(a.Keys, a.Log, auth.RoleAdmin))
	a.mountCatalog(authed)
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// dummyHash keeps a login for an unknown email as slow as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password"), bcrypt.DefaultCost)

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
	ctx := c.Request.Context()
	account, ip := strings.ToLower(strings.TrimSpace(req.Email)), c.ClientIP()
	if err := a.Logins.Check(ctx, account, ip); err != nil {
		web.Error(c, a.Log, err)
		return
	}
	id, err := a.checkPassword(ctx, req.Email, req.Password)
	if err != nil {
		if boxoffice.ErrorCode(err) == boxoffice.EUNAUTHORIZED {
			if ferr := a.Logins.Fail(ctx, account, ip); ferr != nil {
				err = ferr
			}
		}
		web.Error(c, a.Log, err)
		return
	}
	_ = a.Logins.Succeed(ctx, account)
	token, exp, err := a.Keys.Sign(id, auth.RoleAdmin, time.Now())
	if err != nil {
		web.Error(c, a.Log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"token": token, "expires_at": exp.UTC()})
}

// checkPassword returns the admin's id, or EUNAUTHORIZED for any mismatch.
func (a *API) checkPassword(ctx context.Context, email, password string) (int64, error) {
	bad := boxoffice.Errorf(boxoffice.EUNAUTHORIZED, "wrong email or password")
	cred, err := mysql.CredentialsByEmail(ctx, a.DB, email)
	if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return 0, bad
	}
	if err != nil {
		return 0, &boxoffice.Error{Code: boxoffice.EUNAVAILABLE, Message: "database unavailable"}
	}
	if bcrypt.CompareHashAndPassword([]byte(cred.PasswordHash), []byte(password)) != nil || cred.Role != auth.RoleAdmin {
		return 0, bad
	}
	return cred.ID, nil
}
