//go:build integration

package api_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// settle is how long asynchronous effects (notifications, the orders
// daemon) may take before a test gives up.
const settle = 20 * time.Second

// payFixture is a session on sale with buyers, and the stores to check.
type payFixture struct {
	sess   *testenv.Session
	buyers []testenv.Buyer
	edge   *testenv.Client
	rdb    *goredis.Client
	db     *sqlx.DB
}

func newPayFixture(t *testing.T, seats, buyers int) *payFixture {
	t.Helper()
	s, b := testenv.OnSale(t, testenv.SessionSpec{Seats: seats, HoldSeconds: 30}, buyers)
	rdb := redis.NewSale(testenv.Config(t))
	t.Cleanup(func() { rdb.Close() })
	return &payFixture{sess: s, buyers: b, edge: testenv.Edge(t), rdb: rdb, db: testenv.DB(t)}
}

// as is an edge client of buyer i.
func (f *payFixture) as(i int) *testenv.Client { return f.edge.As(f.buyers[i].Token) }

// grab holds seats for buyer i and returns the order number.
func (f *payFixture) grab(t *testing.T, i int, seats ...int64) string {
	t.Helper()
	r := f.as(i).Grab(t, f.sess.ID, testenv.Unique(), seats...)
	if r.Status != http.StatusCreated {
		t.Fatalf("grab %v = %d %s", seats, r.Status, r.Body)
	}
	return r.JSON["order_no"].(string)
}

// pay starts paying order no as buyer i and fails unless it answers 200.
func (f *payFixture) pay(t *testing.T, i int, no string) (paymentID string, r *testenv.Response) {
	t.Helper()
	r = f.as(i).Do(t, "POST", "/api/orders/"+no+"/pay", nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("pay %s = %d %s", no, r.Status, r.Body)
	}
	id, _ := r.JSON["payment_id"].(string)
	return id, r
}

// hold reads the hold of order no from the sale Redis.
func (f *payFixture) hold(t *testing.T, no string) *boxoffice.Hold {
	t.Helper()
	h, err := sale.GetHold(context.Background(), f.rdb, no)
	if err != nil {
		t.Fatalf("hold %s: %v", no, err)
	}
	return h
}

// seat is a seat's state in the sale Redis: "A", "L:<order>" or "S:<order>".
func (f *payFixture) seat(t *testing.T, id int64) string {
	t.Helper()
	v, err := f.rdb.HGet(context.Background(), sale.KeysFor(f.sess.ID).Key("seats"), strconv.FormatInt(id, 10)).Result()
	if err != nil {
		t.Fatalf("seat %d: %v", id, err)
	}
	return v
}

// payments reads the payment rows of order no.
func (f *payFixture) payments(t *testing.T, no string) []boxoffice.Payment {
	t.Helper()
	rows, err := mysql.PaymentsOf(context.Background(), f.db, no)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// orderStatus reads the order's MySQL status ("" while it has no row).
func (f *payFixture) orderStatus(t *testing.T, no string) string {
	t.Helper()
	var status string
	err := f.db.Get(&status, `SELECT status FROM orders WHERE order_no = ?`, no)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatal(err)
	}
	return status
}

// eventually polls cond until it reports done, failing after settle with
// what cond last said was missing.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(settle)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v still waiting for %s; last seen: %s", settle, what, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// apiMetric reads a counter from the api daemon's /metrics (0 if absent).
func apiMetric(t *testing.T, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + testenv.Config(t).APIAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return n
		}
	}
	return 0
}

// soldEvents counts the hold.sold events of order no still in the outbox
// (the relay may have trimmed acknowledged ones).
func (f *payFixture) soldEvents(t *testing.T, no string) int {
	t.Helper()
	entries, err := f.rdb.XRange(context.Background(), sale.KeysFor(f.sess.ID).Key("outbox"), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Values["order_no"] == no && e.Values["type"] == boxoffice.EventHoldSold {
			n++
		}
	}
	return n
}

func seatKey(id int64) string { return fmt.Sprint(id) }
