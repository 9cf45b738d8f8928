//go:build integration

package timeouts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/kafka"
	"boxoffice/internal/payments"
	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
	"boxoffice/workers/timeouts"
)

// fixture is a session on sale with buyers, and the stores to check.
type fixture struct {
	sess   *testenv.Session
	buyers []testenv.Buyer
	edge   *testenv.Client
	rdb    goredis.UniversalClient
	db     *sqlx.DB
}

func newFixture(t *testing.T, spec testenv.SessionSpec, buyers int) *fixture {
	t.Helper()
	s, b := testenv.OnSale(t, spec, buyers)
	return &fixture{sess: s, buyers: b, edge: testenv.Edge(t), rdb: saleRedis(t), db: testenv.DB(t)}
}

func saleRedis(t *testing.T) goredis.UniversalClient {
	t.Helper()
	rdb := redis.NewSale(testenv.Config(t))
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// grab holds seats for buyer i through the edge and returns the order
// number; a rate-limited grab is tried again.
func (f *fixture) grab(t *testing.T, i int, seats ...int64) string {
	t.Helper()
	r := f.tryGrab(t, i, seats...)
	if r.Status != http.StatusCreated {
		t.Fatalf("grab %v = %d %s", seats, r.Status, r.Body)
	}
	return r.JSON["order_no"].(string)
}

// tryGrab sends one grab, waiting out rate limits (the edge is shared).
func (f *fixture) tryGrab(t *testing.T, i int, seats ...int64) *testenv.Response {
	t.Helper()
	for deadline := time.Now().Add(testenv.Settle); ; {
		r := f.edge.As(f.buyers[i].Token).Grab(t, f.sess.ID, testenv.Unique(), seats...)
		if r.Status != http.StatusTooManyRequests || time.Now().After(deadline) {
			return r
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// grabResumed sends one grab to a session whose repair is done in Redis,
// trying again while the edge's copy of the session's flags (refreshed
// each second) still says it is being repaired.
func (f *fixture) grabResumed(t *testing.T, i int, seats ...int64) *testenv.Response {
	t.Helper()
	var r *testenv.Response
	testenv.Eventually(t, testenv.Settle, "the edge saw the session resume", func() (bool, string) {
		r = f.tryGrab(t, i, seats...)
		return r.Status != http.StatusServiceUnavailable || r.JSON["error"] != "recovering",
			fmt.Sprintf("%d %s", r.Status, r.Body)
	})
	return r
}

// waitStatus waits until order no has status want in MySQL.
func (f *fixture) waitStatus(t *testing.T, no, want string) {
	t.Helper()
	testenv.Eventually(t, testenv.Settle, "order "+no+" "+want, func() (bool, string) {
		got := testenv.OrderStatus(t, f.db, no)
		return got == want, fmt.Sprintf("order %s is %q in MySQL, want %s", no, got, want)
	})
}

// waitHold waits until order no's hold is in state want.
func (f *fixture) waitHold(t *testing.T, no, want string) *boxoffice.Hold {
	t.Helper()
	var h *boxoffice.Hold
	testenv.Eventually(t, testenv.Settle, "hold "+no+" "+want, func() (bool, string) {
		h = testenv.Hold(t, f.rdb, no)
		return h.State == want, fmt.Sprintf("hold %s is %s, want %s", no, h.State, want)
	})
	return h
}

// seats reads the session's seat states.
func (f *fixture) seats(t *testing.T) map[string]string {
	t.Helper()
	m, err := f.rdb.HGetAll(context.Background(), sale.KeysFor(f.sess.ID).Key("seats")).Result()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// wantConsistent fails if the session's counters disagree with its seats.
func (f *fixture) wantConsistent(t *testing.T) {
	t.Helper()
	problems, err := sale.Audit(context.Background(), f.rdb, f.sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("session %d: %s", f.sess.ID, p)
	}
}

// kafkaEvents reads the sale-events topic from its start in a new consumer
// group and returns the events of the sessions sids by order number, every
// message as read (a redelivery appears twice), once done says they are
// complete; at the deadline it fails the test with what done last said
// was missing.
func kafkaEvents(t *testing.T, sids []int64, done func(map[string][]boxoffice.SaleEvent) (bool, string)) map[string][]boxoffice.SaleEvent {
	t.Helper()
	cfg := testenv.Config(t)
	r := kafka.NewReader(cfg.KafkaBrokers, cfg.KafkaTopic, "test-timeouts-"+testenv.Unique(), nil)
	defer r.Close()
	want := map[int64]bool{}
	for _, sid := range sids {
		want[sid] = true
	}
	out := map[string][]boxoffice.SaleEvent{}
	deadline := time.Now().Add(testenv.Settle)
	for {
		ok, missing := done(out)
		if ok {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s reading %s: %s", testenv.Settle, cfg.KafkaTopic, missing)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		m, err := r.FetchMessage(ctx) // never committed: the group is thrown away
		cancel()
		if err != nil {
			continue
		}
		var e boxoffice.SaleEvent
		if json.Unmarshal(m.Value, &e) == nil && want[e.SessionID] {
			out[e.OrderNo] = append(out[e.OrderNo], e)
		}
	}
}

// countType counts events of type typ; distinct counts events with the
// same id and time once (a redelivery of one event is not a second one).
func countType(events []boxoffice.SaleEvent, typ string, distinct bool) int {
	seen := map[string]bool{}
	n := 0
	for _, e := range events {
		key := fmt.Sprint(e.ID, e.At)
		if e.Type == typ && !(distinct && seen[key]) {
			n++
		}
		seen[key] = true
	}
	return n
}

// service is an in-process timeouts service against the test stack, with
// its own metrics registry.
func service(t *testing.T, set timeouts.Settings, gw timeouts.Gateway) *timeouts.Service {
	t.Helper()
	cfg := testenv.Config(t)
	if gw == nil {
		gw = payments.NewGateway(cfg.PaygwURL, cfg.PaySecret, 2*time.Second)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return timeouts.New(set, testenv.DB(t), saleRedis(t), gw, log, prometheus.NewRegistry())
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// insertOrder writes an order row with its items straight into MySQL, as
// the orders daemon would from a hold.created the sale Redis then lost.
func (f *fixture) insertOrder(t *testing.T, buyer int, status string, due time.Time, seats ...int64) string {
	t.Helper()
	no := fmt.Sprintf("B%d-%d-9%s", f.sess.ID, time.Now().UnixMilli(), testenv.Unique()[:6])
	f.insertRow(t, no, buyer, status, due, seats...)
	return no
}

// insertRow writes order no's row and items straight into MySQL; a
// cancelled order's items are inactive.
func (f *fixture) insertRow(t *testing.T, no string, buyer int, status string, due time.Time, seats ...int64) {
	t.Helper()
	var payDeadline any
	expire := due
	if status == "PAYING" {
		payDeadline, expire = due, due.Add(-time.Minute)
	}
	res, err := f.db.Exec(`INSERT INTO orders (order_no, session_id, user_id, status, amount_cents, expire_at, pay_deadline)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, no, f.sess.ID, f.buyers[buyer].ID, status, 100*len(seats), expire, payDeadline)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	var active any = 1
	if !boxoffice.LiveStatus(status) {
		active = nil
	}
	for _, seat := range seats {
		if _, err := f.db.Exec(`INSERT INTO order_items (order_id, session_id, seat_id, price_cents, active) VALUES (?, ?, ?, 100, ?)`,
			id, f.sess.ID, seat, active); err != nil {
			t.Fatal(err)
		}
	}
}
