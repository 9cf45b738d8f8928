package testenv

import (
	"net/http"
	"testing"
	"time"
)

// Paygw returns a client for the test stack's mock payment gateway.
func Paygw(tb testing.TB) *Client {
	tb.Helper()
	return &Client{Base: Config(tb).PaygwURL, HTTP: &http.Client{Timeout: 10 * time.Second}}
}

// ConfirmPayment pays a payment at the gateway as the buyer would (its
// API, not the pay page) and fails the test unless it succeeded.
func ConfirmPayment(tb testing.TB, paymentID string) *Response {
	tb.Helper()
	r := Paygw(tb).Do(tb, "POST", "/api/payments/"+paymentID+"/confirm", nil, nil)
	if r.Status != http.StatusOK || r.JSON["status"] != "SUCCEEDED" {
		tb.Fatalf("confirm payment %s = %d %s, want 200 SUCCEEDED", paymentID, r.Status, r.Body)
	}
	return r
}

// PaygwSwitches sets the gateway's switches (decline, duplicates,
// delay_ms) and turns them all off when the test ends. They are
// process-wide: a test that sets them must not run in parallel with
// others that pay.
func PaygwSwitches(tb testing.TB, switches map[string]any) {
	tb.Helper()
	c := Paygw(tb)
	if r := c.Do(tb, "POST", "/api/switches", switches, nil); r.Status != http.StatusOK {
		tb.Fatalf("set paygw switches %v = %d %s", switches, r.Status, r.Body)
	}
	tb.Cleanup(func() {
		off := map[string]any{"decline": false, "duplicates": 0, "delay_ms": 0}
		if r := c.Do(tb, "POST", "/api/switches", off, nil); r.Status != http.StatusOK {
			tb.Errorf("reset paygw switches = %d %s", r.Status, r.Body)
		}
	})
}
