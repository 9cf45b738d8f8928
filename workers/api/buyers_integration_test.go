//go:build integration

package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"boxoffice/internal/auth"
	"boxoffice/internal/testenv"
)

func fakeIP() http.Header {
	return http.Header{"X-Forwarded-For": {fmt.Sprintf("203.0.113.%d", time.Now().UnixNano()%250+1)}}
}

// phone returns an unused mainland mobile number.
func phone() string { return fmt.Sprintf("139%08d", time.Now().UnixNano()%1e8) }

func TestRegister(t *testing.T) {
	c := testenv.Edge(t)
	p := phone()
	t.Run("OK", func(t *testing.T) {
		r := c.Do(t, "POST", "/api/auth/register", map[string]string{"phone": "+86 " + p, "password": "password1"}, nil)
		if r.Status != 201 || r.JSON["phone"] != p || r.JSON["id"] == nil {
			t.Fatalf("got %d %s, want 201 with the canonical phone %s", r.Status, r.Body, p)
		}
	})
	t.Run("ErrPhoneTaken", func(t *testing.T) {
		c.Do(t, "POST", "/api/auth/register", map[string]string{"phone": p, "password": "password1"}, nil).
			WantError(t, 409, "conflict")
	})
	for name, tc := range map[string]struct {
		body  any
		field any // the input the error names, nil for none
	}{
		"ErrBadPhone":      {map[string]string{"phone": "12345", "password": "password1"}, "phone"},
		"ErrShortPassword": {map[string]string{"phone": phone(), "password": "short"}, "password"},
		"ErrNoPassword":    {map[string]string{"phone": phone()}, "password"},
		"ErrNotJSON":       {[]byte("phone=1"), nil},
		"ErrExtraField":    {map[string]string{"phone": phone(), "password": "password1", "role": "admin"}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			r := c.Do(t, "POST", "/api/auth/register", tc.body, nil)
			r.WantError(t, 400, "bad_request")
			if r.JSON["field"] != tc.field {
				t.Errorf("field = %v, want %v: %s", r.JSON["field"], tc.field, r.Body)
			}
		})
	}
}

func TestBuyerLogin(t *testing.T) {
	c := testenv.Edge(t)
	p := phone()
	r := c.Do(t, "POST", "/api/auth/register", map[string]string{"phone": p, "password": "password1"}, nil)
	if r.Status != 201 {
		t.Fatalf("register = %d %s", r.Status, r.Body)
	}
	id := int64(r.JSON["id"].(float64))
	t.Run("OK", func(t *testing.T) {
		r := c.Do(t, "POST", "/api/auth/login", map[string]string{"phone": p, "password": "password1"}, fakeIP())
		if r.Status != 200 {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
		tok, _, err := jwt.NewParser().ParseUnverified(r.JSON["token"].(string), jwt.MapClaims{})
		if err != nil {
			t.Fatal(err)
		}
		claims := tok.Claims.(jwt.MapClaims)
		iat, exp := claims["iat"].(float64), claims["exp"].(float64)
		if claims["sub"] != fmt.Sprint(id) || claims["role"] != "user" || claims["iss"] != "boxoffice" ||
			exp-iat != 7200 || tok.Header["kid"] != testenv.Config(t).JWTKID || tok.Header["alg"] != "HS256" {
			t.Errorf("token header %v claims %v, want sub=%d role=user iss=boxoffice exp=iat+2h kid alg=HS256", tok.Header, claims, id)
		}
		if _, err := auth.NewKeys(testenv.Config(t)).Verify(r.JSON["token"].(string), time.Now()); err != nil {
			t.Errorf("token does not verify: %v", err)
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		c.Do(t, "POST", "/api/auth/login", map[string]string{"phone": p, "password": "password2"}, fakeIP()).
			WantError(t, 401, "unauthorized")
	})
	t.Run("ErrUnknownPhone", func(t *testing.T) {
		c.Do(t, "POST", "/api/auth/login", map[string]string{"phone": phone(), "password": "password1"}, fakeIP()).
			WantError(t, 401, "unauthorized")
	})
	t.Run("ErrThrottledPerPhone", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			c.Do(t, "POST", "/api/auth/login", map[string]string{"phone": p, "password": "nope-nope"}, fakeIP())
		}
		r := c.Do(t, "POST", "/api/auth/login", map[string]string{"phone": p, "password": "password1"}, fakeIP())
		r.WantError(t, 429, "rate_limited")
		if r.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	})
	t.Run("ErrThrottledPerIP", func(t *testing.T) {
		ip := http.Header{"X-Forwarded-For": {fmt.Sprintf("198.18.%d.%d", time.Now().UnixNano()%250, time.Now().UnixNano()%251)}}
		for i := 0; i < 50; i++ {
			c.Do(t, "POST", "/api/auth/login", map[string]string{"phone": phone(), "password": "nope-nope"}, ip)
		}
		other := phone()
		c.Do(t, "POST", "/api/auth/register", map[string]string{"phone": other, "password": "password1"}, nil)
		c.Do(t, "POST", "/api/auth/login", map[string]string{"phone": other, "password": "password1"}, ip).
			WantError(t, 429, "rate_limited")
	})
}

func TestReservations(t *testing.T) {
	db := testenv.DB(t)
	open := testenv.NewSession(t, db, testenv.SessionSpec{})
	later := testenv.NewSession(t, db, testenv.SessionSpec{ReserveOpen: time.Now().Add(time.Hour), ReserveEnd: time.Now().Add(2 * time.Hour)})
	armed := testenv.NewSession(t, db, testenv.SessionSpec{State: "ARMED"})
	draft := testenv.NewSession(t, db, testenv.SessionSpec{State: "DRAFT"})
	buyer := testenv.NewBuyers(t, db, 1)[0]
	c := testenv.Edge(t)
	c.Token = buyer.Token
	path := func(id int64) string { return fmt.Sprintf("/api/sessions/%d/reservations", id) }

	var first map[string]any
	t.Run("OK", func(t *testing.T) {
		r := c.Do(t, "POST", path(open.ID), nil, nil)
		if r.Status != 201 || r.JSON["session_id"] != float64(open.ID) {
			t.Fatalf("got %d %s, want 201 for session %d", r.Status, r.Body, open.ID)
		}
		first = r.JSON
	})
	t.Run("RepeatAnswersTheSame", func(t *testing.T) {
		r := c.Do(t, "POST", path(open.ID), nil, nil)
		if r.Status != 200 || r.JSON["id"] != first["id"] {
			t.Errorf("got %d %s, want 200 with reservation %v", r.Status, r.Body, first["id"])
		}
	})
	t.Run("ErrOutsideWindow", func(t *testing.T) {
		r := c.Do(t, "POST", path(later.ID), nil, nil)
		r.WantError(t, 403, "reservation_closed")
		if r.JSON["opens_at"] == nil || r.JSON["closes_at"] == nil {
			t.Errorf("body %s does not give the window", r.Body)
		}
	})
	t.Run("ErrArmed", func(t *testing.T) {
		c.Do(t, "POST", path(armed.ID), nil, nil).WantError(t, 403, "reservation_closed")
	})
	t.Run("ErrDraft", func(t *testing.T) {
		c.Do(t, "POST", path(draft.ID), nil, nil).WantError(t, 404, "not_found")
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		c.Do(t, "POST", path(1<<40), nil, nil).WantError(t, 404, "not_found")
	})
	t.Run("ErrBadID", func(t *testing.T) {
		c.Do(t, "POST", "/api/sessions/x1/reservations", nil, nil).WantError(t, 400, "bad_request")
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		anon := testenv.Edge(t)
		anon.Do(t, "POST", path(open.ID), nil, nil).WantError(t, 401, "unauthorized")
	})
	t.Run("ErrAdminToken", func(t *testing.T) {
		testenv.Admin(t).Do(t, "POST", path(open.ID), nil, nil).WantError(t, 403, "forbidden")
	})
	t.Run("Mine", func(t *testing.T) {
		r := c.Do(t, "GET", "/api/me/reservations", nil, nil)
		items, _ := r.JSON["items"].([]any)
		if r.Status != 200 || len(items) != 1 || r.JSON["total"] != float64(1) {
			t.Fatalf("got %d %s, want the one reservation", r.Status, r.Body)
		}
		if !strings.Contains(string(r.Body), `"show_title"`) {
			t.Errorf("items lack the show: %s", r.Body)
		}
	})
}
