//go:build integration

package orders_test

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/kafka"
	"boxoffice/internal/testenv"
)

// A hold made through the edge becomes its order row, with its items.
func TestHoldBecomesOrder(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 20}, 1)
	r := testenv.Edge(t).As(buyers[0].Token).Grab(t, s.ID, "k-"+testenv.Unique(), s.SeatIDs[0], s.SeatIDs[1])
	if r.Status != http.StatusCreated {
		t.Fatalf("grab = %d %s", r.Status, r.Body)
	}
	no, _ := r.JSON["order_no"].(string)
	expires, err := time.Parse(time.RFC3339Nano, fmt.Sprint(r.JSON["expires_at"]))
	if err != nil {
		t.Fatalf("expires_at %v: %v", r.JSON["expires_at"], err)
	}
	db := testenv.DB(t)
	got := waitOrder(t, db, no, "LOCKED")
	if got.SessionID != s.ID || got.UserID != buyers[0].ID || got.Amount != 15000 || !got.ExpireAt.Equal(expires.UTC()) {
		t.Errorf("order %s = %v, want session %d user %d amount 15000 expire %s", no, got, s.ID, buyers[0].ID, expires)
	}
	want := fmt.Sprintf("[{seat %d price 10000 active true} {seat %d price 5000 active true}]", s.SeatIDs[0], s.SeatIDs[1])
	if items := fmt.Sprint(getItems(t, db, no)); items != want {
		t.Errorf("items = %s, want %s", items, want)
	}
}

// Replayed, late and out-of-order events end in the right state, and a
// replay changes nothing.
func TestIdempotent(t *testing.T) {
	f := newFixture(t)
	// replay publishes events again, waits until they are handled, and
	// checks the order's row and items did not change.
	replay := func(t *testing.T, no string, events ...boxoffice.SaleEvent) {
		t.Helper()
		before, items := mustOrder(t, f, no).String(), fmt.Sprint(getItems(t, f.db, no))
		f.publish(events...)
		f.settle(no)
		if after := mustOrder(t, f, no).String(); after != before {
			t.Errorf("replay changed %s: %v, was %v", no, after, before)
		}
		if after := fmt.Sprint(getItems(t, f.db, no)); after != items {
			t.Errorf("replay changed the items of %s: %s, were %s", no, after, items)
		}
	}

	t.Run("Created", func(t *testing.T) {
		no := f.orderNo()
		c := f.created(no, 0, 1)
		f.publish(c, c)
		got := waitOrder(t, f.db, no, "LOCKED")
		if got.Amount != 15000 || got.UserID != f.buyer.ID || !got.ExpireAt.Equal(time.UnixMilli(c.ExpiresAt).UTC()) {
			t.Errorf("order = %v, want amount 15000, user %d, expire %d", got, f.buyer.ID, c.ExpiresAt)
		}
		wantItems(t, f, no, "10000 true", "5000 true")
		replay(t, no, c)
	})
	t.Run("Cancelled", func(t *testing.T) {
		no := f.orderNo()
		c := f.created(no, 2, 3)
		f.publish(c, released(c, "cancelled"))
		got := waitOrder(t, f.db, no, "CANCELLED")
		if got.Reason == nil || *got.Reason != "cancelled" {
			t.Errorf("order = %v, want reason cancelled", got)
		}
		wantItems(t, f, no, "10000 false", "5000 false")
		replay(t, no, c, released(c, "cancelled"),
			released(c, "timeout"))
	})
	t.Run("Timeout", func(t *testing.T) {
		no := f.orderNo()
		c := f.created(no, 4)
		f.publish(c)
		waitOrder(t, f.db, no, "LOCKED")
		f.publish(released(c, "timeout"))
		waitOrder(t, f.db, no, "TIMEOUT_CANCELLED")
		wantItems(t, f, no, "10000 false")
		replay(t, no, released(c, "timeout"), sold(c))
	})
	t.Run("Sold", func(t *testing.T) {
		no := f.orderNo()
		c := f.created(no, 5)
		s := sold(c)
		f.publish(c, s)
		got := waitOrder(t, f.db, no, "PAID")
		if got.PaidAt == nil || !got.PaidAt.Equal(time.UnixMilli(s.At).UTC()) {
			t.Errorf("order = %v, want paid at %d", got, s.At)
		}
		wantItems(t, f, no, "5000 true")
		replay(t, no, released(c, "timeout"), c,
			s)
	})
	t.Run("ReleasedBeforeCreated", func(t *testing.T) {
		no := f.orderNo()
		c := f.created(no, 6, 7)
		f.publish(released(c, "timeout"))
		got := waitOrder(t, f.db, no, "TIMEOUT_CANCELLED")
		if got.Amount != 15000 || got.UserID != f.buyer.ID {
			t.Errorf("order = %v, want amount 15000 user %d", got, f.buyer.ID)
		}
		wantItems(t, f, no, "10000 false", "5000 false")
		replay(t, no, c)
	})
	t.Run("SoldBeforeCreated", func(t *testing.T) {
		no := f.orderNo()
		c := f.created(no, 8)
		f.publish(sold(c), c)
		waitOrder(t, f.db, no, "PAID")
		f.settle(no)
		wantItems(t, f, no, "10000 true")
		replay(t, no, c, released(c, "cancelled"))
	})
	t.Run("SeatInTwoLiveOrders", func(t *testing.T) {
		tail := testenv.NewKafkaTail(t, testenv.Config(t).KafkaDLQTopic)
		first, second := f.orderNo(), f.orderNo()
		f.publish(f.created(first, 10))
		waitOrder(t, f.db, first, "LOCKED")
		f.publish(f.created(second, 10))
		// It waits up to 30 s for a release of the first that never comes.
		var dl kafkago.Message
		if !tail.Read(t, 30*time.Second+testenv.Settle, func(m kafkago.Message) bool { dl = m; return string(m.Key) == second }) {
			t.Fatalf("the second live order of seat %d was not dead-lettered", f.s.SeatIDs[10])
		}
		if e := kafka.Header(dl, kafka.HeaderError); !strings.Contains(e, "Duplicate") {
			t.Errorf("dead letter error = %q, want the duplicate key", e)
		}
		if _, ok := getOrder(t, f.db, second); ok {
			t.Errorf("order %s has a row; its seat is in %s", second, first)
		}
	})
}

func mustOrder(t *testing.T, f *fixture, no string) orderRow {
	t.Helper()
	r, ok := getOrder(t, f.db, no)
	if !ok {
		t.Fatalf("order %s has no row", no)
	}
	return r
}

// wantItems checks the prices and liveness of an order's items, by seat.
func wantItems(t *testing.T, f *fixture, no string, want ...string) {
	t.Helper()
	var got []string
	for _, it := range getItems(t, f.db, no) {
		got = append(got, fmt.Sprint(it.Price, " ", it.Active != nil))
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("items of %s = %v, want %v", no, got, want)
	}
}

// An unparsable message lands on the dead-letter topic with its error and
// source, and what comes after it is still handled.
func TestDeadLetter(t *testing.T) {
	f := newFixture(t)
	cfg := testenv.Config(t)
	tail := testenv.NewKafkaTail(t, cfg.KafkaDLQTopic)
	key := "poison-" + testenv.Unique()
	value := "{not json " + key
	testenv.Publish(t, cfg.KafkaTopic, kafkago.Message{Key: []byte(key), Value: []byte(value)})
	f.settle(key)

	var dl kafkago.Message
	if !tail.Read(t, 20*time.Second, func(m kafkago.Message) bool { dl = m; return string(m.Key) == key }) {
		t.Fatalf("no dead letter with key %s", key)
	}
	if string(dl.Value) != value {
		t.Errorf("dead letter value = %q, want the original %q", dl.Value, value)
	}
	for h, want := range map[string]string{kafka.HeaderError: "not a sale event", kafka.HeaderTopic: cfg.KafkaTopic,
		kafka.HeaderPartition: fmt.Sprint(f.partition(key)), kafka.HeaderTries: "1"} {
		if got := kafka.Header(dl, h); !strings.Contains(got, want) {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
	if kafka.Header(dl, kafka.HeaderOffset) == "" {
		t.Error("dead letter names no source offset")
	}
}

// A burst of 2,000 holds through the edge: every hold gets its row; the
// hold → order row latency is logged (p50, p99, max).
func TestBurstLag(t *testing.T) {
	const n = 2000
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: n, Limit: 1}, n)
	testenv.WaitRelayed(t, s.ID) // as when a session is armed ahead of its sale
	before := lagHistogram(t)
	start := time.Now()
	nos := testenv.GrabEach(t, s.ID, buyers, s.SeatIDs, 100, 0)
	t.Logf("%d holds in %v", len(nos), time.Since(start).Round(time.Millisecond))
	db := testenv.DB(t)
	testenv.WaitOrderRows(t, db, s.ID, nos, 60*time.Second)

	// created_at is the hold's time; updated_at, untouched since the
	// insert of a LOCKED row, is when the row was written.
	var rows []struct {
		OrderNo   string    `db:"order_no"`
		WrittenAt time.Time `db:"updated_at"`
	}
	if err := db.Select(&rows, `SELECT order_no, updated_at FROM orders WHERE session_id = ? AND status = 'LOCKED'`, s.ID); err != nil {
		t.Fatal(err)
	}
	lags := make([]time.Duration, 0, len(rows))
	for _, r := range rows {
		var sid, ms, seq int64
		if _, err := fmt.Sscanf(r.OrderNo, "B%d-%d-%d", &sid, &ms, &seq); err != nil {
			t.Fatalf("order number %q: %v", r.OrderNo, err)
		}
		lags = append(lags, r.WrittenAt.Sub(time.UnixMilli(ms)))
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	pct := func(p float64) time.Duration { return lags[int(p*float64(len(lags)-1))].Round(time.Millisecond) }
	t.Logf("hold → order row (row written − hold time) over %d orders: p50 %v, p99 %v, max %v",
		len(lags), pct(.5), pct(.99), pct(1))
	after := lagHistogram(t)
	t.Logf("orders daemon's boxoffice_orders_hold_lag_seconds over the burst: p99 ≤ %s s (bucket bound)",
		bucketQuantile(before, after, .99))
}

// lagHistogram reads the cumulative buckets of the orders daemon's lag
// histogram: upper bound → count.
func lagHistogram(t *testing.T) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, line := range strings.Split(ordersMetrics(t), "\n") {
		rest, ok := strings.CutPrefix(line, `boxoffice_orders_hold_lag_seconds_bucket{le="`)
		if !ok {
			continue
		}
		le, val, _ := strings.Cut(rest, `"} `)
		var v float64
		if _, err := fmt.Sscan(val, &v); err == nil {
			out[le] = v
		}
	}
	return out
}

// ordersMetrics reads the orders daemon's /metrics.
func ordersMetrics(t *testing.T) string {
	t.Helper()
	resp, err := http.Get("http://" + testenv.Config(t).OrdersAddr + "/metrics")
	if err != nil {
		t.Fatalf("orders metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("orders metrics: %v", err)
	}
	return string(body)
}

// ordersMetric is one sample of the orders daemon's /metrics, 0 while absent.
func ordersMetric(t *testing.T, sample string) float64 {
	t.Helper()
	for _, line := range strings.Split(ordersMetrics(t), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			var n float64
			_, _ = fmt.Sscan(v, &n)
			return n
		}
	}
	return 0
}

// bucketQuantile returns the upper bound of the bucket holding quantile q
// of the observations made between two reads of a histogram.
func bucketQuantile(before, after map[string]float64, q float64) string {
	type bucket struct {
		le    float64
		label string
		n     float64
	}
	var bs []bucket
	for label, n := range after {
		var le float64
		if label == "+Inf" {
			le = 1e18
		} else {
			_, _ = fmt.Sscan(label, &le)
		}
		bs = append(bs, bucket{le, label, n - before[label]})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].le < bs[j].le })
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return "?"
	}
	total := bs[len(bs)-1].n
	for _, b := range bs {
		if b.n >= q*total {
			return b.label
		}
	}
	return "+Inf"
}
