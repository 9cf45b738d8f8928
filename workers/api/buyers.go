package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"boxoffice/internal/auth"
	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/web"
)

// mountBuyers registers accounts and reservations under /api.
func (s *Server) mountBuyers(g *gin.RouterGroup) {
	s.buyerLogin = &auth.Login{Keys: s.Keys, Guard: s.BuyerLogins, Role: auth.RoleUser,
		Lookup: func(ctx context.Context, phone string) (*boxoffice.Credentials, error) {
			return mysql.CredentialsByPhone(ctx, s.DB, phone)
		}}
	g.POST("/auth/register", s.register)
	g.POST("/auth/login", s.login)
	buyer := g.Group("", web.RequireRole(s.Keys, s.Log, auth.RoleUser))
	buyer.POST("/sessions/:id/reservations", s.reserve)
	buyer.GET("/me/reservations", mine(s, mysql.ReservationsOf, viewReservation))
}

type credentialsRequest struct {
	Phone    string `json:"phone"`
	Password string `json:"password"`
}

// bindCredentials reads {"phone","password"} and canonicalises the phone.
func bindCredentials(c *gin.Context) (phone, password string, err error) {
	var req credentialsRequest
	if err := web.BindJSON(c, 4096, &req); err != nil {
		return "", "", err
	}
	phone, err = boxoffice.ParsePhone(req.Phone)
	if err != nil {
		return "", "", inField(err, "phone")
	}
	if req.Password == "" {
		return "", "", inField(web.Invalid("password is required"), "password")
	}
	return phone, req.Password, nil
}

// inField names field in a bad_request err, so a client can say which of
// its inputs to correct.
func inField(err error, field string) error {
	var e *boxoffice.Error
	if errors.As(err, &e) && e.Code == boxoffice.EINVALID {
		return e.With("field", field)
	}
	return err
}

// register creates a buyer: 201 {"id","phone"}; 409 if the phone is taken.
func (s *Server) register(c *gin.Context) {
	phone, password, err := bindCredentials(c)
	if err != nil {
		web.Error(c, s.Log, err)
		return
	}
	hash, err := boxoffice.HashPassword(password)
	if err != nil {
		web.Error(c, s.Log, inField(err, "password"))
		return
	}
	id, err := mysql.CreateBuyer(c.Request.Context(), s.DB, phone, hash)
	if err != nil {
		web.Error(c, s.Log, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"id": id, "phone": phone})
}

// login answers {"token","expires_at"} for a buyer's phone and password.
func (s *Server) login(c *gin.Context) {
	phone, password, err := bindCredentials(c)
	if err != nil {
		web.Error(c, s.Log, err)
		return
	}
	token, exp, err := s.buyerLogin.Do(c.Request.Context(), phone, password, c.ClientIP())
	if err != nil {
		web.Error(c, s.Log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"token": token, "expires_at": exp.UTC()})
}

// reserve records the buyer's reservation of a session: 201 the first time,
// 200 with the same reservation after; 403 reservation_closed outside the
// window or once the session is armed.
func (s *Server) reserve(c *gin.Context) {
	id, err := web.ID(c, "id")
	if err != nil {
		web.Error(c, s.Log, err)
		return
	}
	ctx := c.Request.Context()
	sess, err := mysql.PublicSession(ctx, s.DB, id)
	if err == nil {
		err = reservable(sess, time.Now())
	}
	if err != nil {
		web.Error(c, s.Log, err)
		return
	}
	r, created, err := mysql.Reserve(ctx, s.DB, id, web.Claims(c).UserID())
	if err != nil {
		web.Error(c, s.Log, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, viewReservation(*r))
}

// reservable fails with ERESERVECLOSED, naming the window, unless the
// session takes reservations now.
func reservable(s *boxoffice.Session, now time.Time) error {
	if s.State == boxoffice.SessionReserving && !now.Before(s.ReserveOpensAt) && now.Before(s.ReserveClosesAt) {
		return nil
	}
	msg := "reservations for session " + strconv.FormatInt(s.ID, 10) + " are open from " +
		s.ReserveOpensAt.UTC().Format(time.RFC3339) + " to " + s.ReserveClosesAt.UTC().Format(time.RFC3339)
	if s.State != boxoffice.SessionReserving {
		msg = "session " + strconv.FormatInt(s.ID, 10) + " is " + s.State + " and takes no reservations"
	}
	return boxoffice.Errorf(boxoffice.ERESERVECLOSED, "%s", msg).
		With("opens_at", s.ReserveOpensAt.UTC()).With("closes_at", s.ReserveClosesAt.UTC())
}

// mine answers a paged list of the buyer's own rows, newest first, each
// as view shows it.
func mine[T, V any](s *Server, list func(ctx context.Context, db *sqlx.DB, userID int64, limit, offset int) ([]T, int, error),
	view func(T) V) gin.HandlerFunc {
	return func(c *gin.Context) {
		page, err := web.Paging(c)
		if err != nil {
			web.Error(c, s.Log, err)
			return
		}
		items, total, err := list(c.Request.Context(), s.DB, web.Claims(c).UserID(), page.PerPage, page.Offset())
		if err != nil {
			web.Error(c, s.Log, err)
			return
		}
		c.Header("Cache-Control", "no-store")
		out := make([]V, len(items))
		for i, it := range items {
			out[i] = view(it)
		}
		c.JSON(http.StatusOK, web.List[V]{Items: out, Page: page.Page, PerPage: page.PerPage, Total: total})
	}
}
