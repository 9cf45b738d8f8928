package paygw_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"boxoffice/internal/payments"
	"boxoffice/workers/paygw"
)

const secret = "test-secret-test-secret-test-secret!"

// merchant is an httptest merchant that refuses the first fails
// notifications (fails < 0: all of them) and records what it got.
type merchant struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	times  []time.Time
	badSig atomic.Int32
}

func newMerchant(t *testing.T, fails int) *merchant {
	t.Helper()
	m := &merchant{}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !payments.Verify(secret, body, r.Header.Get(payments.SignatureHeader)) {
			m.badSig.Add(1)
		}
		m.mu.Lock()
		m.bodies, m.times = append(m.bodies, body), append(m.times, time.Now())
		n := len(m.bodies)
		m.mu.Unlock()
		switch {
		case fails < 0 && n%2 == 0:
			w.WriteHeader(200) // 2xx without the success body is a refusal too
			_, _ = w.Write([]byte(`{"status":"fail"}`))
		case fails < 0 || n <= fails:
			http.Error(w, "down", http.StatusInternalServerError)
		default:
			_, _ = w.Write([]byte(`{"status":"success"}`))
		}
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *merchant) got() ([][]byte, []time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]byte(nil), m.bodies...), append([]time.Time(nil), m.times...)
}

func notifier(base time.Duration) *paygw.Notifier {
	return paygw.NewNotifier(secret, base, slog.New(slog.DiscardHandler), nil)
}

func TestDeliver(t *testing.T) {
	body := []byte(`{"order_no":"B1-1-1"}`)
	t.Run("FailsTwiceThenSucceeds", func(t *testing.T) {
		m := newMerchant(t, 2)
		tries, err := notifier(time.Millisecond).Deliver(context.Background(), m.URL, body)
		if tries != 3 || err != nil {
			t.Fatalf("got %d tries, %v; want 3 tries, nil", tries, err)
		}
		bodies, _ := m.got()
		if len(bodies) != 3 || m.badSig.Load() != 0 {
			t.Errorf("merchant got %d notifications, %d badly signed; want 3, 0", len(bodies), m.badSig.Load())
		}
		for _, b := range bodies {
			if string(b) != string(body) {
				t.Errorf("got body %s, want %s", b, body)
			}
		}
	})
	t.Run("NeverSucceeds", func(t *testing.T) {
		m := newMerchant(t, -1)
		base := 5 * time.Millisecond
		tries, err := notifier(base).Deliver(context.Background(), m.URL, body)
		if paygw.MaxAttempts != 8 || tries != 8 || err == nil {
			t.Fatalf("got %d tries, %v; want 8 tries and an error", tries, err)
		}
		_, times := m.got()
		if len(times) != 8 {
			t.Fatalf("merchant got %d notifications, want 8", len(times))
		}
		for i := 1; i < len(times); i++ {
			if gap, want := times[i].Sub(times[i-1]), base<<(i-1); gap < want {
				t.Errorf("gap before try %d = %v, want at least %v (doubling from %v)", i+1, gap, want, base)
			}
		}
	})
}

func TestNotifierShutdown(t *testing.T) {
	t.Run("AbandonsWaits", func(t *testing.T) {
		m := newMerchant(t, -1)
		n := notifier(time.Hour)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- n.Run(ctx) }()
		n.Send(m.URL, []byte(`{}`), 1, 0)
		waitFor(t, "the first try", func() bool { b, _ := m.got(); return len(b) == 1 })
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return within 5s of shutdown while a retry waited an hour")
		}
		n.Send(m.URL, []byte(`{}`), 1, 0) // after shutdown: dropped
		if b, _ := m.got(); len(b) != 1 {
			t.Errorf("merchant got %d notifications, want 1", len(b))
		}
	})
	t.Run("FinishesInFlight", func(t *testing.T) {
		arrived, release := make(chan struct{}, 1), make(chan struct{})
		var got atomic.Int32
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			arrived <- struct{}{}
			<-release
			got.Add(1)
			_, _ = w.Write([]byte(`{"status":"success"}`))
		}))
		t.Cleanup(slow.Close)
		n := notifier(time.Millisecond)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- n.Run(ctx) }()
		n.Send(slow.URL, []byte(`{}`), 1, 0)
		select {
		case <-arrived: // the attempt reached the merchant
		case <-time.After(20 * time.Second):
			t.Fatal("the attempt never reached the merchant")
		}
		cancel()
		select {
		case <-done:
			t.Fatal("Run returned while an attempt was in flight")
		case <-time.After(100 * time.Millisecond):
		}
		close(release)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return once the attempt finished")
		}
		if got.Load() != 1 {
			t.Errorf("merchant answered %d notifications, want 1", got.Load())
		}
	})
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("still waiting for %s after 5s", what)
}
