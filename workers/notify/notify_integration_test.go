//go:build integration

package notify_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"boxoffice/internal/testenv"
)

// within is how long a test waits for one event.
const within = 10 * time.Second

// liveStream is an SSE stream read through the edge.
type liveStream struct {
	events chan sse
	mu     sync.Mutex
	all    []sse
}

// subscribe opens path on the edge as an SSE stream; it is closed when the
// test ends.
func subscribe(t *testing.T, path string, header http.Header) *liveStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+testenv.Config(t).EdgeAddr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("GET %s = %d %q %s, want 200 text/event-stream", path, resp.StatusCode, ct, b)
	}
	s := &liveStream{events: make(chan sse, 100)}
	go s.read(resp.Body)
	return s
}

// read parses the stream into events until it ends.
func (s *liveStream) read(body io.ReadCloser) {
	defer body.Close()
	defer close(s.events)
	sc := bufio.NewScanner(body)
	var e sse
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			_ = e.set(line) // "retry" and ": ping" are not events
			continue
		}
		if e.Event != "" {
			s.mu.Lock()
			s.all = append(s.all, e)
			s.mu.Unlock()
			s.events <- e
		}
		e = sse{}
	}
}

// next waits for an event of the kind that match accepts.
func (s *liveStream) next(t *testing.T, event string, match func(map[string]any) bool) sse {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case e, ok := <-s.events:
			if !ok {
				t.Fatalf("the stream ended while waiting for a %s event", event)
			}
			if e.Event == event && match(e.Data) {
				return e
			}
		case <-deadline:
			t.Fatalf("no matching %s event within %s", event, within)
		}
	}
}

// received returns every event the stream has delivered so far.
func (s *liveStream) received() []sse {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sse(nil), s.all...)
}

func orderIs(no, status string) func(map[string]any) bool {
	return func(d map[string]any) bool { return d["order_no"] == no && d["status"] == status }
}

func grab(t *testing.T, sid int64, token string, seat int64) string {
	t.Helper()
	r := testenv.Edge(t).As(token).Grab(t, sid, testenv.Unique(), seat)
	if r.Status != http.StatusCreated {
		t.Fatalf("grab seat %d = %d %s, want 201", seat, r.Status, r.Body)
	}
	no, _ := r.JSON["order_no"].(string)
	return no
}

func TestLiveUpdates(t *testing.T) {
	sess, buyers := testenv.OnSale(t, testenv.SessionSpec{}, 2)
	a, b := buyers[0], buyers[1]
	seats := subscribe(t, fmt.Sprintf("/api/sale/sessions/%d/events", sess.ID), nil)
	mine := subscribe(t, "/api/me/events", http.Header{"Authorization": {"Bearer " + a.Token}})
	theirs := subscribe(t, "/api/me/events?access_token="+url.QueryEscape(b.Token), nil)
	seat := sess.SeatIDs[0]
	no := grab(t, sess.ID, a.Token, seat)

	seatIs := func(state string) func(map[string]any) bool {
		return func(d map[string]any) bool {
			m, _ := d["seats"].(map[string]any)
			return d["order_no"] == no && m[strconv.FormatInt(seat, 10)] == state
		}
	}
	t.Run("SeatLocked", func(t *testing.T) {
		e := seats.next(t, "seats", seatIs("LOCKED"))
		if e.ID != no+":created" || e.Data["session_id"] != float64(sess.ID) {
			t.Errorf("got id %q data %v, want id %s:created and session_id %d", e.ID, e.Data, no, sess.ID)
		}
	})
	t.Run("OrderLocked", func(t *testing.T) {
		mine.next(t, "order", orderIs(no, "LOCKED"))
	})
	if r := testenv.Edge(t).As(a.Token).Do(t, "POST", "/api/orders/"+no+"/cancel", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("cancel %s = %d %s, want 200", no, r.Status, r.Body)
	}
	t.Run("OrderCancelled", func(t *testing.T) {
		if e := mine.next(t, "order", orderIs(no, "CANCELLED")); e.Data["reason"] != "cancelled" {
			t.Errorf("reason = %v, want cancelled", e.Data["reason"])
		}
	})
	t.Run("SeatAvailable", func(t *testing.T) {
		seats.next(t, "seats", seatIs("AVAILABLE"))
	})
	t.Run("OnlyTheBuyersOwn", func(t *testing.T) {
		// b's own event comes after a's two: had a's reached b, they would be here.
		theirNo := grab(t, sess.ID, b.Token, sess.SeatIDs[1])
		theirs.next(t, "order", orderIs(theirNo, "LOCKED"))
		for _, e := range theirs.received() {
			if e.Data["order_no"] != theirNo {
				t.Errorf("buyer b received %s %v, not theirs", e.Event, e.Data)
			}
		}
	})
}

func TestMyEventsErrUnauthorized(t *testing.T) {
	edge := testenv.Edge(t)
	t.Run("NoToken", func(t *testing.T) {
		edge.Do(t, "GET", "/api/me/events", nil, nil).WantError(t, 401, "unauthorized")
	})
	t.Run("BadToken", func(t *testing.T) {
		edge.Do(t, "GET", "/api/me/events?access_token=not.a.jwt", nil, nil).WantError(t, 401, "unauthorized")
	})
}

// With notify stopped the sale goes on, and the streams answer 503 JSON
// from the edge.
func TestNotifyDown(t *testing.T) {
	sess, buyers := testenv.OnSale(t, testenv.SessionSpec{}, 1)
	t.Cleanup(func() {
		if out, err := testenv.Run(t, "dev", "up"); err != nil {
			t.Errorf("dev up: %v\n%s", err, out)
		}
	})
	if out, err := testenv.Run(t, "dev", "stop", "notify"); err != nil {
		t.Fatalf("dev stop notify: %v\n%s", err, out)
	}
	edge := testenv.Edge(t)
	t.Run("GrabOK", func(t *testing.T) {
		grab(t, sess.ID, buyers[0].Token, sess.SeatIDs[0])
	})
	t.Run("SessionEventsUnavailable", func(t *testing.T) {
		edge.Do(t, "GET", fmt.Sprintf("/api/sale/sessions/%d/events", sess.ID), nil, nil).WantError(t, 503, "unavailable")
	})
	t.Run("MyEventsUnavailable", func(t *testing.T) {
		edge.As(buyers[0].Token).Do(t, "GET", "/api/me/events", nil, nil).WantError(t, 503, "unavailable")
	})
}
