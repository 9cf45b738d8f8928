package notify

import (
	"context"
	"sync"
	"time"
)

// Sessions answers whether a session exists, so a stream is opened only
// for a real one. It asks Lookup (MySQL) once per session and remembers:
// a session that exists for good (a deleted one only gets a silent
// stream), an id that does not for MissingTTL. Each memory is bounded and
// starts over when full.
type Sessions struct {
	Lookup     func(ctx context.Context, id int64) (bool, error)
	MissingTTL time.Duration // how long "no such session" is remembered (5 s)

	mu      sync.Mutex
	found   map[int64]bool
	missing map[int64]time.Time
}

// Most ids each memory holds before it starts over.
const maxRemembered = 100_000

// Exists reports whether session id exists; an error means Lookup failed.
func (s *Sessions) Exists(ctx context.Context, id int64) (bool, error) {
	now := time.Now()
	s.mu.Lock()
	found, until := s.found[id], s.missing[id]
	s.mu.Unlock()
	if found || now.Before(until) {
		return found, nil
	}
	ok, err := s.Lookup(ctx, id)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok {
		s.found = remember(s.found, id, true)
	} else {
		s.missing = remember(s.missing, id, now.Add(orDefault(s.MissingTTL, 5*time.Second)))
	}
	return ok, nil
}

func remember[V any](m map[int64]V, id int64, v V) map[int64]V {
	if m == nil || len(m) >= maxRemembered {
		m = map[int64]V{}
	}
	m[id] = v
	return m
}
