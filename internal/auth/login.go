package auth

import (
	"context"
	"time"

	"golang.org/x/crypto/bcrypt"

	"boxoffice/internal/boxoffice"
)

// Guard throttles failed logins per account and per client IP.
type Guard interface {
	Check(ctx context.Context, account, ip string) error
	Fail(ctx context.Context, account, ip string) error
	Succeed(ctx context.Context, account string) error
}

// Login checks a password for one role and issues a token.
type Login struct {
	Keys   *Keys
	Guard  Guard
	Role   string
	Lookup func(ctx context.Context, account string) (*boxoffice.Credentials, error) // ENOTFOUND if none
}

// dummyHash makes a login for an unknown account as slow as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password"), bcrypt.DefaultCost)

// Do returns a token for account if password is right. It fails with
// EUNAUTHORIZED for any mismatch, ERATELIMITED when throttled, and
// EUNAVAILABLE when a dependency is down.
func (l *Login) Do(ctx context.Context, account, password, ip string) (string, time.Time, error) {
	if err := l.Guard.Check(ctx, account, ip); err != nil {
		return "", time.Time{}, err
	}
	cred, err := l.Lookup(ctx, account)
	switch {
	case boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND:
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		cred = nil
	case err != nil:
		return "", time.Time{}, boxoffice.Errorf(boxoffice.EUNAVAILABLE, "user store unavailable")
	}
	if cred == nil || cred.Role != l.Role || bcrypt.CompareHashAndPassword([]byte(cred.PasswordHash), []byte(password)) != nil {
		if err := l.Guard.Fail(ctx, account, ip); err != nil {
			return "", time.Time{}, err
		}
		return "", time.Time{}, boxoffice.Errorf(boxoffice.EUNAUTHORIZED, "wrong account or password")
	}
	_ = l.Guard.Succeed(ctx, account)
	return l.Keys.Sign(cred.ID, l.Role, time.Now())
}
