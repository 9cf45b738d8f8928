// Package auth issues and verifies boxoffice's JWTs: HS256 only, exp
// required, keys chosen by kid so secrets can rotate.
package auth

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/config"
)

// Issuer is the iss claim of every token.
const Issuer = "boxoffice"

// Leeway is the clock skew allowed on exp, nbf and iat.
const Leeway = 30 * time.Second

// Roles.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

// Claims are the claims boxoffice puts in a token.
type Claims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

// UserID returns the numeric user id in sub.
func (c *Claims) UserID() int64 {
	id, _ := strconv.ParseInt(c.Subject, 10, 64)
	return id
}

// Keys signs with the active key and verifies with any configured key.
type Keys struct {
	activeKID string
	secrets   map[string][]byte
	ttl       time.Duration
}

// NewKeys builds the key set from the settings.
func NewKeys(cfg *config.Config) *Keys {
	k := &Keys{activeKID: cfg.JWTKID, ttl: cfg.JWTTTL, secrets: map[string][]byte{}}
	for kid, s := range cfg.JWTPrevious {
		k.secrets[kid] = []byte(s)
	}
	k.secrets[cfg.JWTKID] = []byte(cfg.JWTSecret)
	return k
}

// Sign issues a token for the user and role, valid for the configured TTL.
func (k *Keys) Sign(userID int64, role string, now time.Time) (string, time.Time, error) {
	exp := now.Add(k.ttl)
	claims := Claims{Role: role, RegisteredClaims: jwt.RegisteredClaims{
		Subject:   strconv.FormatInt(userID, 10),
		Issuer:    Issuer,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(exp),
	}}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	t.Header["kid"] = k.activeKID
	s, err := t.SignedString(k.secrets[k.activeKID])
	return s, exp, err
}

// Verify checks the token and returns its claims. Any failure is an
// EUNAUTHORIZED error.
func (k *Keys) Verify(token string, now time.Time) (*Claims, error) {
	claims := &Claims{}
	_, err := jwt.ParseWithClaims(token, claims, k.keyFor,
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(Issuer),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	if err != nil {
		return nil, boxoffice.Errorf(boxoffice.EUNAUTHORIZED, "%s", tokenProblem(err))
	}
	if claims.UserID() <= 0 || (claims.Role != RoleUser && claims.Role != RoleAdmin) {
		return nil, boxoffice.Errorf(boxoffice.EUNAUTHORIZED, "token has no valid subject or role")
	}
	return claims, nil
}

func (k *Keys) keyFor(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	secret, ok := k.secrets[kid]
	if !ok {
		return nil, fmt.Errorf("unknown key id %q", kid)
	}
	return secret, nil
}

func tokenProblem(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "token malformed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "token signature invalid"
	}
	return "token invalid"
}
