package payments

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"boxoffice/internal/boxoffice"
)

// Gateway is a client of the payment gateway (paygw in dev).
type Gateway struct {
	base   string
	secret string
	http   *http.Client
	// ReturnBase, if set, is where the gateway's pay page links the buyer
	// back to: ReturnBase followed by the order number.
	ReturnBase string
}

// NewGateway returns a client of the gateway at baseURL that signs its
// requests with secret; each call takes at most timeout.
func NewGateway(baseURL, secret string, timeout time.Duration) *Gateway {
	return &Gateway{base: strings.TrimRight(baseURL, "/"), secret: secret, http: &http.Client{Timeout: timeout}}
}

type createRequest struct {
	OrderNo     string `json:"order_no"`
	AmountCents int64  `json:"amount_cents,omitempty"`
	NotifyURL   string `json:"notify_url,omitempty"`
	ReturnURL   string `json:"return_url,omitempty"`
}

// Create starts (or returns the existing pending) payment of an order.
// The gateway will POST a signed notification to notifyURL once it is paid.
// Errors: EUNAVAILABLE when the gateway cannot be reached or fails,
// ECONFLICT when it refuses the order (e.g. already paid), EINVALID when it
// rejects the request.
func (g *Gateway) Create(ctx context.Context, orderNo string, amountCents int64, notifyURL string) (*Payment, error) {
	r := createRequest{OrderNo: orderNo, AmountCents: amountCents, NotifyURL: notifyURL}
	if g.ReturnBase != "" {
		r.ReturnURL = g.ReturnBase + url.PathEscape(orderNo)
	}
	return g.post(ctx, "/api/payments", r)
}

// Cancel closes an order's pending payment so it can no longer be paid,
// and returns the order's latest payment as it now is: StatusFailed, or
// StatusSucceeded if the buyer paid first. Errors: ENOTFOUND when the order
// has no payment, EUNAVAILABLE when the gateway cannot be reached or fails.
func (g *Gateway) Cancel(ctx context.Context, orderNo string) (*Payment, error) {
	return g.post(ctx, "/api/payments/cancel", createRequest{OrderNo: orderNo})
}

// post sends a signed JSON request and decodes the payment it answers.
func (g *Gateway) post(ctx context.Context, path string, r createRequest) (*Payment, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode payment request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("payment request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(g.secret, body))
	return g.do(req)
}

// Status returns the latest payment of an order at the gateway, or ENOTFOUND.
// Errors: EUNAVAILABLE when the gateway cannot be reached or fails.
func (g *Gateway) Status(ctx context.Context, orderNo string) (*Payment, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		g.base+"/api/payments?order_no="+url.QueryEscape(orderNo), nil)
	if err != nil {
		return nil, fmt.Errorf("payment status request: %w", err)
	}
	return g.do(req)
}

// do sends req and decodes a payment, mapping the gateway's errors to codes.
func (g *Gateway) do(req *http.Request) (*Payment, error) {
	resp, err := g.http.Do(req)
	if err != nil {
		return nil, boxoffice.Errorf(boxoffice.EUNAVAILABLE, "the payment gateway does not answer; try again shortly")
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, boxoffice.Errorf(boxoffice.EUNAVAILABLE, "the payment gateway's answer was cut off; try again shortly")
	}
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated {
		var p Payment
		if err := json.Unmarshal(raw, &p); err != nil || p.ID == "" {
			return nil, fmt.Errorf("payment gateway answered %d with %q", resp.StatusCode, raw)
		}
		return &p, nil
	}
	var e struct{ Error, Message string }
	_ = json.Unmarshal(raw, &e)
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "payment gateway: %s", e.Message)
	case resp.StatusCode == http.StatusConflict:
		return nil, boxoffice.Errorf(boxoffice.ECONFLICT, "payment gateway: %s", e.Message)
	case resp.StatusCode >= 500:
		return nil, boxoffice.Errorf(boxoffice.EUNAVAILABLE, "the payment gateway failed; try again shortly")
	}
	return nil, fmt.Errorf("payment gateway answered %d: %s", resp.StatusCode, raw)
}
