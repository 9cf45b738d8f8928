package testenv

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"boxoffice/internal/sale"
)

// OnSale creates a session from spec whose sale is open now, reserves it
// for n new buyers, and arms and opens it through the admin API.
func OnSale(tb testing.TB, spec SessionSpec, n int) (*Session, []Buyer) {
	tb.Helper()
	s := NewSession(tb, DB(tb), SellingNow(spec))
	return s, Open(tb, s, n)
}

// SellingNow is spec with its reservations over and its sale open now,
// unless spec says when the sale opens.
func SellingNow(spec SessionSpec) SessionSpec {
	if spec.SaleOpen.IsZero() {
		now := time.Now()
		spec.ReserveOpen, spec.ReserveEnd, spec.SaleOpen = now.Add(-time.Hour), now.Add(-time.Minute), now.Add(-time.Minute)
	}
	return spec
}

// Open reserves session s for n new buyers, and arms and opens it through
// the admin API; it returns the buyers.
func Open(tb testing.TB, s *Session, n int) []Buyer {
	tb.Helper()
	db := DB(tb)
	buyers := NewBuyers(tb, db, n)
	Reserve(tb, db, s.ID, buyers)
	admin := Admin(tb)
	for _, verb := range []string{"arm", "open"} {
		if r := admin.Do(tb, "POST", fmt.Sprintf("/admin/api/sessions/%d/%s", s.ID, verb), nil, nil); r.Status != 200 {
			tb.Fatalf("%s session %d = %d %s", verb, s.ID, r.Status, r.Body)
		}
	}
	return buyers
}

// Grab sends a hold request for seats as the buyer with an idempotency key.
func (c *Client) Grab(tb testing.TB, sid int64, key string, seats ...int64) *Response {
	tb.Helper()
	ids := make([]string, len(seats))
	for i, s := range seats {
		ids[i] = fmt.Sprint(s)
	}
	body := []byte(`{"seat_ids":[` + strings.Join(ids, ",") + `]}`)
	return c.Do(tb, "POST", fmt.Sprintf("/api/sale/sessions/%d/holds", sid), body, http.Header{"Idempotency-Key": {key}})
}

// As returns a copy of the client that sends token.
func (c *Client) As(token string) *Client {
	cp := *c
	cp.Token = token
	return &cp
}

// packedNames are the seat states of the packed seat map's codes.
var packedNames = [4]string{"AVAILABLE", "LOCKED", "SOLD", "OUT"}

// SeatStates reads the live seat map of session sid from the edge
// (GET /api/sale/sessions/{sid}/seats) into seat id → AVAILABLE, LOCKED,
// SOLD or OUT (kept out of sale). It fails the test unless it is a 200.
func SeatStates(tb testing.TB, sid int64) map[int64]string {
	tb.Helper()
	m, _ := Edge(tb).SeatMap(tb, sid)
	return m
}

// SeatMap is SeatStates from the edge node c talks to, with the time the
// node's read of its copy began.
func (c *Client) SeatMap(tb testing.TB, sid int64) (map[int64]string, time.Time) {
	tb.Helper()
	r := c.Do(tb, "GET", fmt.Sprintf("/api/sale/sessions/%d/seats", sid), nil, nil)
	if r.Status != 200 {
		tb.Fatalf("seats of session %d = %d %s", sid, r.Status, r.Body)
	}
	var m struct {
		At     time.Time  `json:"at"`
		Order  [][2]int64 `json:"order"`
		States []byte     `json:"states"` // base64
	}
	if err := json.Unmarshal(r.Body, &m); err != nil {
		tb.Fatalf("seats of session %d: %v in %s", sid, err, r.Body)
	}
	out := map[int64]string{}
	i := 0
	for _, run := range m.Order {
		for id := run[0]; id < run[0]+run[1]; id++ {
			out[id] = packedNames[sale.PackedAt(m.States, i)]
			i++
		}
	}
	return out, m.At
}

// WaitAvailable waits until the edge's seat map, read again after the
// call, shows seats AVAILABLE: the edge refuses seats its copy shows
// taken, or that its workers have since learned are taken, until that
// copy's next read.
func WaitAvailable(tb testing.TB, sid int64, seats ...int64) {
	tb.Helper()
	since := time.Now()
	Eventually(tb, Settle, fmt.Sprintf("the edge's seat map, read after %s, showing %v AVAILABLE", since.Format(time.StampMilli), seats), func() (bool, string) {
		m, at := Edge(tb).SeatMap(tb, sid)
		if at.Before(since) {
			return false, "read at " + at.Format(time.StampMilli)
		}
		for _, s := range seats {
			if m[s] != "AVAILABLE" {
				return false, fmt.Sprint(m)
			}
		}
		return true, ""
	})
}

// RetryBusy sends a request again, as a buyer would, while the edge answers
// 503 (it sheds load when the sale Redis is slow, as on a busy machine), for
// up to Settle; it returns the last answer. A grab tried again keeps its
// Idempotency-Key, so it never makes a second hold.
func RetryBusy(do func() *Response) *Response {
	r := do()
	for deadline := time.Now().Add(Settle); r.Status == http.StatusServiceUnavailable && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		r = do()
	}
	return r
}
