package paygw

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"boxoffice/internal/payments"
)

// payment is one payment held by the gateway.
type payment struct {
	payments.Payment
	NotifyURL string
	ReturnURL string // where the pay page sends the buyer back, or ""
	CreatedAt time.Time
}

// Switches change how the gateway behaves, for tests. They are
// process-wide: every payment of this paygw process sees them, so tests
// that set them must not run in parallel with others that pay, and should
// reset them when done.
type Switches struct {
	Decline    bool `json:"decline"`    // confirming a payment fails it instead
	Duplicates int  `json:"duplicates"` // extra copies of each notification
	DelayMS    int  `json:"delay_ms"`   // wait before notifying
}

// store is the gateway's memory: payments by id and by order. Nothing is
// ever removed; a dev gateway lives as long as its process.
type store struct {
	mu       sync.Mutex
	byID     map[string]*payment
	byOrder  map[string]*payment // the latest payment of each order
	switches Switches
}

func newStore() *store {
	return &store{byID: map[string]*payment{}, byOrder: map[string]*payment{}}
}

// errConflict is a request the payment's state refuses.
type errConflict string

func (e errConflict) Error() string { return string(e) }

// create returns the order's pending payment, or a new one; created says
// which. An order already paid, or pending with another amount, conflicts.
func (s *store) create(req createRequest, publicURL string) (payments.Payment, bool, error) {
	orderNo, amount := req.OrderNo, req.AmountCents
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.byOrder[orderNo]; p != nil {
		switch {
		case p.Status == payments.StatusSucceeded:
			return p.Payment, false, errConflict(fmt.Sprintf("order %s is already paid (payment %s)", orderNo, p.ID))
		case p.Status == payments.StatusPending && p.AmountCents != amount:
			return p.Payment, false, errConflict(fmt.Sprintf("order %s has a pending payment of %d cents, not %d",
				orderNo, p.AmountCents, amount))
		case p.Status == payments.StatusPending:
			return p.Payment, false, nil
		}
	}
	id := "P" + randomHex(8)
	p := &payment{Payment: payments.Payment{ID: id, OrderNo: orderNo, Status: payments.StatusPending,
		AmountCents: amount, PayURL: publicURL + "/pay/" + id}, NotifyURL: req.NotifyURL, ReturnURL: req.ReturnURL,
		CreatedAt: time.Now().UTC()}
	s.byID[id], s.byOrder[orderNo] = p, p
	return p.Payment, true, nil
}

// get returns a copy of a payment by id.
func (s *store) get(id string) (payment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.byID[id]
	if !ok {
		return payment{}, false
	}
	return *p, true
}

// latest returns the order's latest payment.
func (s *store) latest(orderNo string) (payments.Payment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.byOrder[orderNo]
	if !ok {
		return payments.Payment{}, false
	}
	return p.Payment, true
}

// confirm pays a pending payment (or fails it while the decline switch is
// on). notify is set when the payment just succeeded: its notify URL and
// the switches to send with.
func (s *store) confirm(id string) (p payments.Payment, notify *notification, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.byID[id]
	if !ok {
		return p, nil, errNotFound(id)
	}
	switch q.Status {
	case payments.StatusSucceeded:
		return q.Payment, nil, nil
	case payments.StatusFailed:
		return q.Payment, nil, errConflict("payment " + id + " was declined; start a new payment")
	}
	if s.switches.Decline {
		q.Status = payments.StatusFailed
		return q.Payment, nil, errDeclined
	}
	q.Status, q.TxnID, q.PaidAt = payments.StatusSucceeded, newTxnID(), time.Now().UTC().Truncate(time.Millisecond)
	return q.Payment, &notification{url: q.NotifyURL, payment: q.Payment, sw: s.switches}, nil
}

// decline fails a pending payment; a paid one conflicts.
func (s *store) decline(id string) (payments.Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.byID[id]
	if !ok {
		return payments.Payment{}, errNotFound(id)
	}
	if q.Status == payments.StatusSucceeded {
		return q.Payment, errConflict("payment " + id + " is already paid")
	}
	q.Status = payments.StatusFailed
	return q.Payment, nil
}

// cancel fails the order's latest payment unless it succeeded, and returns
// it as it now is.
func (s *store) cancel(orderNo string) (payments.Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.byOrder[orderNo]
	if !ok {
		return payments.Payment{}, errNotFound("of order " + orderNo)
	}
	if q.Status == payments.StatusPending {
		q.Status = payments.StatusFailed
	}
	return q.Payment, nil
}

// notification is a notification to send once a payment succeeded.
type notification struct {
	url     string
	payment payments.Payment
	sw      Switches
}

func (s *store) getSwitches() Switches {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.switches
}

// updateSwitches applies change to the switches at once and returns
// them; out-of-range values change nothing.
func (s *store) updateSwitches(change func(*Switches)) (Switches, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sw := s.switches
	change(&sw)
	if sw.Duplicates < 0 || sw.Duplicates > 20 || sw.DelayMS < 0 || sw.DelayMS > 600_000 {
		return s.switches, errors.New("duplicates must be 0 to 20 and delay_ms 0 to 600000")
	}
	s.switches = sw
	return sw, nil
}

type errNotFound string

func (e errNotFound) Error() string { return "no payment " + string(e) }

// errDeclined is a confirmation refused by the decline switch.
var errDeclined = errors.New("the payment was declined")

// newTxnID returns a gateway transaction id: time-ordered and unique.
func newTxnID() string {
	return "T" + strconv.FormatInt(time.Now().UnixMilli(), 10) + randomHex(6)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
