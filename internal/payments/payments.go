// Package payments is the merchant's side of the payment gateway: a client
// of the gateway (paygw in dev), the HMAC signature both sides put on their
// requests, and the settlement of a successful payment, shared by the api's
// notify endpoint and the timeouts daemon.
package payments

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Payment statuses at the gateway.
const (
	StatusPending   = "PENDING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
)

// SignatureHeader carries the hex HMAC-SHA256 of a request body, keyed with
// BOXOFFICE_PAY_SECRET, on requests between the merchant and the gateway.
const SignatureHeader = "X-Boxoffice-Signature"

// Payment is one payment of an order at the gateway, as its status API
// and its notifications describe it.
type Payment struct {
	ID          string    `json:"payment_id"`
	OrderNo     string    `json:"order_no"`
	TxnID       string    `json:"txn_id,omitempty"` // the gateway's transaction id, set once it succeeded
	Status      string    `json:"status"`           // StatusPending, StatusSucceeded or StatusFailed
	AmountCents int64     `json:"amount_cents"`
	PayURL      string    `json:"pay_url,omitempty"`
	PaidAt      time.Time `json:"paid_at,omitzero"`
}

// Sign returns the hex HMAC-SHA256 of body keyed with secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether sig is the signature of body, comparing in
// constant time. Nothing verifies with an empty secret.
func Verify(secret string, body []byte, sig string) bool {
	got, err := hex.DecodeString(sig)
	if err != nil || secret == "" {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}
