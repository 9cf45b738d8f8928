package timeouts

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/sale"
)

// reconcileBatch is how many holds the reconciler reads, and looks up in
// MySQL, at once.
const reconcileBatch = 500

// Reconcile is one pass of the reconciler, under the global reconcile
// lease; it covers events Kafka lost. Every hold older than ReconcileGrace
// whose order has no row in MySQL gets its events (hold.created, and its
// final event if it ended) written to its session's outbox again, so the
// orders daemon writes the row; a hold that ended (sold or released) more
// than ReconcileGrace ago while its row is still LOCKED or PAYING gets its
// final event again. An order is re-emitted again only after a wait that
// doubles each time (ReconcileGrace at first), so a long Kafka outage does
// not flood the outbox.
func (s *Service) Reconcile(ctx context.Context) error {
	l, ok, err := s.holdGlobal(ctx, "reconcile", s.set.ReconcileEvery)
	if err != nil || !ok {
		return err
	}
	sids, err := sale.ActiveSessions(ctx, s.rdb)
	if err != nil {
		return err
	}
	s.emits.prune(time.Now(), s.set.ReconcileGrace)
	var errs []error
	for _, sid := range sids {
		if ctx.Err() != nil || !l.keep(ctx) {
			break
		}
		settled, err := s.reconcileSession(ctx, sid)
		if err == nil && settled {
			err = s.retire(ctx, sid)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("session %d: %w", sid, err))
		}
	}
	return errors.Join(errs...)
}

// retire drops a closed session whose holds MySQL has all settled from the
// sessions the daemons watch, so their work does not grow with history.
func (s *Service) retire(ctx context.Context, sid int64) error {
	retired, err := sale.Retire(ctx, s.rdb, sid)
	if retired {
		s.log.Info("retired a closed, settled session", "session", sid)
	}
	return err
}

// reconcileSession scans the holds of session sid in batches. It reports
// whether every hold has ended over a grace ago with MySQL knowing its end.
func (s *Service) reconcileSession(ctx context.Context, sid int64) (bool, error) {
	key := sale.KeysFor(sid).Key("holds")
	cutoff := time.Now().Add(-s.set.ReconcileGrace).UnixMilli()
	var cursor uint64
	var old []*boxoffice.Hold
	settled := true
	for {
		kv, next, err := s.rdb.HScan(ctx, key, cursor, "", reconcileBatch).Result()
		if err != nil {
			return false, fmt.Errorf("scan holds: %w", err)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			h, err := sale.DecodeHold(kv[i], kv[i+1])
			if err != nil {
				s.log.Warn("unreadable hold", "order_no", kv[i], "err", err)
				continue
			}
			if h.CreatedAt < cutoff {
				old = append(old, h)
			}
			if h.EndedAt == 0 || h.EndedAt >= cutoff {
				settled = false
			}
		}
		if len(old) >= reconcileBatch || next == 0 {
			done, err := s.reconcileBatch(context.WithoutCancel(ctx), old, cutoff)
			if err != nil {
				return false, err
			}
			settled = settled && done
			old = old[:0]
		}
		if next == 0 || ctx.Err() != nil {
			return settled && ctx.Err() == nil, nil
		}
		cursor = next
	}
}

// reconcileBatch compares holds with their order rows and re-emits what
// MySQL never heard of. It reports whether every row was there and final.
func (s *Service) reconcileBatch(ctx context.Context, holds []*boxoffice.Hold, cutoff int64) (bool, error) {
	if len(holds) == 0 {
		return true, nil
	}
	nos := make([]string, len(holds))
	for i, h := range holds {
		nos[i] = h.OrderNo
	}
	rows, err := mysql.OrderStatuses(ctx, s.db, nos)
	if err != nil {
		return false, err
	}
	now := time.Now()
	final := true
	for _, h := range holds {
		status, found := rows[h.OrderNo]
		if !found || status == boxoffice.OrderLocked || status == boxoffice.OrderPaying {
			final = false
		}
		events, kind := h.Events(), "order"
		switch {
		case !found:
		case (status == boxoffice.OrderLocked || status == boxoffice.OrderPaying) && h.EndedAt != 0 && h.EndedAt < cutoff:
			events, kind = events[1:], "final" // the row has the hold, not its end
		default:
			s.emits.forget(h.OrderNo)
			continue
		}
		if s.emits.allow(h.OrderNo, now, s.set.ReconcileGrace) {
			if err := s.reemit(ctx, h, kind, events); err != nil {
				return false, err
			}
		}
	}
	return final, nil
}

// reemit writes events of hold h to its session's outbox again; kind says
// which: "order" (all: the order has no row) or "final" (its end only).
func (s *Service) reemit(ctx context.Context, h *boxoffice.Hold, kind string, events []boxoffice.SaleEvent) error {
	for _, e := range events {
		if err := sale.Emit(ctx, s.rdb, e); err != nil {
			return err
		}
	}
	s.m.reemitted.WithLabelValues(kind).Inc()
	s.log.Info("re-emitted the events of a hold", "order_no", h.OrderNo, "state", h.State, "events", len(events), "kind", kind)
	return nil
}

// emitted remembers which orders were re-emitted and when, in memory.
type emitted struct {
	mu   sync.Mutex
	last map[string]emitRecord
}

type emitRecord struct {
	at    time.Time
	times int
}

// maxBackoff caps the doubling of the wait between re-emissions: 32 graces.
const maxBackoff = 5

// allow reports whether orderNo may be re-emitted now, and if so records
// it: the first time always, then after grace, 2×grace, 4×grace, ...
func (e *emitted) allow(orderNo string, now time.Time, grace time.Duration) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.last[orderNo]
	if ok && now.Sub(r.at) < grace<<min(r.times-1, maxBackoff) {
		return false
	}
	e.last[orderNo] = emitRecord{at: now, times: r.times + 1}
	return true
}

// forget drops orderNo: its row exists.
func (e *emitted) forget(orderNo string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.last, orderNo)
}

// prune drops records older than the longest wait, so the memory stays
// bounded by the orders re-emitted lately.
func (e *emitted) prune(now time.Time, grace time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for no, r := range e.last {
		if now.Sub(r.at) > 2*grace<<maxBackoff {
			delete(e.last, no)
		}
	}
}
