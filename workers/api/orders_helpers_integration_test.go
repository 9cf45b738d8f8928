//go:build integration

package api_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/jmoiron/sqlx"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// payFixture is a session on sale with buyers, and the stores to check.
type payFixture struct {
	sess   *testenv.Session
	buyers []testenv.Buyer
	edge   *testenv.Client
	rdb    goredis.UniversalClient
	db     *sqlx.DB
}

func newPayFixture(t *testing.T, seats, buyers int) *payFixture {
	t.Helper()
	s, b := testenv.OnSale(t, testenv.SessionSpec{Seats: seats}, buyers)
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

// seat is a seat's state in the sale Redis: "A", "L:<order>" or "S:<order>".
func (f *payFixture) seat(t *testing.T, id int64) string {
	t.Helper()
	v, err := f.rdb.HGet(context.Background(), sale.KeysFor(f.sess.ID).Key("seats"), strconv.FormatInt(id, 10)).Result()
	if err != nil {
		t.Fatalf("seat %d: %v", id, err)
	}
	return v
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
