package notify_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"boxoffice/internal/boxoffice"
	"boxoffice/workers/notify"
)

func newHub(t *testing.T, max, buffer int) (*notify.Hub, *notify.Metrics) {
	t.Helper()
	m := notify.NewMetrics(prometheus.NewRegistry())
	return notify.NewHub(max, buffer, m), m
}

func mustSubscribe(t *testing.T, h *notify.Hub, kind string, id int64) *notify.Sub {
	t.Helper()
	s, err := h.Subscribe(kind, id)
	if err != nil {
		t.Fatalf("Subscribe(%s, %d): %v", kind, id, err)
	}
	t.Cleanup(func() { h.Unsubscribe(s) })
	return s
}

func held(sid, uid int64, no string) boxoffice.SaleEvent {
	return boxoffice.SaleEvent{ID: no + ":created", Type: boxoffice.EventHoldCreated, SessionID: sid, OrderNo: no,
		UserID: uid, SeatIDs: []int64{101, 102}, At: 1_782_905_400_123}
}

// frames returns what is queued for s without waiting.
func frames(s *notify.Sub) []string {
	var out []string
	for {
		select {
		case f := <-s.Frames():
			out = append(out, string(f))
		default:
			return out
		}
	}
}

// value reads a counter or gauge.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	if out.Counter != nil {
		return out.Counter.GetValue()
	}
	return out.Gauge.GetValue()
}

func ended(s *notify.Sub) bool {
	select {
	case <-s.Done():
		return true
	default:
		return false
	}
}

func TestHubRoutes(t *testing.T) {
	h, _ := newHub(t, 10, 8)
	s1, s2 := mustSubscribe(t, h, notify.StreamSession, 1), mustSubscribe(t, h, notify.StreamSession, 2)
	u7, u8 := mustSubscribe(t, h, notify.StreamUser, 7), mustSubscribe(t, h, notify.StreamUser, 8)
	h.Publish(held(1, 7, "B1-1-1"))
	t.Run("BySession", func(t *testing.T) {
		if got := frames(s1); len(got) != 1 || !strings.Contains(got[0], "event: seats\n") {
			t.Errorf("session 1 got %q, want one seats event", got)
		}
		if got := frames(s2); len(got) != 0 {
			t.Errorf("session 2 got %q, want nothing", got)
		}
	})
	t.Run("ByUser", func(t *testing.T) {
		if got := frames(u7); len(got) != 1 || !strings.Contains(got[0], "event: order\n") {
			t.Errorf("user 7 got %q, want one order event", got)
		}
		if got := frames(u8); len(got) != 0 {
			t.Errorf("user 8 got %q, want nothing", got)
		}
	})
}

func TestHubSlowSubscriberDropped(t *testing.T) {
	h, m := newHub(t, 10, 2)
	slow, fast := mustSubscribe(t, h, notify.StreamSession, 1), mustSubscribe(t, h, notify.StreamSession, 1)
	var got []string
	for i := range 5 {
		h.Publish(held(1, 7, "B1-1-"+string(rune('0'+i))))
		got = append(got, frames(fast)...)
	}
	if !ended(slow) {
		t.Error("the slow subscriber's stream was not ended")
	}
	if ended(fast) {
		t.Error("the fast subscriber's stream was ended")
	}
	if len(got) != 5 {
		t.Errorf("the fast subscriber got %d events, want 5", len(got))
	}
	if n := value(t, m.Dropped.WithLabelValues(notify.StreamSession)); n != 1 {
		t.Errorf("dropped = %v, want 1", n)
	}
	if n := value(t, m.FannedOut.WithLabelValues(notify.StreamSession)); n != 7 {
		t.Errorf("fanned out = %v, want 7 (5 fast + 2 slow)", n)
	}
}

// Publish never waits, however many subscribers stop reading.
func TestHubPublishNeverBlocks(t *testing.T) {
	h, _ := newHub(t, 1000, 1)
	for range 1000 {
		mustSubscribe(t, h, notify.StreamUser, 7)
	}
	done := make(chan struct{})
	go func() {
		for i := range 100 {
			h.Publish(held(1, 7, "B1-2-"+string(rune('0'+i%10))))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on subscribers that do not read")
	}
}

func TestHubLimit(t *testing.T) {
	h, m := newHub(t, 2, 8)
	a := mustSubscribe(t, h, notify.StreamSession, 1)
	mustSubscribe(t, h, notify.StreamUser, 7)
	t.Run("ErrFull", func(t *testing.T) {
		if _, err := h.Subscribe(notify.StreamSession, 1); !errors.Is(err, notify.ErrFull) {
			t.Errorf("third Subscribe = %v, want ErrFull", err)
		}
		if n := value(t, m.Rejected); n != 1 {
			t.Errorf("rejected = %v, want 1", n)
		}
	})
	t.Run("FreedByUnsubscribe", func(t *testing.T) {
		h.Unsubscribe(a)
		h.Unsubscribe(a) // twice is harmless
		if h.Len() != 1 {
			t.Errorf("Len = %d, want 1", h.Len())
		}
		mustSubscribe(t, h, notify.StreamSession, 1)
		if n := value(t, m.Subscribers.WithLabelValues(notify.StreamSession)); n != 1 {
			t.Errorf("session subscribers = %v, want 1", n)
		}
	})
}

func TestHubClose(t *testing.T) {
	h, _ := newHub(t, 10, 8)
	s := mustSubscribe(t, h, notify.StreamSession, 1)
	h.Close()
	if !ended(s) {
		t.Error("Close did not end an open stream")
	}
	if _, err := h.Subscribe(notify.StreamSession, 1); !errors.Is(err, notify.ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
}
