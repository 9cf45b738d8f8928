package orders_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/kafka"
	"boxoffice/internal/mysql"
	"boxoffice/workers/orders"
)

// fakeReader hands out queued messages and records commits.
type fakeReader struct {
	msgs      chan kafkago.Message
	mu        sync.Mutex
	committed []int64
	closed    bool
	next      int64 // offset of the next message pushed
}

func newReader(msgs ...kafkago.Message) *fakeReader {
	r := &fakeReader{msgs: make(chan kafkago.Message, len(msgs)+10)}
	r.push(msgs...)
	return r
}

// push queues messages, numbering their offsets on from the last.
func (r *fakeReader) push(msgs ...kafkago.Message) {
	for _, m := range msgs {
		m.Offset, m.Topic = r.next, "sale-events"
		r.next++
		r.msgs <- m
	}
}

func (r *fakeReader) FetchMessage(ctx context.Context) (kafkago.Message, error) {
	select {
	case m := <-r.msgs:
		return m, nil
	case <-ctx.Done():
		return kafkago.Message{}, ctx.Err()
	}
}

func (r *fakeReader) CommitMessages(_ context.Context, msgs ...kafkago.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range msgs {
		r.committed = append(r.committed, m.Offset)
	}
	return nil
}

func (r *fakeReader) Close() error { r.mu.Lock(); r.closed = true; r.mu.Unlock(); return nil }

func (r *fakeReader) commits() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.committed) }

func (r *fakeReader) committedOffsets() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(slices.Values(r.committed))
}

// fakeDLQ records dead letters.
type fakeDLQ struct {
	mu   sync.Mutex
	msgs []kafkago.Message
}

func (w *fakeDLQ) WriteMessages(_ context.Context, msgs ...kafkago.Message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msgs...)
	return nil
}

func (w *fakeDLQ) all() []kafkago.Message {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]kafkago.Message(nil), w.msgs...)
}

// fakeDB applies events unless told otherwise, and records what it applied.
type fakeDB struct {
	mu      sync.Mutex
	applied []string
	down    int    // calls that fail as if MySQL were down
	poison  string // order number that always fails
	pings   int
	waits   map[string]string // order number → the order whose event frees its seats
	refused int               // events refused with ErrSeatTaken
}

func (d *fakeDB) apply(_ context.Context, events []boxoffice.SaleEvent) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down > 0 {
		d.down--
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	out := make([]string, len(events))
	for i, e := range events {
		if e.OrderNo == d.poison {
			return nil, errors.New("Error 1452: foreign key constraint fails")
		}
		if frees, ok := d.waits[e.OrderNo]; ok && !slices.Contains(d.applied, frees) {
			d.refused++
			return nil, fmt.Errorf("insert order items: %w", mysql.ErrSeatTaken)
		}
		out[i] = mysql.EventInserted
	}
	for _, e := range events {
		d.applied = append(d.applied, e.OrderNo)
	}
	return out, nil
}

func (d *fakeDB) ping(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pings++
	if d.down > 0 {
		return errors.New("down")
	}
	return nil
}

func (d *fakeDB) refusals() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.refused
}

func (d *fakeDB) appliedNos() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.applied...)
}

func event(no string) kafkago.Message {
	v, _ := json.Marshal(boxoffice.SaleEvent{ID: no + ":created", Type: boxoffice.EventHoldCreated, SessionID: 1, OrderNo: no,
		UserID: 2, SeatIDs: []int64{3}, AmountCents: 100, ExpiresAt: 2e12, At: 1e12})
	return kafkago.Message{Key: []byte(no), Value: v}
}

func consumer(r *fakeReader, dlq *fakeDLQ, db *fakeDB) *orders.Consumer {
	return &orders.Consumer{Reader: r, DLQ: dlq, Apply: db.apply, Ping: db.ping, Batch: 10, MaxTries: 3,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: orders.NewMetrics(prometheus.NewRegistry()),
		Window: 5 * time.Millisecond, Backoff: time.Millisecond}
}

// run runs c until the reader has committed want messages, then stops it.
func run(t *testing.T, c *orders.Consumer, r *fakeReader, want int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for r.commits() < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	if got := r.commits(); got != want {
		t.Errorf("committed %d messages, want %d", got, want)
	}
	if !r.closed {
		t.Error("reader not closed")
	}
}

func TestConsumer(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		r, dlq, db := newReader(event("B1-1-1"), event("B1-1-2")), &fakeDLQ{}, &fakeDB{}
		run(t, consumer(r, dlq, db), r, 2)
		if got := strings.Join(db.appliedNos(), " "); got != "B1-1-1 B1-1-2" {
			t.Errorf("applied %q", got)
		}
		if len(dlq.all()) != 0 {
			t.Errorf("dead letters: %v", dlq.all())
		}
	})
	t.Run("Unparsable", func(t *testing.T) {
		bad := kafkago.Message{Key: []byte("x"), Value: []byte("{not json")}
		r, dlq, db := newReader(bad, event("B1-1-3")), &fakeDLQ{}, &fakeDB{}
		run(t, consumer(r, dlq, db), r, 2)
		dl := dlq.all()
		if len(dl) != 1 || string(dl[0].Value) != "{not json" || kafka.Header(dl[0], kafka.HeaderError) == "" ||
			kafka.Header(dl[0], kafka.HeaderOffset) != "0" || kafka.Header(dl[0], kafka.HeaderTopic) != "sale-events" {
			t.Fatalf("dead letters = %+v", dl)
		}
		if got := db.appliedNos(); len(got) != 1 || got[0] != "B1-1-3" {
			t.Errorf("applied %v, want the good message", got)
		}
	})
	t.Run("Poison", func(t *testing.T) {
		r, dlq, db := newReader(event("B1-2-1"), event("B1-2-2"), event("B1-2-3")), &fakeDLQ{}, &fakeDB{poison: "B1-2-2"}
		run(t, consumer(r, dlq, db), r, 3)
		if got := strings.Join(db.appliedNos(), " "); got != "B1-2-1 B1-2-3" {
			t.Errorf("applied %q, want the two good ones", got)
		}
		dl := dlq.all()
		if len(dl) != 1 || string(dl[0].Key) != "B1-2-2" || kafka.Header(dl[0], kafka.HeaderTries) != "3" ||
			!strings.Contains(kafka.Header(dl[0], kafka.HeaderError), "foreign key") {
			t.Fatalf("dead letters = %+v", dl)
		}
	})
	t.Run("MySQLDown", func(t *testing.T) {
		r, dlq, db := newReader(event("B1-3-1")), &fakeDLQ{}, &fakeDB{down: 5}
		run(t, consumer(r, dlq, db), r, 1)
		if len(dlq.all()) != 0 {
			t.Errorf("dead-lettered while MySQL was down: %v", dlq.all())
		}
		if got := db.appliedNos(); len(got) != 1 {
			t.Errorf("applied %v, want the message once MySQL is back", got)
		}
	})
	t.Run("StopWhileDown", func(t *testing.T) {
		r, dlq, db := newReader(event("B1-4-1")), &fakeDLQ{}, &fakeDB{down: 1 << 30}
		c := consumer(r, dlq, db)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- c.Run(ctx) }()
		time.Sleep(50 * time.Millisecond)
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not stop")
		}
		if r.commits() != 0 || len(dlq.all()) != 0 || !r.closed {
			t.Errorf("commits %d, dead letters %d, closed %v; want 0, 0, true", r.commits(), len(dlq.all()), r.closed)
		}
	})
}

func TestDecode(t *testing.T) {
	for name, v := range map[string]string{
		"NotJSON":     `{`,
		"UnknownType": `{"type":"hold.weird","order_no":"B1-1-1","session_id":1,"user_id":1,"at":1}`,
		"NoOrder":     `{"type":"hold.sold","session_id":1,"user_id":1,"at":1}`,
		"NoSeats":     `{"type":"hold.created","order_no":"B1-1-1","session_id":1,"user_id":1,"at":1,"expires_at":2}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := orders.Decode([]byte(v)); err == nil {
				t.Errorf("Decode(%s) = nil error", v)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		if _, err := orders.Decode(event("B1-1-1").Value); err != nil {
			t.Error(err)
		}
	})
}

// A hold whose seats MySQL still gives to another order waits, without
// holding up other messages, for that order's release; it is dead-lettered
// only after ParkFor, and the offsets after it wait for it.
func TestConsumerSeatTaken(t *testing.T) {
	// waitFor polls cond until it holds or 5 s pass.
	waitFor := func(t *testing.T, what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	start := func(c *orders.Consumer) func() {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- c.Run(ctx) }()
		return func() { cancel(); <-done }
	}
	t.Run("ReleaseComesLater", func(t *testing.T) {
		y, z, x := event("B1-5-2"), event("B1-5-3"), event("B1-5-1")
		y.Partition, z.Partition, x.Partition = 0, 0, 1
		r, dlq, db := newReader(y, z), &fakeDLQ{}, &fakeDB{waits: map[string]string{"B1-5-2": "B1-5-1"}}
		c := consumer(r, dlq, db)
		c.Backoff = 20 * time.Millisecond
		stop := start(c)
		defer stop()
		// Far more than MaxTries refusals: the old consumer dead-lettered here.
		waitFor(t, "refusals and the next message applied", func() bool {
			return db.refusals() >= 4 && slices.Contains(db.appliedNos(), "B1-5-3")
		})
		if got := r.committedOffsets(); len(got) != 0 {
			t.Errorf("committed %v while the first message of their partition waits", got)
		}
		r.push(x)
		waitFor(t, "all committed", func() bool { return r.commits() == 3 })
		if got := strings.Join(db.appliedNos(), " "); got != "B1-5-3 B1-5-1 B1-5-2" {
			t.Errorf("applied %q, want the waiting hold after the release", got)
		}
		if len(dlq.all()) != 0 {
			t.Errorf("dead letters: %v", dlq.all())
		}
	})
	t.Run("NeverFreed", func(t *testing.T) {
		r, dlq, db := newReader(event("B1-6-2"), event("B1-6-3")), &fakeDLQ{}, &fakeDB{waits: map[string]string{"B1-6-2": "B1-6-1"}}
		c := consumer(r, dlq, db)
		c.ParkFor = 100 * time.Millisecond
		stop := start(c)
		defer stop()
		waitFor(t, "both committed", func() bool { return r.commits() == 2 })
		if dl := dlq.all(); len(dl) != 1 || string(dl[0].Key) != "B1-6-2" {
			t.Errorf("dead letters = %v, want the hold that was never freed", dl)
		}
	})
}
