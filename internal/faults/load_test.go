//go:build faults

package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/invariants"
	"boxoffice/internal/testenv"
)

// patience is how long a buyer keeps retrying one step (a 503, a refused
// connection, a timeout) before giving it up.
const patience = 90 * time.Second

// load is a crowd of buyers grabbing seats of one session through the
// edge, then paying, cancelling or leaving each hold, as the buyer app
// does: a step that fails for want of a server is retried, a grab with
// the same Idempotency-Key.
type load struct {
	edge, paygw string
	sid         int64
	seats       []int64
	buyers      []testenv.Buyer
	http        *http.Client

	gate    sync.RWMutex // buyers hold it for reading during a flow; pause takes it
	stop    context.CancelFunc
	done    sync.WaitGroup
	flows   atomic.Int64 // flows begun, also each flow's key
	created atomic.Int64 // grabs answered 201
	tries   atomic.Int64 // requests sent, answered or not
	failed  atomic.Int64 // requests that got no answer, a 5xx or a 429

	mu     sync.Mutex
	orders map[string]*invariants.Order
}

// startLoad starts workers buyers on session s.
func startLoad(edge, paygw string, s *testenv.Session, buyers []testenv.Buyer, workers int) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{edge: edge, paygw: paygw, sid: s.ID, seats: s.SeatIDs, buyers: buyers, stop: cancel,
		http: &http.Client{Timeout: 5 * time.Second}, orders: map[string]*invariants.Order{}}
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

// end stops the buyers and waits for them.
func (l *load) end() {
	l.stop()
	l.done.Wait()
}

// pause waits for the flows in progress to finish and holds back new ones
// until resume.
func (l *load) pause()  { l.gate.Lock() }
func (l *load) resume() { l.gate.Unlock() }

// answered returns a copy of every order the edge answered 201.
func (l *load) answered() []invariants.Order {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]invariants.Order, 0, len(l.orders))
	for _, o := range l.orders {
		out = append(out, *o)
	}
	return out
}

func (l *load) String() string {
	return fmt.Sprintf("%d flows, %d holds made, %d requests, %d unanswered or refused for want of a server",
		l.flows.Load(), l.created.Load(), l.tries.Load(), l.failed.Load())
}

// flow is one buyer's grab and what follows it.
func (l *load) flow(ctx context.Context) {
	n := l.flows.Add(1)
	i := int(n) % len(l.buyers)
	b := l.buyers[i]
	ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
	seats := []int64{l.seats[rand.IntN(len(l.seats))]}
	if rand.IntN(3) == 0 {
		seats = append(seats, l.seats[rand.IntN(len(l.seats))])
	}
	body, _ := json.Marshal(map[string]any{"seat_ids": seats})
	key := fmt.Sprintf("fault-%d", n)
	status, reply := l.call(ctx, b, ip, http.MethodPost, l.edge, fmt.Sprintf("/api/sale/sessions/%d/holds", l.sid),
		body, key)
	if status != http.StatusCreated {
		return
	}
	no, _ := reply["order_no"].(string)
	l.created.Add(1)
	l.set(no, func(o *invariants.Order) { o.Want = invariants.Left })
	switch r := rand.IntN(4); {
	case r == 0:
		l.pay(ctx, b, ip, no)
	case r < 2:
		l.cancel(ctx, b, ip, no)
	}
}

// pay starts paying order no and pays at the gateway.
func (l *load) pay(ctx context.Context, b testenv.Buyer, ip, no string) {
	status, reply := l.call(ctx, b, ip, http.MethodPost, l.edge, "/api/orders/"+no+"/pay", nil, "")
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
func (l *load) cancel(ctx context.Context, b testenv.Buyer, ip, no string) {
	status, reply := l.call(ctx, b, ip, http.MethodPost, l.edge, "/api/orders/"+no+"/cancel", nil, "")
	if got, _ := reply["status"].(string); status == http.StatusOK && got != "" {
		l.set(no, func(o *invariants.Order) { o.Want = []string{got} })
	}
}

// set records what the buyer of order no now knows.
func (l *load) set(no string, change func(*invariants.Order)) {
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
func (l *load) call(ctx context.Context, b testenv.Buyer, ip, method, base, path string, body []byte, key string) (int, map[string]any) {
	deadline := time.Now().Add(patience)
	wait := 50 * time.Millisecond
	for {
		status, reply := l.send(ctx, b, ip, method, base+path, body, key)
		if status != 0 && status < 500 && status != http.StatusTooManyRequests {
			return status, reply
		}
		l.failed.Add(1)
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

func (l *load) send(ctx context.Context, b testenv.Buyer, ip, method, url string, body []byte, key string) (int, map[string]any) {
	l.tries.Add(1)
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
		return 0, nil
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, nil
	}
	var reply map[string]any
	_ = json.Unmarshal(raw, &reply)
	return resp.StatusCode, reply
}
