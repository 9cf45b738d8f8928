package paygw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/payments"
	"boxoffice/workers/paygw"
)

// gateway starts a paygw server; its notifier stops when the test ends.
func gateway(t *testing.T) (*httptest.Server, *payments.Gateway) {
	t.Helper()
	n := notifier(time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- n.Run(ctx) }()
	var h http.Handler // set before the first request: pay URLs need the server's URL
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	h = paygw.NewServer(srv.URL, secret, n, slog.New(slog.DiscardHandler)).Handler()
	t.Cleanup(func() { srv.Close(); cancel(); <-done })
	return srv, payments.NewGateway(srv.URL, secret, 5*time.Second)
}

// call sends a JSON request to the gateway and decodes the JSON answer.
func call(t *testing.T, method, url string, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func TestCreate(t *testing.T) {
	srv, gw := gateway(t)
	ctx := context.Background()
	p, err := gw.Create(ctx, "B1-1-1", 1500, "http://127.0.0.1:1/notify")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		if p.Status != payments.StatusPending || p.AmountCents != 1500 || p.OrderNo != "B1-1-1" ||
			p.PayURL != srv.URL+"/pay/"+p.ID || p.TxnID != "" {
			t.Errorf("got %+v, want a PENDING payment of 1500 with pay URL %s/pay/<id>", p, srv.URL)
		}
	})
	t.Run("IdempotentWhilePending", func(t *testing.T) {
		again, err := gw.Create(ctx, "B1-1-1", 1500, "http://127.0.0.1:1/notify")
		if err != nil || again.ID != p.ID {
			t.Errorf("got %+v, %v; want payment %s again", again, err, p.ID)
		}
	})
	t.Run("ErrOtherAmount", func(t *testing.T) {
		_, err := gw.Create(ctx, "B1-1-1", 1600, "http://127.0.0.1:1/notify")
		if boxoffice.ErrorCode(err) != boxoffice.ECONFLICT {
			t.Errorf("got %v, want conflict", err)
		}
	})
	t.Run("ErrBadSignature", func(t *testing.T) {
		body := `{"order_no":"B1-1-2","amount_cents":1,"notify_url":"http://x/n"}`
		for _, sig := range []string{"", "zz", payments.Sign("another-secret", []byte(body))} {
			req, _ := http.NewRequest("POST", srv.URL+"/api/payments", strings.NewReader(body))
			req.Header.Set(payments.SignatureHeader, sig)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var e map[string]string
			_ = json.NewDecoder(resp.Body).Decode(&e)
			resp.Body.Close()
			if resp.StatusCode != 401 || e["error"] != "unauthorized" || e["message"] == "" {
				t.Errorf("signature %q: got %d %v, want 401 unauthorized", sig, resp.StatusCode, e)
			}
		}
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		for _, body := range []string{`{"order_no":"","amount_cents":1,"notify_url":"http://x/n"}`,
			`{"order_no":"B1","amount_cents":0,"notify_url":"http://x/n"}`,
			`{"order_no":"B1","amount_cents":1,"notify_url":"/n"}`,
			`{"order_no":"B1","amount_cents":1,"notify_url":"http://x/n","extra":1}`,
			`{"order_no":"B1","amount_cents":1,"notify_url":"http://x/n","return_url":"javascript:alert(1)"}`} {
			req, _ := http.NewRequest("POST", srv.URL+"/api/payments", strings.NewReader(body))
			req.Header.Set(payments.SignatureHeader, payments.Sign(secret, []byte(body)))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 400 {
				t.Errorf("%s: got %d, want 400", body, resp.StatusCode)
			}
		}
	})
	t.Run("Status", func(t *testing.T) {
		got, err := gw.Status(ctx, "B1-1-1")
		if err != nil || got.ID != p.ID || got.Status != payments.StatusPending {
			t.Errorf("got %+v, %v; want payment %s PENDING", got, err, p.ID)
		}
		if _, err := gw.Status(ctx, "B9-9-9"); boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
			t.Errorf("status of an unknown order: got %v, want not_found", err)
		}
	})
	t.Run("Cancel", func(t *testing.T) {
		got, err := gw.Cancel(ctx, "B1-1-1")
		if err != nil || got.ID != p.ID || got.Status != payments.StatusFailed {
			t.Errorf("got %+v, %v; want payment %s FAILED", got, err, p.ID)
		}
		if _, err := gw.Cancel(ctx, "B9-9-9"); boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
			t.Errorf("cancel of an unknown order: got %v, want not_found", err)
		}
		bad := payments.NewGateway(srv.URL, "another-secret-another-secret-000", time.Second)
		if _, err := bad.Cancel(ctx, "B1-1-1"); err == nil {
			t.Error("a cancel signed with another secret was accepted")
		}
	})
}

// TestPayPageReturn: the pay page links back to the shop's return URL,
// escaped, and only when the merchant gave one.
func TestPayPageReturn(t *testing.T) {
	srv, gw := gateway(t)
	ctx := context.Background()
	page := func(p *payments.Payment) string {
		resp, err := http.Get(p.PayURL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return string(raw)
	}
	plain, err := gw.Create(ctx, "B3-1-1", 100, srv.URL+"/n")
	if err != nil {
		t.Fatal(err)
	}
	if html := page(plain); strings.Contains(html, `id="return"`) {
		t.Errorf("a payment without a return URL links back: %s", html)
	}
	gw.ReturnBase = "http://shop.example/orders/"
	back, err := gw.Create(ctx, "B3-1-2&x", 100, srv.URL+"/n")
	if err != nil {
		t.Fatal(err)
	}
	if html := page(back); !strings.Contains(html, `<a id="return" href="http://shop.example/orders/B3-1-2&amp;x">`) {
		t.Errorf("the pay page lacks the escaped link back: %s", html)
	}
}

func TestGatewayDown(t *testing.T) {
	gw := payments.NewGateway("http://127.0.0.1:1", secret, time.Second)
	if _, err := gw.Create(context.Background(), "B1-1-1", 1, "http://x/n"); boxoffice.ErrorCode(err) != boxoffice.EUNAVAILABLE {
		t.Errorf("got %v, want unavailable", err)
	}
}

func TestConfirm(t *testing.T) {
	srv, gw := gateway(t)
	ctx := context.Background()
	m := newMerchant(t, 0)
	t.Run("NotifiesSigned", func(t *testing.T) {
		p, _ := gw.Create(ctx, "B2-1-1", 2500, m.URL)
		code, body := call(t, "POST", srv.URL+"/api/payments/"+p.ID+"/confirm", "")
		if code != 200 || body["status"] != "SUCCEEDED" || body["txn_id"] == "" {
			t.Fatalf("confirm = %d %v, want 200 SUCCEEDED with a txn_id", code, body)
		}
		waitFor(t, "the notification", func() bool { b, _ := m.got(); return len(b) == 1 })
		bodies, _ := m.got()
		var n map[string]any
		_ = json.Unmarshal(bodies[0], &n)
		if n["payment_id"] != p.ID || n["txn_id"] != body["txn_id"] || n["order_no"] != "B2-1-1" ||
			n["amount_cents"] != 2500.0 || n["status"] != "SUCCEEDED" || n["paid_at"] == nil || m.badSig.Load() != 0 {
			t.Errorf("notification %s (bad signatures %d), want the payment's fields signed", bodies[0], m.badSig.Load())
		}
		again, _ := gw.Create(ctx, "B2-1-1", 2500, m.URL)
		if again != nil {
			t.Errorf("create after paid = %+v, want a conflict", again)
		}
		if code, _ := call(t, "POST", srv.URL+"/api/payments/"+p.ID+"/confirm", ""); code != 200 {
			t.Errorf("second confirm = %d, want 200", code)
		}
		time.Sleep(50 * time.Millisecond)
		if b, _ := m.got(); len(b) != 1 {
			t.Errorf("merchant got %d notifications after a second confirm, want 1", len(b))
		}
	})
	t.Run("Duplicates", func(t *testing.T) {
		setSwitches(t, srv.URL, `{"duplicates":2,"delay_ms":20}`)
		before, _ := m.got()
		p, _ := gw.Create(ctx, "B2-1-2", 100, m.URL)
		call(t, "POST", srv.URL+"/api/payments/"+p.ID+"/confirm", "")
		waitFor(t, "three notifications", func() bool { b, _ := m.got(); return len(b) == len(before)+3 })
	})
	t.Run("DeclineSwitch", func(t *testing.T) {
		setSwitches(t, srv.URL, `{"decline":true}`)
		p, _ := gw.Create(ctx, "B2-1-3", 100, m.URL)
		code, body := call(t, "POST", srv.URL+"/api/payments/"+p.ID+"/confirm", "")
		if code != 402 || body["error"] != "payment_declined" {
			t.Errorf("confirm = %d %v, want 402 payment_declined", code, body)
		}
		if got, _ := gw.Status(ctx, "B2-1-3"); got.Status != payments.StatusFailed {
			t.Errorf("status = %+v, want FAILED", got)
		}
		setSwitches(t, srv.URL, `{"decline":false}`)
		q, err := gw.Create(ctx, "B2-1-3", 100, m.URL)
		if err != nil || q.ID == p.ID || q.Status != payments.StatusPending {
			t.Errorf("create after a decline = %+v, %v; want a new PENDING payment", q, err)
		}
	})
	t.Run("Decline", func(t *testing.T) {
		p, _ := gw.Create(ctx, "B2-1-4", 100, m.URL)
		if code, body := call(t, "POST", srv.URL+"/api/payments/"+p.ID+"/decline", ""); code != 200 || body["status"] != "FAILED" {
			t.Errorf("decline = %d %v, want 200 FAILED", code, body)
		}
		if code, _ := call(t, "POST", srv.URL+"/api/payments/"+p.ID+"/confirm", ""); code != 409 {
			t.Errorf("confirm after decline = %d, want 409", code)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		if code, body := call(t, "POST", srv.URL+"/api/payments/nope/confirm", ""); code != 404 || body["error"] != "not_found" {
			t.Errorf("got %d %v, want 404 not_found", code, body)
		}
	})
}

func TestPayPage(t *testing.T) {
	srv, gw := gateway(t)
	m := newMerchant(t, 0)
	p, _ := gw.Create(context.Background(), "B3-1-1", 12345, m.URL)
	resp, err := http.Get(p.PayURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"B3-1-1", "123.45", `action="/pay/` + p.ID + `/confirm"`, `action="/pay/` + p.ID + `/decline"`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("pay page lacks %q:\n%s", want, page)
		}
	}
	resp, err = http.PostForm(srv.URL+"/pay/"+p.ID+"/confirm", nil) // follows the 303 to the page
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(page, []byte("SUCCEEDED")) {
		t.Errorf("after Pay: %d\n%s\nwant the page showing SUCCEEDED", resp.StatusCode, page)
	}
	waitFor(t, "the notification", func() bool { b, _ := m.got(); return len(b) == 1 })
}

func TestSwitches(t *testing.T) {
	srv, _ := gateway(t)
	if code, body := call(t, "GET", srv.URL+"/api/switches", ""); code != 200 || body["decline"] != false || body["duplicates"] != 0.0 {
		t.Errorf("GET = %d %v, want every switch off", code, body)
	}
	if code, body := call(t, "POST", srv.URL+"/api/switches", `{"duplicates":3}`); code != 200 || body["duplicates"] != 3.0 || body["delay_ms"] != 0.0 {
		t.Errorf("POST duplicates = %d %v, want duplicates 3, the rest unchanged", code, body)
	}
	for _, bad := range []string{`{"duplicates":-1}`, `{"delay_ms":"x"}`, `{"other":1}`} {
		if code, _ := call(t, "POST", srv.URL+"/api/switches", bad); code != 400 {
			t.Errorf("POST %s = %d, want 400", bad, code)
		}
	}
}

func setSwitches(t *testing.T, base, body string) {
	t.Helper()
	if code, got := call(t, "POST", base+"/api/switches", body); code != 200 {
		t.Fatalf("set switches %s = %d %v", body, code, got)
	}
}
