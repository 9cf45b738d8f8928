package auth_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"boxoffice/internal/auth"
	"boxoffice/internal/boxoffice"
	"boxoffice/internal/config"
)

var (
	secret   = strings.Repeat("a", 32)
	previous = strings.Repeat("b", 32)
	now      = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
)

func keys(kid string) *auth.Keys {
	return auth.NewKeys(&config.Config{JWTSecret: secret, JWTKID: kid, JWTTTL: 2 * time.Hour,
		JWTPrevious: map[string]string{"old": previous}})
}

func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func claims(exp time.Time) jwt.MapClaims {
	return jwt.MapClaims{"sub": "42", "role": "user", "iss": "boxoffice", "iat": now.Unix(), "exp": exp.Unix()}
}

// withSub is a valid user token's claims with sub.
func withSub(sub string) jwt.MapClaims {
	c := claims(now.Add(time.Hour))
	c["sub"] = sub
	return c
}

func TestSignVerify(t *testing.T) {
	k := keys("k1")
	token, exp, err := k.Sign(42, auth.RoleAdmin, now)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(now.Add(2 * time.Hour)) {
		t.Errorf("exp = %v, want now+2h", exp)
	}
	c, err := k.Verify(token, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if c.UserID() != 42 || c.Role != auth.RoleAdmin || c.Issuer != "boxoffice" {
		t.Errorf("claims = %+v", c)
	}
}

func TestVerifyRejects(t *testing.T) {
	k := keys("k1")
	good := sign(t, jwt.SigningMethodHS256, []byte(secret), "k1", claims(now.Add(time.Hour)))
	parts := strings.Split(good, ".")
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT","kid":"k1"}`))
	noExp := jwt.MapClaims{"sub": "42", "role": "user", "iss": "boxoffice", "iat": now.Unix()}
	cases := []struct{ name, token string }{
		{"TamperedSignature", parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))},
		{"TamperedPayload", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"1","role":"admin","iss":"boxoffice","exp":9999999999}`)) + "." + parts[2]},
		{"AlgNone", noneHeader + "." + parts[1] + "."},
		{"HS512", sign(t, jwt.SigningMethodHS512, []byte(secret), "k1", claims(now.Add(time.Hour)))},
		{"Expired", sign(t, jwt.SigningMethodHS256, []byte(secret), "k1", claims(now.Add(-31*time.Second)))},
		{"NoExp", sign(t, jwt.SigningMethodHS256, []byte(secret), "k1", noExp)},
		{"UnknownKid", sign(t, jwt.SigningMethodHS256, []byte(secret), "k9", claims(now.Add(time.Hour)))},
		{"NoKid", sign(t, jwt.SigningMethodHS256, []byte(secret), "", claims(now.Add(time.Hour)))},
		{"WrongIssuer", sign(t, jwt.SigningMethodHS256, []byte(secret), "k1", jwt.MapClaims{"sub": "42", "role": "user", "iss": "x", "exp": now.Add(time.Hour).Unix()})},
		{"BadRole", sign(t, jwt.SigningMethodHS256, []byte(secret), "k1", jwt.MapClaims{"sub": "42", "role": "root", "iss": "boxoffice", "exp": now.Add(time.Hour).Unix()})},
		{"IssuedInFuture", sign(t, jwt.SigningMethodHS256, []byte(secret), "k1", jwt.MapClaims{"sub": "42", "role": "user", "iss": "boxoffice", "iat": now.Add(time.Minute).Unix(), "exp": now.Add(time.Hour).Unix()})},
		{"SubjectPastInt64", sign(t, jwt.SigningMethodHS256, []byte(secret), "k1", withSub("9223372036854775808"))},
		{"SubjectSigned", sign(t, jwt.SigningMethodHS256, []byte(secret), "k1", withSub("+42"))},
		{"SubjectLeadingZero", sign(t, jwt.SigningMethodHS256, []byte(secret), "k1", withSub("042"))},
		{"Malformed", "not.a.jwt"},
		{"Empty", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := k.Verify(tc.token, now)
			if boxoffice.ErrorCode(err) != boxoffice.EUNAUTHORIZED {
				t.Errorf("Verify() = %v, want unauthorized", err)
			}
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	k := keys("k1")
	t.Run("PreviousKey", func(t *testing.T) {
		tok := sign(t, jwt.SigningMethodHS256, []byte(previous), "old", claims(now.Add(time.Hour)))
		if _, err := k.Verify(tok, now); err != nil {
			t.Errorf("token signed with a retired key: %v", err)
		}
	})
	t.Run("ExpiredWithinLeeway", func(t *testing.T) {
		tok := sign(t, jwt.SigningMethodHS256, []byte(secret), "k1", claims(now.Add(-29*time.Second)))
		if _, err := k.Verify(tok, now); err != nil {
			t.Errorf("token 29 s past exp: %v, want accepted (30 s leeway)", err)
		}
	})
	t.Run("RotatedSigner", func(t *testing.T) {
		k2 := auth.NewKeys(&config.Config{JWTSecret: previous, JWTKID: "old", JWTTTL: time.Hour,
			JWTPrevious: map[string]string{"k1": secret}})
		tok, _, _ := k.Sign(7, auth.RoleUser, now)
		if _, err := k2.Verify(tok, now); err != nil {
			t.Errorf("token of the now-previous key: %v", err)
		}
	})
}
