package testenv

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/invariants"
	"boxoffice/internal/sale"
)

// patience is how long a buyer keeps retrying one step (a 503, a refused
// connection, a timeout) before giving it up.
const patience = 90 * time.Second

// Crowd is a crowd of buyers grabbing seats of one session through the
// edges (each flow through the next edge), then paying, cancelling or
// leaving each hold, as the buyer app does: a step that fails for want of
// a server is retried, a grab with the same Idempotency-Key.
type Crowd struct {
	edges  []string
	paygw  string
	sid    int64
	seats  []int64
	buyers []Buyer
	http   *http.Client

	gate    sync.RWMutex // buyers hold it for reading during a flow; pause takes it
	stop    context.CancelFunc
	done    sync.WaitGroup
	flows   atomic.Int64 // flows begun, also each flow's key
	Created atomic.Int64 // grabs answered 201
	Tries   atomic.Int64 // requests sent, answered or not
	Failed  atomic.Int64 // requests that got no answer, a 5xx or a 429

	mu       sync.Mutex
	orders   map[string]*invariants.Order
	statuses map[int]int   // answers by status (0: none)
	slowest  time.Duration // the slowest 503
}

// StartCrowd starts workers buyers on session s, through the edges (base URLs).
func StartCrowd(edges []string, paygw string, s *Session, buyers []Buyer, workers int) *Crowd {
	ctx, cancel := context.WithCancel(context.Background())
	l := &Crowd{edges: edges, paygw: paygw, sid: s.ID, seats: s.SeatIDs, buyers: buyers, stop: cancel,
		http: &http.Client{Timeout: 5 * time.Second}, orders: map[string]*invariants.Order{}, statuses: map[int]int{}}
	for range workers {
		l.done.Add(1)
		go func() {
			defer l.done.Done()
			for ctx.Err() == nil {
				l.gate.RLock()
				l.flow(ctx)
				l.gate.RUnlock()
			}
		}()
	}
	return l
}

// End stops the buyers and waits for them.
func (l *Crowd) End() {
	l.stop()
	l.done.Wait()
}

// Pause waits for the flows in progress to finish and holds back new ones
// until Resume.
func (l *Crowd) Pause()  { l.gate.Lock() }
func (l *Crowd) Resume() { l.gate.Unlock() }

// SessionID is the session the crowd buys.
func (l *Crowd) SessionID() int64 { return l.sid }

// Answered returns a copy of every order the edge answered 201.
func (l *Crowd) Answered() []invariants.Order {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]invariants.Order, 0, len(l.orders))
	for _, o := range l.orders {
		out = append(out, *o)
	}
	return out
}

func (l *Crowd) String() string {
	return fmt.Sprintf("%d flows, %d holds made, %d requests, %d unanswered or refused for want of a server",
		l.flows.Load(), l.Created.Load(), l.Tries.Load(), l.Failed.Load())
}

// Statuses returns how many answers had each status (0: no answer) and
// the slowest 503.
func (l *Crowd) Statuses() (map[int]int, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[int]int, len(l.statuses))
	for k, v := range l.statuses {
		out[k] = v
	}
	return out, l.slowest
}

// flow is one buyer's grab and what follows it.
func (l *Crowd) flow(ctx context.Context) {
	n := l.flows.Add(1)
	i := int(n) % len(l.buyers)
	b := l.buyers[i]
	edge := l.edges[int(n)%len(l.edges)]
	ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
	seats := []int64{l.seats[rand.IntN(len(l.seats))]}
	if rand.IntN(3) == 0 {
		seats = append(seats, l.seats[rand.IntN(len(l.seats))])
	}
	body, _ := json.Marshal(map[string]any{"seat_ids": seats})
	key := fmt.Sprintf("crowd-%d", n)
	status, reply := l.call(ctx, b, ip, http.MethodPost, edge, fmt.Sprintf("/api/sale/sessions/%d/holds", l.sid),
		body, key)
	if status != http.StatusCreated {
		return
	}
	no, _ := reply["order_no"].(string)
	l.Created.Add(1)
	l.set(no, func(o *invariants.Order) { o.Want = invariants.Left })
	switch r := rand.IntN(4); {
	case r == 0:
		l.pay(ctx, b, edge, ip, no)
	case r < 2:
		l.cancel(ctx, b, edge, ip, no)
	}
}

// pay starts paying order no and pays at the gateway.
func (l *Crowd) pay(ctx context.Context, b Buyer, edge, ip, no string) {
	status, reply := l.call(ctx, b, ip, http.MethodPost, edge, "/api/orders/"+no+"/pay", nil, "")
	if status != http.StatusOK {
		return
	}
	id, _ := reply["payment_id"].(string)
	status, reply = l.call(ctx, b, ip, http.MethodPost, l.paygw, "/api/payments/"+id+"/confirm", nil, "")
	if status == http.StatusOK && reply["status"] == "SUCCEEDED" {
		l.set(no, func(o *invariants.Order) { o.Want, o.Charged = []string{boxoffice.OrderPaid}, true })
	}
}

// cancel gives order no back; its answer says the status it ends in.
func (l *Crowd) cancel(ctx context.Context, b Buyer, edge, ip, no string) {
	status, reply := l.call(ctx, b, ip, http.MethodPost, edge, "/api/orders/"+no+"/cancel", nil, "")
	if got, _ := reply["status"].(string); status == http.StatusOK && got != "" {
		l.set(no, func(o *invariants.Order) { o.Want = []string{got} })
	}
}

// set records what the buyer of order no now knows.
func (l *Crowd) set(no string, change func(*invariants.Order)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	o := l.orders[no]
	if o == nil {
		o = &invariants.Order{No: no}
		l.orders[no] = o
	}
	change(o)
}

// call sends a request as buyer b and retries it, with backoff, while it
// gets no answer, a 5xx or a 429, for up to patience; it returns the last
// status (0 for none) and JSON body.
func (l *Crowd) call(ctx context.Context, b Buyer, ip, method, base, path string, body []byte, key string) (int, map[string]any) {
	deadline := time.Now().Add(patience)
	wait := 50 * time.Millisecond
	for {
		status, reply := l.send(ctx, b, ip, method, base+path, body, key)
		if status != 0 && status < 500 && status != http.StatusTooManyRequests {
			return status, reply
		}
		l.Failed.Add(1)
		if time.Now().After(deadline) || ctx.Err() != nil {
			return status, reply
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

func (l *Crowd) send(ctx context.Context, b Buyer, ip, method, url string, body []byte, key string) (int, map[string]any) {
	l.Tries.Add(1)
	began := time.Now()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Authorization", "Bearer "+b.Token)
	req.Header.Set("X-Forwarded-For", ip)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := l.http.Do(req)
	if err != nil {
		l.count(0, 0)
		return 0, nil
	}
	defer resp.Body.Close()
	l.count(resp.StatusCode, time.Since(began))
	raw, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, nil
	}
	var reply map[string]any
	_ = json.Unmarshal(raw, &reply)
	return resp.StatusCode, reply
}

// count records an answer's status and, for a 503, how long it took.
func (l *Crowd) count(status int, took time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.statuses[status]++
	if status == http.StatusServiceUnavailable {
		l.slowest = max(l.slowest, took)
	}
}

// SettleAndCheck pauses the crowds, waits (up to within) until nothing of
// their sessions is in flight, holds expiring within a minute included,
// and checks every invariant on them, failing the test on any problem;
// the crowds then go on. It returns what was in flight when the wait began.
func SettleAndCheck(t testing.TB, check *invariants.Checker, within time.Duration, crowds ...*Crowd) (first string) {
	t.Helper()
	var sids []int64
	var answered []invariants.Order
	for _, c := range crowds {
		c.Pause()
		defer c.Resume()
		sids = append(sids, c.sid)
		answered = append(answered, c.Answered()...)
	}
	ctx := context.Background()
	Eventually(t, within, "the stack to settle", func() (done bool, seen string) {
		defer func() {
			if first == "" {
				first = seen
			}
		}()
		pending, err := check.Pending(ctx, sids, answered)
		if err != nil {
			return false, err.Error()
		}
		// A hold that expires between the wait and the checks would
		// be seen half-released: wait for those the buyers left too.
		for _, sid := range sids {
			soon, err := check.Sale.ZCount(ctx, sale.KeysFor(sid).Key(sale.KeyExpiry), "-inf",
				fmt.Sprint(time.Now().Add(time.Minute).UnixMilli())).Result()
			if err != nil {
				return false, err.Error()
			}
			if soon > 0 {
				pending = append(pending, fmt.Sprintf("session %d: %d holds expire within a minute", sid, soon))
			}
		}
		return len(pending) == 0, summary(pending)
	})
	first = cmp.Or(first, "nothing")
	problems, err := check.Check(ctx, sids, answered)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if t.Failed() {
		t.FailNow()
	}
	return first
}

// summary shortens a list of pending things to its first few.
func summary(list []string) string {
	if len(list) > 5 {
		return fmt.Sprintf("%s … (%d in all)", strings.Join(list[:5], "; "), len(list))
	}
	return strings.Join(list, "; ")
}
