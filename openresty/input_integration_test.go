//go:build integration

package openresty_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"boxoffice/internal/auth"
	"boxoffice/internal/payments"
	"boxoffice/internal/testenv"
)

// signedToken is a token the edge and api verify, with any sub.
func signedToken(t *testing.T, sub, role string) string {
	t.Helper()
	cfg := testenv.Config(t)
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": sub, "role": role, "iss": auth.Issuer,
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
	tok.Header["kid"] = cfg.JWTKID
	s, err := tok.SignedString([]byte(cfg.JWTSecret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// notify sends a payment notification signed with the shared secret.
func notify(t *testing.T, body []byte) *testenv.Response {
	t.Helper()
	sig := payments.Sign(testenv.Config(t).PaySecret, body)
	return testenv.Edge(t).Do(t, "POST", "/api/payments/notify", body,
		http.Header{payments.SignatureHeader: {sig}})
}

// Malformed input of each kind a hostile client sends gets a 4xx in the
// JSON error shape, never a 500 or a silent acceptance.
func TestBadInput(t *testing.T) {
	admin := testenv.Admin(t)
	t.Run("TimesOutsideYears1To9999", func(t *testing.T) {
		r := admin.Do(t, "POST", "/admin/api/shows", map[string]string{"title": "Show " + testenv.Unique()}, nil)
		venue := admin.Do(t, "POST", "/admin/api/venues", map[string]string{"name": "V " + testenv.Unique(), "city": "X"}, nil)
		body := map[string]any{"show_id": r.JSON["id"], "venue_id": venue.JSON["id"],
			"starts_at": "2030-01-10T20:00:00Z", "reserve_opens_at": "2030-01-01T00:00:00Z",
			"reserve_closes_at": "2030-01-05T00:00:00Z", "sale_opens_at": "2030-01-06T00:00:00Z",
			"sale_closes_at": "2030-01-09T00:00:00Z"}
		for field, at := range map[string]string{"reserve_opens_at": "0000-01-01T00:00:00Z",
			"starts_at": "9999-12-31T23:59:59-05:00"} {
			b := map[string]any{}
			for k, v := range body {
				b[k] = v
			}
			b[field] = at
			admin.Do(t, "POST", "/admin/api/sessions", b, nil).WantError(t, 400, "bad_request")
		}
		for _, q := range []string{"/admin/api/sessions?to=", "/admin/api/sessions?from=", "/admin/api/shows?to="} {
			for _, at := range []string{"9999-12-31T23:59:59-05:00", "0000-01-01T00:00:00Z", "0001-01-01T00:00:00+00:01"} {
				admin.Do(t, "GET", q+url.QueryEscape(at), nil, nil).WantError(t, 400, "bad_request")
			}
		}
	})
	t.Run("NegativePaymentAmount", func(t *testing.T) {
		for _, amount := range []int64{-1, -9223372036854775808, 0} {
			body := fmt.Appendf(nil, `{"payment_id":"P%[1]s","order_no":"NO%[1]s","txn_id":"T%[1]s","status":"SUCCEEDED","amount_cents":%[2]d}`,
				testenv.Unique(), amount)
			notify(t, body).WantError(t, 400, "bad_request")
		}
	})
	t.Run("TokenOfDeletedUser", func(t *testing.T) {
		s := testenv.NewSession(t, testenv.DB(t), testenv.SessionSpec{})
		gone := signedToken(t, "9000000000000000001", auth.RoleUser)
		testenv.Edge(t).As(gone).Do(t, "POST", fmt.Sprintf("/api/sessions/%d/reservations", s.ID), nil, nil).
			WantError(t, 401, "unauthorized")
	})
	t.Run("PhoneWithDoubledCountryCode", func(t *testing.T) {
		edge := testenv.Edge(t)
		phone := fmt.Sprintf("139%08d", time.Now().UnixNano()%100_000_000)
		r := edge.Do(t, "POST", "/api/auth/register", map[string]string{"phone": "+86 " + phone, "password": "pw-" + phone}, nil)
		if r.Status != 201 {
			t.Fatalf("register = %d %s", r.Status, r.Body)
		}
		for _, p := range []string{"+86+86 " + phone, "+86 +86" + phone, "+86+86+86" + phone} {
			edge.Do(t, "POST", "/api/auth/register", map[string]string{"phone": p, "password": "pw-" + phone}, nil).
				WantError(t, 400, "bad_request")
		}
	})
	t.Run("InvalidUTF8", func(t *testing.T) {
		admin.Do(t, "POST", "/admin/api/venues", []byte("{\"name\":\"V\xff"+testenv.Unique()+"\",\"city\":\"X\"}"), nil).
			WantError(t, 400, "bad_request")
		testenv.Edge(t).Do(t, "POST", "/api/auth/register", []byte("{\"phone\":\"13900000000\",\"password\":\"p\xc3\"}"), nil).
			WantError(t, 400, "bad_request")
		notify(t, []byte("{\"payment_id\":\"P\xff\",\"order_no\":\"N\",\"txn_id\":\"T\",\"status\":\"FAILED\",\"amount_cents\":1}")).
			WantError(t, 400, "bad_request")
	})
	t.Run("MalformedIfMatch", func(t *testing.T) {
		r := admin.Do(t, "POST", "/admin/api/venues", map[string]string{"name": "V " + testenv.Unique(), "city": "X"}, nil)
		path := fmt.Sprintf("/admin/api/venues/%v", r.JSON["id"])
		for _, tag := range []string{`"+1"`, `"01"`, `"-1"`, `" 1"`, `"1 "`, `"1"x`, `"9223372036854775808"`, `"0"`, `1`} {
			admin.Do(t, "PUT", path, map[string]string{"name": "V " + testenv.Unique(), "city": "X"},
				http.Header{"If-Match": {tag}}).WantError(t, 400, "bad_request")
		}
	})
	t.Run("SubjectPastInt64", func(t *testing.T) {
		edge := testenv.Edge(t)
		for _, sub := range []string{"9223372036854775808", "18446744073709551616", "+42", "042"} {
			tok := signedToken(t, sub, auth.RoleUser)
			edge.As(tok).Do(t, "GET", "/api/me/reservations", nil, nil).WantError(t, 401, "unauthorized")
			edge.As(tok).Grab(t, 1, testenv.Unique(), 1).WantError(t, 401, "unauthorized")
		}
	})
}
