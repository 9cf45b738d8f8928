package notify_test

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"boxoffice/internal/auth"
	"boxoffice/internal/config"
	"boxoffice/workers/notify"
)

type fixture struct {
	hub  *notify.Hub
	keys *auth.Keys
	url  string
}

func newServer(t *testing.T, max int) *fixture {
	t.Helper()
	keys := auth.NewKeys(&config.Config{JWTKID: "k1", JWTSecret: strings.Repeat("s", 32), JWTTTL: time.Hour})
	hub, _ := newHub(t, max, 8)
	srv := &notify.Server{Hub: hub, Keys: keys, Log: slog.New(slog.DiscardHandler), Heartbeat: 50 * time.Millisecond}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hub.Close(); ts.Close() })
	return &fixture{hub: hub, keys: keys, url: ts.URL}
}

func (f *fixture) token(t *testing.T, uid int64, role string) string {
	t.Helper()
	tok, _, err := f.keys.Sign(uid, role, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func get(t *testing.T, url string, header http.Header) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// wantError checks a JSON error answer.
func wantError(t *testing.T, resp *http.Response, status int, code string) {
	t.Helper()
	var body map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &body)
	if resp.StatusCode != status || body["error"] != code || body["message"] == "" {
		t.Errorf("got %d %s, want %d with error %q", resp.StatusCode, raw, status, code)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
}

// lines reads the stream's lines into a channel, closed at its end.
func lines(resp *http.Response) <-chan string {
	out := make(chan string, 100)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			out <- sc.Text()
		}
	}()
	return out
}

// waitLine waits for a line with the prefix; it fails at the stream's end
// or after 5 s.
func waitLine(t *testing.T, in <-chan string, prefix string) string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case l, ok := <-in:
			if !ok {
				t.Fatalf("the stream ended before a line starting %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-deadline:
			t.Fatalf("no line starting %q within 5 s", prefix)
		}
	}
}

// waitSubscribers waits until the hub has n streams.
func waitSubscribers(t *testing.T, h *notify.Hub, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); h.Len() != n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("hub has %d streams, want %d", h.Len(), n)
		}
	}
}

func TestSessionStream(t *testing.T) {
	f := newServer(t, 10)
	resp := get(t, f.url+"/api/sale/sessions/7/events", nil)
	for k, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"} {
		if got := resp.Header.Get(k); resp.StatusCode != 200 || got != want {
			t.Errorf("%d %s = %q, want 200 with %q", resp.StatusCode, k, got, want)
		}
	}
	in := lines(resp)
	t.Run("Event", func(t *testing.T) {
		f.hub.Publish(held(7, 42, "B7-1-1"))
		if l := waitLine(t, in, "id: "); l != "id: B7-1-1:created" {
			t.Errorf("got %q, want the event's id", l)
		}
		if l := waitLine(t, in, "event: "); l != "event: seats" {
			t.Errorf("got %q, want event: seats", l)
		}
		if l := waitLine(t, in, "data: "); !strings.Contains(l, `"101":"LOCKED"`) {
			t.Errorf("got %q, want seat 101 LOCKED", l)
		}
	})
	t.Run("Heartbeat", func(t *testing.T) {
		waitLine(t, in, ": ping")
	})
	t.Run("ClosedOnShutdown", func(t *testing.T) {
		f.hub.Close()
		deadline := time.After(5 * time.Second)
		for open := true; open; {
			select {
			case _, open = <-in:
			case <-deadline:
				t.Fatal("the stream is still open 5 s after the hub closed")
			}
		}
	})
}

func TestMyStream(t *testing.T) {
	f := newServer(t, 10)
	t.Run("OK", func(t *testing.T) {
		resp := get(t, f.url+"/api/me/events", http.Header{"Authorization": {"Bearer " + f.token(t, 42, auth.RoleUser)}})
		in := lines(resp)
		waitSubscribers(t, f.hub, 1)
		f.hub.Publish(held(7, 43, "B7-1-2")) // another buyer's
		f.hub.Publish(held(7, 42, "B7-1-3"))
		if l := waitLine(t, in, "data: "); !strings.Contains(l, `"order_no":"B7-1-3","status":"LOCKED"`) {
			t.Errorf("got %q, want B7-1-3 LOCKED first", l)
		}
	})
	t.Run("AccessToken", func(t *testing.T) {
		resp := get(t, f.url+"/api/me/events?access_token="+f.token(t, 42, auth.RoleUser), nil)
		if resp.StatusCode != 200 {
			t.Errorf("got %d, want 200", resp.StatusCode)
		}
	})
	t.Run("Cookie", func(t *testing.T) {
		resp := get(t, f.url+"/api/me/events", http.Header{"Cookie": {notify.TokenCookie + "=" + f.token(t, 42, auth.RoleUser)}})
		if resp.StatusCode != 200 {
			t.Errorf("got %d, want 200", resp.StatusCode)
		}
		wantError(t, get(t, f.url+"/api/me/events", http.Header{"Cookie": {notify.TokenCookie + "=nonsense"}}), 401, "unauthorized")
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		wantError(t, get(t, f.url+"/api/me/events", nil), 401, "unauthorized")
	})
	t.Run("ErrBadToken", func(t *testing.T) {
		wantError(t, get(t, f.url+"/api/me/events?access_token=nonsense", nil), 401, "unauthorized")
		wantError(t, get(t, f.url+"/api/me/events", http.Header{"Authorization": {"Basic eDp5"}}), 401, "unauthorized")
	})
	t.Run("ErrAdmin", func(t *testing.T) {
		wantError(t, get(t, f.url+"/api/me/events?access_token="+f.token(t, 1, auth.RoleAdmin), nil), 403, "forbidden")
	})
}

func TestStreamErrors(t *testing.T) {
	f := newServer(t, 1)
	t.Run("ErrBadSession", func(t *testing.T) {
		wantError(t, get(t, f.url+"/api/sale/sessions/0/events", nil), 400, "bad_request")
	})
	t.Run("ErrMethod", func(t *testing.T) {
		resp, err := http.Post(f.url+"/api/me/events", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		wantError(t, resp, 405, "method_not_allowed")
	})
	t.Run("ErrFull", func(t *testing.T) {
		get(t, f.url+"/api/sale/sessions/7/events", nil)
		waitSubscribers(t, f.hub, 1)
		resp := get(t, f.url+"/api/sale/sessions/8/events", nil)
		wantError(t, resp, 503, "unavailable")
		if resp.Header.Get("Retry-After") == "" {
			t.Error("503 without Retry-After")
		}
	})
}
