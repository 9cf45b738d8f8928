//go:build integration

package admin_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"
	"time"

	"boxoffice/internal/auth"
	"boxoffice/internal/mysql"
	"boxoffice/internal/testenv"
)

// newAdmin creates an admin with a unique email and returns it.
func newAdmin(t *testing.T, password string) string {
	t.Helper()
	cfg := testenv.Config(t)
	db, err := mysql.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	email := "admin-" + hex.EncodeToString(b) + "@example.com"
	if _, _, err := mysql.UpsertAdmin(context.Background(), db, email, password); err != nil {
		t.Fatal(err)
	}
	return email
}

// fakeIP is a TEST-NET address unique to the test, sent as X-Forwarded-For
// so that per-IP throttling of one test does not leak into another.
func fakeIP() http.Header {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	return http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.%d.%d", b[0]%100, b[1])}}
}

func TestLogin(t *testing.T) {
	c := testenv.Edge(t)
	email := newAdmin(t, "correct horse")
	t.Run("OK", func(t *testing.T) {
		r := c.Do(t, "POST", "/admin/api/login", map[string]string{"email": email, "password": "correct horse"}, fakeIP())
		if r.Status != 200 {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
		claims, err := auth.NewKeys(testenv.Config(t)).Verify(r.JSON["token"].(string), time.Now())
		if err != nil || claims.Role != auth.RoleAdmin {
			t.Errorf("token claims = %+v, %v; want a valid admin token", claims, err)
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		r := c.Do(t, "POST", "/admin/api/login", map[string]string{"email": email, "password": "wrong horse"}, fakeIP())
		r.WantError(t, 401, "unauthorized")
	})
	t.Run("ErrUnknownEmail", func(t *testing.T) {
		r := c.Do(t, "POST", "/admin/api/login", map[string]string{"email": "nobody@example.com", "password": "whatever1"}, fakeIP())
		r.WantError(t, 401, "unauthorized")
	})
	for name, body := range map[string]any{
		"ErrNotJSON":      []byte("email=a"),
		"ErrUnknownField": map[string]string{"email": email, "password": "x", "role": "admin"},
		"ErrMissing":      map[string]string{"email": email},
	} {
		t.Run(name, func(t *testing.T) {
			c.Do(t, "POST", "/admin/api/login", body, fakeIP()).WantError(t, 400, "bad_request")
		})
	}
}

func TestLoginThrottled(t *testing.T) {
	c := testenv.Edge(t)
	t.Run("PerAccount", func(t *testing.T) {
		email := newAdmin(t, "correct horse")
		for i := 0; i < 5; i++ {
			c.Do(t, "POST", "/admin/api/login", map[string]string{"email": email, "password": "bad"}, fakeIP()).
				WantError(t, 401, "unauthorized")
		}
		r := c.Do(t, "POST", "/admin/api/login", map[string]string{"email": email, "password": "correct horse"}, fakeIP())
		r.WantError(t, 429, "rate_limited")
		if r.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	})
	t.Run("PerIP", func(t *testing.T) {
		ip := fakeIP()
		for i := 0; i < 50; i++ {
			email := fmt.Sprintf("nobody-%d-%d@example.com", time.Now().UnixNano(), i)
			c.Do(t, "POST", "/admin/api/login", map[string]string{"email": email, "password": "bad"}, ip).
				WantError(t, 401, "unauthorized")
		}
		email := newAdmin(t, "correct horse")
		c.Do(t, "POST", "/admin/api/login", map[string]string{"email": email, "password": "correct horse"}, ip).
			WantError(t, 429, "rate_limited")
		if r := c.Do(t, "POST", "/admin/api/login", map[string]string{"email": email, "password": "correct horse"}, fakeIP()); r.Status != 200 {
			t.Errorf("login from another IP = %d, want 200", r.Status)
		}
	})
}

func TestAdminRoutesNeedAdmin(t *testing.T) {
	cfg := testenv.Config(t)
	c := testenv.Edge(t)
	t.Run("ErrNoToken", func(t *testing.T) {
		c.Do(t, "GET", "/admin/api/venues", nil, nil).WantError(t, 401, "unauthorized")
	})
	t.Run("ErrBadToken", func(t *testing.T) {
		bad := *c
		bad.Token = "abc.def.ghi"
		bad.Do(t, "GET", "/admin/api/venues", nil, nil).WantError(t, 401, "unauthorized")
	})
	t.Run("ErrBuyerToken", func(t *testing.T) {
		token, _, err := auth.NewKeys(cfg).Sign(1, auth.RoleUser, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		buyer := *c
		buyer.Token = token
		buyer.Do(t, "GET", "/admin/api/venues", nil, nil).WantError(t, 403, "forbidden")
	})
}
