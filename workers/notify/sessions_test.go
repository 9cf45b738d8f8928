package notify_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"boxoffice/workers/notify"
)

// lookups is a session lookup where only session 7 exists and session 13
// cannot be looked up; it counts its calls.
type lookups struct{ n atomic.Int64 }

func (l *lookups) lookup(_ context.Context, id int64) (bool, error) {
	l.n.Add(1)
	if id == 13 {
		return false, errors.New("database down")
	}
	return id == 7, nil
}

func TestSessionsRemember(t *testing.T) {
	var l lookups
	// Long enough that the first calls all fall within it on a busy machine.
	s := &notify.Sessions{Lookup: l.lookup, MissingTTL: time.Second}
	ctx := context.Background()
	for range 3 {
		if ok, err := s.Exists(ctx, 7); !ok || err != nil {
			t.Fatalf("Exists(7) = %v, %v; want true", ok, err)
		}
		if ok, err := s.Exists(ctx, 8); ok || err != nil {
			t.Fatalf("Exists(8) = %v, %v; want false", ok, err)
		}
	}
	if got := l.n.Load(); got != 2 {
		t.Errorf("%d lookups for 2 sessions asked 3 times, want 2", got)
	}
	deadline := time.Now().Add(20 * time.Second)
	for l.n.Load() == 2 && time.Now().Before(deadline) {
		_, _ = s.Exists(ctx, 8) // looked up again once the TTL passed
		time.Sleep(10 * time.Millisecond)
	}
	if got := l.n.Load(); got != 3 {
		t.Errorf("%d lookups after the missing TTL, want 3", got)
	}
	for range 2 {
		if _, err := s.Exists(ctx, 13); err == nil {
			t.Error("Exists(13) = nil error, want the lookup's")
		}
	}
	if got := l.n.Load(); got != 5 {
		t.Errorf("%d lookups, want a failed lookup not remembered (5)", got)
	}
}

func TestStreamUnknownSession(t *testing.T) {
	f := newServer(t, 4)
	var l lookups
	srv := &notify.Server{Hub: f.hub, Keys: f.keys, Log: slog.New(slog.DiscardHandler), Sessions: &notify.Sessions{Lookup: l.lookup}}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	wantError(t, get(t, ts.URL+"/api/sale/sessions/999999999/events", nil), 404, "not_found")
	wantError(t, get(t, ts.URL+"/api/sale/sessions/13/events", nil), 503, "unavailable")
	if resp := get(t, ts.URL+"/api/sale/sessions/7/events", nil); resp.StatusCode != 200 {
		t.Errorf("stream of session 7 = %d, want 200", resp.StatusCode)
	}
}
