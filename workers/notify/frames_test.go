package notify_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"boxoffice/internal/boxoffice"
	"boxoffice/workers/notify"
)

// sse is one parsed SSE event.
type sse struct {
	ID, Event string
	Data      map[string]any
}

// set reads one line of a frame ("id: ...", "event: ..." or "data: ...")
// into e.
func (e *sse) set(line string) error {
	k, v, _ := strings.Cut(line, ": ")
	switch k {
	case "id":
		e.ID = v
	case "event":
		e.Event = v
	case "data":
		if err := json.Unmarshal([]byte(v), &e.Data); err != nil {
			return fmt.Errorf("data %q: %v", v, err)
		}
	default:
		return fmt.Errorf("unexpected line %q", line)
	}
	return nil
}

// parseFrame parses one frame as the hub queues it.
func parseFrame(t *testing.T, f string) sse {
	t.Helper()
	if !strings.HasSuffix(f, "\n\n") {
		t.Fatalf("frame %q does not end with a blank line", f)
	}
	var e sse
	for _, line := range strings.Split(strings.TrimSuffix(f, "\n\n"), "\n") {
		if err := e.set(line); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// publishOne publishes e and returns what the session and user streams got.
func publishOne(t *testing.T, e boxoffice.SaleEvent) (seats, order sse) {
	t.Helper()
	h, _ := newHub(t, 10, 8)
	s, u := mustSubscribe(t, h, notify.StreamSession, e.SessionID), mustSubscribe(t, h, notify.StreamUser, e.UserID)
	h.Publish(e)
	sf, uf := frames(s), frames(u)
	if len(sf) != 1 || len(uf) != 1 {
		t.Fatalf("got %d seats and %d order frames, want 1 and 1", len(sf), len(uf))
	}
	return parseFrame(t, sf[0]), parseFrame(t, uf[0])
}

func TestFrames(t *testing.T) {
	base := held(7, 42, "B7-1782905400123-1")
	for _, tc := range []struct {
		name, typ, reason, seat, status string
	}{
		{"Created", boxoffice.EventHoldCreated, "", "LOCKED", "LOCKED"},
		{"Cancelled", boxoffice.EventHoldReleased, "cancelled", "AVAILABLE", "CANCELLED"},
		{"TimedOut", boxoffice.EventHoldReleased, "timeout", "AVAILABLE", "TIMEOUT_CANCELLED"},
		{"Sold", boxoffice.EventHoldSold, "", "SOLD", "PAID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := base
			e.Type, e.Reason, e.ID = tc.typ, tc.reason, base.OrderNo+":"+tc.name
			seats, order := publishOne(t, e)
			if seats.ID != e.ID || seats.Event != "seats" || order.ID != e.ID || order.Event != "order" {
				t.Errorf("ids/events = %q %q, %q %q; want %q seats, %q order", seats.ID, seats.Event, order.ID, order.Event, e.ID, e.ID)
			}
			wantSeats := map[string]any{"101": tc.seat, "102": tc.seat}
			if got, _ := json.Marshal(seats.Data["seats"]); string(got) != mustJSON(t, wantSeats) {
				t.Errorf("seats = %s, want %s", got, mustJSON(t, wantSeats))
			}
			if seats.Data["session_id"] != 7.0 || seats.Data["order_no"] != e.OrderNo {
				t.Errorf("seats data = %v, want session_id 7 and order_no %s", seats.Data, e.OrderNo)
			}
			if order.Data["status"] != tc.status || order.Data["order_no"] != e.OrderNo {
				t.Errorf("order data = %v, want status %s", order.Data, tc.status)
			}
			if r, has := order.Data["reason"]; (tc.reason == "") == has || (has && r != tc.reason) {
				t.Errorf("order reason = %v (present %v), want %q", r, has, tc.reason)
			}
			if at := "2026-07-01T11:30:00.123Z"; seats.Data["at"] != at || order.Data["at"] != at {
				t.Errorf("at = %v, %v; want %s", seats.Data["at"], order.Data["at"], at)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
