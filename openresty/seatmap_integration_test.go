//go:build integration

package openresty_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// monitor records the sale Redis's MONITOR lines until the test ends.
type monitor struct {
	mu    sync.Mutex
	lines []string
}

func startMonitor(t *testing.T) *monitor {
	t.Helper()
	cfg := testenv.Config(t)
	conn, err := net.DialTimeout("tcp", cfg.SaleRedisAddr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	oks := 1 // MONITOR's +OK, after AUTH's
	if cfg.SaleRedisPassword != "" {
		fmt.Fprintf(conn, "AUTH %s\r\n", cfg.SaleRedisPassword)
		oks++
	}
	fmt.Fprint(conn, "MONITOR\r\n")
	m := &monitor{}
	rd := bufio.NewReader(conn)
	started := make(chan error, 1)
	go func() {
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				started <- err
				return
			}
			if line == "+OK\r\n" {
				if oks--; oks == 0 {
					started <- nil
				}
			}
			m.mu.Lock()
			m.lines = append(m.lines, line)
			m.mu.Unlock()
		}
	}()
	if err := <-started; err != nil {
		t.Fatalf("MONITOR: %v", err)
	}
	return m
}

// saw reports whether a command naming s reached Redis.
func (m *monitor) saw(s string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, l := range m.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// A grab of seats all known taken is refused by the edge, naming them,
// without a call to the sale Redis; a seat that looks free still goes to
// the script, and a retry of a grab that succeeded is still replayed.
func TestEdgeRefusesKnownTakenSeats(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 4}, 6)
	owner := testenv.Edge(t).As(buyers[0].Token)
	taken, free := s.SeatIDs[0], s.SeatIDs[1]
	if r := owner.Grab(t, s.ID, "mine", taken); r.Status != 201 {
		t.Fatalf("grab = %d %s", r.Status, r.Body)
	}
	testenv.Eventually(t, testenv.Settle, "the edge's seat map showing the seat LOCKED", func() (bool, string) {
		m := testenv.SeatStates(t, s.ID)
		return m[taken] == "LOCKED", fmt.Sprint(m)
	})

	mon := startMonitor(t)
	refusedLocally := 0
	for n := 0; refusedLocally == 0; n++ {
		if n == 30 {
			t.Fatal("no grab of a known-taken seat was refused without Redis in 30 tries")
		}
		// The other buyers take turns, to stay under the per-buyer rate limit.
		b := buyers[1+n%(len(buyers)-1)]
		other := testenv.Edge(t).As(b.Token)
		idem := func(key string) string { return fmt.Sprintf("{s:%d}:idem:%d:%s", s.ID, b.ID, key) }
		key, control := fmt.Sprint("taken-", n), fmt.Sprint("control-", n)
		for _, g := range []struct {
			key   string
			seats []int64
		}{{key, []int64{taken}}, {control, []int64{taken, free}}} {
			r := other.Grab(t, s.ID, g.key, g.seats...)
			r.WantError(t, 409, "seat_unavailable")
			var named struct {
				SeatIDs []int64 `json:"seat_ids"`
			}
			if json.Unmarshal(r.Body, &named) != nil || len(named.SeatIDs) != 1 || named.SeatIDs[0] != taken {
				t.Fatalf("409 of %v = %s, want it to name [%d]", g.seats, r.Body, taken)
			}
		}
		// MONITOR shows commands in the order Redis ran them: once the
		// control grab (a seat that looks free) is seen, so would the other.
		testenv.Eventually(t, testenv.Settle, "the control grab in MONITOR", func() (bool, string) {
			return mon.saw(idem(control)), ""
		})
		if !mon.saw(idem(key)) {
			refusedLocally++
		}
	}

	if r := owner.Grab(t, s.ID, "mine", taken); r.Status != 201 {
		t.Errorf("retry of the grab that succeeded = %d %s, want its 201 replayed", r.Status, r.Body)
	}
}

// A seat released in the sale Redis is grabbable through the edge as soon
// as the edge's copy of the seat map (refreshed every
// BOXOFFICE_EDGE_SEATS_TTL) shows it free.
func TestReleasedSeatGrabbableThroughEdge(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 2}, 2)
	owner, other := testenv.Edge(t).As(buyers[0].Token), testenv.Edge(t).As(buyers[1].Token)
	seat := s.SeatIDs[0]
	r := owner.Grab(t, s.ID, "mine", seat)
	if r.Status != 201 {
		t.Fatalf("grab = %d %s", r.Status, r.Body)
	}
	testenv.Eventually(t, testenv.Settle, "the edge's seat map showing the seat LOCKED", func() (bool, string) {
		m := testenv.SeatStates(t, s.ID)
		return m[seat] == "LOCKED", fmt.Sprint(m)
	})
	other.Grab(t, s.ID, "before", seat).WantError(t, 409, "seat_unavailable")

	out, err := sale.Release(context.Background(), saleRedis(t), r.JSON["order_no"].(string),
		sale.ReleaseOpts{Reason: boxoffice.ReasonCancelled})
	if err != nil || out != sale.Released {
		t.Fatalf("release = %s, %v", out, err)
	}
	released := time.Now()
	testenv.WaitAvailable(t, s.ID, seat)
	if r := other.Grab(t, s.ID, "after", seat); r.Status != 201 {
		t.Fatalf("grab of the released seat = %d %s, want 201", r.Status, r.Body)
	}
	t.Logf("grabbable through the edge %s after the release", time.Since(released).Round(time.Millisecond))
}

// The seat map of a 100,000-seat session is a few tens of KB and its read
// never shows in the sale Redis's SLOWLOG at a 1 ms threshold.
func TestSeatMapOf100kSeatsIsCheap(t *testing.T) {
	ctx := context.Background()
	rdb := saleRedis(t)
	id := int64(1e12) + rand.Int64N(1e12) // no MySQL rows: the daemons never look at it
	k := sale.KeysFor(id)
	t.Cleanup(func() {
		keys, _ := rdb.Keys(ctx, fmt.Sprintf("{s:%d}:*", id)).Result()
		rdb.Del(ctx, keys...)
	})
	plan := &boxoffice.ArmPlan{Session: boxoffice.Session{ID: id, SeatLimit: 4, HoldSeconds: 600,
		SaleOpensAt: time.Now(), SaleClosesAt: time.Now().Add(time.Hour)}}
	for i := range 100_000 {
		plan.Seats = append(plan.Seats, boxoffice.PlanSeat{ID: 5_000_000 + int64(i), Tier: "A", Price: 100})
	}
	if _, err := sale.Arm(ctx, rdb, plan, 0.01); err != nil {
		t.Fatal(err)
	}
	rdb.SRem(ctx, sale.Sessions, id)

	was, err := rdb.ConfigGet(ctx, "slowlog-log-slower-than").Result()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.ConfigSet(ctx, "slowlog-log-slower-than", was["slowlog-log-slower-than"]) })
	if err := rdb.ConfigSet(ctx, "slowlog-log-slower-than", "1000").Err(); err != nil {
		t.Fatal(err)
	}
	var since int64 = -1 // the newest SLOWLOG entry before the reads
	if last, err := rdb.SlowLogGet(ctx, 1).Result(); err == nil && len(last) == 1 {
		since = last[0].ID
	}

	// Five reads of the map from Redis: five copies, each with its own time.
	path := fmt.Sprintf("/api/sale/sessions/%d/seats", id)
	copies := map[string]bool{}
	var body []byte
	testenv.Eventually(t, testenv.Settle, "five copies of the seat map", func() (bool, string) {
		r := testenv.Edge(t).Do(t, "GET", path, nil, nil)
		var m struct{ At string }
		if r.Status != 200 || json.Unmarshal(r.Body, &m) != nil {
			t.Fatalf("seats = %d %.200s", r.Status, r.Body)
		}
		copies[m.At], body = true, r.Body
		return len(copies) >= 5, fmt.Sprint(len(copies))
	})
	t.Logf("the seat map of 100,000 seats is %d bytes", len(body))
	if len(body) > 40_000 {
		t.Errorf("the seat map of 100,000 seats is %d bytes, want a few tens of KB", len(body))
	}
	states := testenv.SeatStates(t, id)
	if len(states) != 100_000 || states[5_000_000] != "AVAILABLE" || states[5_099_999] != "AVAILABLE" {
		t.Errorf("the seat map has %d seats, first %q, last %q", len(states), states[5_000_000], states[5_099_999])
	}

	slow, err := rdb.SlowLogGet(ctx, 128).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range slow {
		if e.ID > since && strings.Contains(strings.Join(e.Args, " "), k.Key(sale.KeyPacked)) {
			t.Errorf("SLOWLOG: %v took %s", e.Args, e.Duration)
		}
	}
}
