package boxoffice

import (
	"fmt"
	"net/mail"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Password length bounds; bcrypt reads at most 72 bytes.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72
)

// ValidateEmail returns EINVALID unless s is a bare address such as
// admin@example.com, with no display name and a dotted domain.
func ValidateEmail(s string) error {
	if s == "" {
		return Errorf(EINVALID, "email is empty")
	}
	if len(s) > 254 {
		return Errorf(EINVALID, "email is longer than 254 characters")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return Errorf(EINVALID, "email %q is not an address like name@example.com", s)
	}
	_, domain, _ := strings.Cut(s, "@")
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return Errorf(EINVALID, "email %q needs a domain like example.com", s)
	}
	return nil
}

// ValidatePassword returns EINVALID unless p is 8 to 72 bytes long.
func ValidatePassword(p string) error {
	switch {
	case len(p) < MinPasswordLen:
		return Errorf(EINVALID, "password must be at least %d characters", MinPasswordLen)
	case len(p) > MaxPasswordLen:
		return Errorf(EINVALID, "password must be at most %d bytes", MaxPasswordLen)
	}
	return nil
}

// HashPassword validates p (EINVALID) and returns its bcrypt hash at the
// default cost; a failure of bcrypt itself is an internal error.
func HashPassword(p string) (string, error) {
	if err := ValidatePassword(p); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// ParsePhone returns the canonical form of a mobile number: a mainland
// China mobile (1[3-9] and 9 digits, with or without +86) as its 11 digits,
// or another country's number in E.164 form (+ and 8 to 15 digits). It
// returns EINVALID for anything else.
func ParsePhone(s string) (string, error) {
	s = strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s))
	bad := Errorf(EINVALID, "phone must be a mobile number such as 13800138000 or +447700900123")
	if rest, ok := strings.CutPrefix(s, "+86"); ok {
		s = rest
	}
	if !allDigits(strings.TrimPrefix(s, "+")) {
		return "", bad
	}
	switch {
	case len(s) == 11 && s[0] == '1' && s[1] >= '3':
		return s, nil
	case strings.HasPrefix(s, "+") && len(s) >= 9 && len(s) <= 16 && s[1] != '0':
		return s, nil
	}
	return "", bad
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Credentials are what a login checks: the user, the bcrypt hash of their
// password and their role.
type Credentials struct {
	ID           int64  `db:"id"`
	PasswordHash string `db:"password_hash"`
	Role         string `db:"role"`
}
