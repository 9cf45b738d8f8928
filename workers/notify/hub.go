package notify

import (
	"boxoffice/internal/boxoffice"
	"errors"
	"sync"
)

// Hub errors from Subscribe.
var (
	ErrFull   = errors.New("too many open streams")
	ErrClosed = errors.New("shutting down")
)

// Sub is one open stream: the frames for one session or one buyer.
type Sub struct {
	kind string
	id   int64
	c    chan []byte
	gone chan struct{}
	once sync.Once
}

// Frames delivers the SSE frames to write, in order.
func (s *Sub) Frames() <-chan []byte { return s.c }

// Done is closed when the stream must end: the subscriber fell behind by a
// whole buffer, or the hub closed.
func (s *Sub) Done() <-chan struct{} { return s.gone }

// end closes Done once; it reports whether this call closed it.
func (s *Sub) end() bool {
	ended := false
	s.once.Do(func() { close(s.gone); ended = true })
	return ended
}

type subKey struct {
	kind string
	id   int64
}

// Hub fans sale events out to the open streams. Publishing never blocks:
// each stream has a bounded buffer, and a stream whose buffer is full is
// ended (its client reconnects), so a slow client costs only itself.
type Hub struct {
	max     int
	buffer  int
	metrics *Metrics

	mu     sync.RWMutex
	subs   map[subKey]map[*Sub]struct{}
	n      int
	closed bool
}

// NewHub returns a hub of at most max streams, each buffering up to
// buffer frames.
func NewHub(max, buffer int, m *Metrics) *Hub {
	return &Hub{max: max, buffer: buffer, metrics: m, subs: map[subKey]map[*Sub]struct{}{}}
}

// Subscribe opens a stream of kind (StreamSession or StreamUser) for the
// session or user id. It returns ErrFull at the limit and ErrClosed once
// the hub is closed.
func (h *Hub) Subscribe(kind string, id int64) (*Sub, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	if h.n >= h.max {
		h.metrics.Rejected.Inc()
		return nil, ErrFull
	}
	s := &Sub{kind: kind, id: id, c: make(chan []byte, h.buffer), gone: make(chan struct{})}
	k := subKey{kind, id}
	if h.subs[k] == nil {
		h.subs[k] = map[*Sub]struct{}{}
	}
	h.subs[k][s] = struct{}{}
	h.n++
	h.metrics.Subscribers.WithLabelValues(kind).Inc()
	return s, nil
}

// Unsubscribe removes s; removing it twice is harmless.
func (h *Hub) Unsubscribe(s *Sub) {
	s.end()
	h.mu.Lock()
	defer h.mu.Unlock()
	k := subKey{s.kind, s.id}
	if _, ok := h.subs[k][s]; !ok {
		return
	}
	delete(h.subs[k], s)
	if len(h.subs[k]) == 0 {
		delete(h.subs, k)
	}
	h.n--
	h.metrics.Subscribers.WithLabelValues(s.kind).Dec()
}

// Publish queues e to the streams of its session and of its buyer.
func (h *Hub) Publish(e boxoffice.SaleEvent) {
	seats, order := seatsFrame(e), orderFrame(e)
	h.mu.RLock()
	defer h.mu.RUnlock()
	if seats != nil {
		h.deliver(subKey{StreamSession, e.SessionID}, seats)
	}
	if order != nil {
		h.deliver(subKey{StreamUser, e.UserID}, order)
	}
}

// deliver queues f to every stream of k without waiting; a stream whose
// buffer is full is ended. The caller holds the read lock.
func (h *Hub) deliver(k subKey, f []byte) {
	queued, dropped := 0, 0
	for s := range h.subs[k] {
		select {
		case <-s.gone:
			continue
		default:
		}
		select {
		case s.c <- f:
			queued++
		default:
			if s.end() {
				dropped++
			}
		}
	}
	h.metrics.FannedOut.WithLabelValues(k.kind).Add(float64(queued))
	if dropped > 0 {
		h.metrics.Dropped.WithLabelValues(k.kind).Add(float64(dropped))
	}
}

// Close ends every stream and refuses new ones.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, subs := range h.subs {
		for s := range subs {
			s.end()
		}
	}
}

// Len returns the number of open streams.
func (h *Hub) Len() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.n
}
