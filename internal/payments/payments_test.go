package payments_test

import (
	"strconv"
	"testing"

	"boxoffice/internal/payments"
)

func fmtID(id int64) string { return strconv.FormatInt(id, 10) }

func TestSignVerify(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	body := []byte(`{"order_no":"B1-1-1"}`)
	sig := payments.Sign(secret, body)
	for name, c := range map[string]struct {
		secret, sig string
		body        []byte
		want        bool
	}{
		"OK":           {secret, sig, body, true},
		"ErrOtherBody": {secret, sig, []byte(`{"order_no":"B1-1-2"}`), false},
		"ErrOtherKey":  {"another", sig, body, false},
		"ErrNotHex":    {secret, "zz", body, false},
		"ErrEmpty":     {secret, "", body, false},
		"ErrNoSecret":  {"", payments.Sign("", body), body, false},
		"ErrTruncated": {secret, sig[:32], body, false},
	} {
		t.Run(name, func(t *testing.T) {
			if got := payments.Verify(c.secret, c.body, c.sig); got != c.want {
				t.Errorf("Verify = %v, want %v", got, c.want)
			}
		})
	}
	// The same HMAC as `openssl dgst -sha256 -hmac key`.
	if got, want := payments.Sign("key", []byte("The quick brown fox jumps over the lazy dog")),
		"f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}
