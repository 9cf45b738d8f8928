package timeouts

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
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
// final event again. An event still in the outbox (the relay has not
// published it yet) is in flight, not lost: it is not re-emitted. An order
// is re-emitted again only after a wait that doubles each time
// (ReconcileGrace at first), so a long Kafka outage does not flood the
// outbox. Per session, holds up to a watermark (all older ones found final
// in MySQL) are not looked up again. Where the two disagree for good (a
// release of a PAID order, a sale of a cancelled one, a seat MySQL gives
// another live order), an integrity conflict is raised (disagreements).
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
		settled, err := s.reconcileSession(ctx, sid, s.agreed.begin(sid, sids))
		if err == nil && settled {
			err = s.retire(ctx, sid)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("session %d: %w", sid, err))
		}
	}
	return errors.Join(errs...)
}

// retire drops a closed session whose holds MySQL has all settled, and
// whose every change MySQL has applied, from the sessions the daemons
// watch, and trims its records, so their work and the sale Redis's memory
// do not grow with history.
func (s *Service) retire(ctx context.Context, sid int64) error {
	applied, err := mysql.AppliedSeqs(ctx, s.db, []int64{sid})
	if err != nil {
		return err
	}
	if applied[sid].Lost > 0 {
		return nil // the loss check repairs it first
	}
	retired, err := sale.Retire(ctx, s.rdb, sid, applied[sid].Seq)
	if err != nil || !retired {
		return err
	}
	s.log.Info("retired a closed, settled session", "session", sid)
	return mysql.ForgetSeqs(ctx, s.db, sid)
}

// reconcileSession scans the holds of session sid in batches; a hold the
// memo has as agreed, unchanged, is not looked up again (agreed). It
// reports whether every hold has ended over a grace ago with MySQL knowing
// its end.
func (s *Service) reconcileSession(ctx context.Context, sid int64, memo *sessionMemo) (bool, error) {
	key := sale.KeysFor(sid).Key("holds")
	cutoff := time.Now().Add(-s.set.ReconcileGrace).UnixMilli()
	inFlight, err := s.oldestInFlight(ctx, sid)
	if err != nil {
		return false, err
	}
	mark := s.emits.watermark(sid)
	pending := int64(math.MaxInt64) // the oldest hold MySQL does not have final
	var final []int64               // creation times of holds MySQL has final
	var cursor uint64
	var old []*boxoffice.Hold
	var sums []uint64
	settled := true
	for {
		kv, next, err := s.rdb.HScan(ctx, key, cursor, "", reconcileBatch).Result()
		if err != nil {
			return false, fmt.Errorf("scan holds: %w", err)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			sum := memo.sum(kv[i+1])
			created, ended := int64(0), int64(0)
			if a, ok := memo.still(kv[i], sum); ok {
				created, ended = a.created, a.ended
				if created < cutoff && created > mark {
					if a.final {
						final = append(final, created)
					} else {
						pending = min(pending, created)
					}
				}
			} else if h, err := sale.DecodeHold(kv[i], kv[i+1]); err != nil {
				s.log.Warn("unreadable hold", "order_no", kv[i], "err", err)
				memo.forget(kv[i])
				continue
			} else {
				created, ended = h.CreatedAt, h.EndedAt
				switch {
				case created < cutoff && created > mark:
					old, sums = append(old, h), append(sums, sum)
				case created <= mark:
					memo.agree(h, sum, true) // final in MySQL, as the watermark says
				default:
					memo.forget(h.OrderNo) // too young to look up yet
				}
			}
			if ended == 0 || ended >= cutoff {
				settled = false
			}
		}
		if len(old) >= reconcileBatch || next == 0 {
			oldest, done, err := s.reconcileBatch(context.WithoutCancel(ctx), memo, old, sums, cutoff, inFlight)
			if err != nil {
				return false, err
			}
			pending, final = min(pending, oldest), append(final, done...)
			old, sums = old[:0], sums[:0]
		}
		if next == 0 || ctx.Err() != nil {
			if ctx.Err() != nil {
				return false, nil
			}
			memo.prune()
			s.emits.advance(sid, below(final, pending))
			return settled && pending == math.MaxInt64, nil
		}
		cursor = next
	}
}

// below returns the newest of times older than limit (0 if none).
func below(times []int64, limit int64) int64 {
	var out int64
	for _, t := range times {
		if t < limit {
			out = max(out, t)
		}
	}
	return out
}

// oldestInFlight returns the time (Unix ms) of the oldest entry of session
// sid's outbox, which the relay deletes once published: events from then on
// may still be in flight. math.MaxInt64 when the outbox is empty.
func (s *Service) oldestInFlight(ctx context.Context, sid int64) (int64, error) {
	first, err := s.rdb.XRangeN(ctx, sale.KeysFor(sid).Key("outbox"), "-", "+", 1).Result()
	if err != nil {
		return 0, fmt.Errorf("read the outbox: %w", err)
	}
	if len(first) == 0 {
		return math.MaxInt64, nil
	}
	return entryTime(first[0].ID), nil
}

// entryTime is the Unix ms of a stream entry id.
func entryTime(id string) int64 {
	ms, _, _ := strings.Cut(id, "-")
	n, _ := strconv.ParseInt(ms, 10, 64)
	return n
}

// reconcileBatch compares holds with their order rows and re-emits what
// MySQL never heard of, unless it may still be in flight (at or after
// inFlight); the memo learns which agree (sums: the holds' hashes). It
// returns the creation time of the oldest hold whose row is missing or not
// final (math.MaxInt64 if none) and those of the holds whose row is final.
func (s *Service) reconcileBatch(ctx context.Context, memo *sessionMemo, holds []*boxoffice.Hold, sums []uint64,
	cutoff, inFlight int64) (int64, []int64, error) {
	pending := int64(math.MaxInt64)
	var final []int64
	if len(holds) == 0 {
		return pending, nil, nil
	}
	nos := make([]string, len(holds))
	for i, h := range holds {
		nos[i] = h.OrderNo
	}
	rows, err := mysql.OrderStatuses(ctx, s.db, nos)
	if err == nil {
		err = s.disagreements(ctx, holds, rows)
	}
	if err != nil {
		return 0, nil, err
	}
	now := time.Now()
	for i, h := range holds {
		status, found := rows[h.OrderNo]
		live := status == boxoffice.OrderLocked || status == boxoffice.OrderPaying
		if !found || live {
			pending = min(pending, h.CreatedAt)
		} else {
			final = append(final, h.CreatedAt)
		}
		events, kind, at := h.Events(), "order", h.CreatedAt
		switch {
		case !found:
		case live && h.EndedAt != 0 && h.EndedAt < cutoff:
			events, kind, at = events[1:], "final", h.EndedAt // the row has the hold, not its end
		default:
			s.emits.forget(h.OrderNo)
			memo.agree(h, sums[i], !live)
			continue
		}
		memo.forget(h.OrderNo)
		if at < inFlight && s.emits.allow(h.OrderNo, now, s.set.ReconcileGrace, inFlight) {
			if err := s.reemit(ctx, h, kind, events); err != nil {
				return 0, nil, err
			}
		}
	}
	return pending, final, nil
}

// reemit writes events of hold h to its session's outbox again; kind says
// which: "order" (all: the order has no row) or "final" (its end only).
func (s *Service) reemit(ctx context.Context, h *boxoffice.Hold, kind string, events []boxoffice.SaleEvent) error {
	for _, e := range events {
		id, err := sale.Emit(ctx, s.rdb, e)
		if err != nil {
			return err
		}
		s.emits.sent(h.OrderNo, entryTime(id))
	}
	s.m.reemitted.WithLabelValues(kind).Inc()
	s.log.Info("re-emitted the events of a hold", "order_no", h.OrderNo, "state", h.State, "events", len(events), "kind", kind)
	return nil
}

// emitted remembers, in memory, which orders were re-emitted and when, and
// per session the watermark: every hold created up to it is final in MySQL.
type emitted struct {
	mu      sync.Mutex
	last    map[string]emitRecord
	settled map[int64]int64 // session → Unix ms
}

// watermark returns session sid's watermark (0 before the first pass).
func (e *emitted) watermark(sid int64) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.settled[sid]
}

// advance moves session sid's watermark up to ms (never back).
func (e *emitted) advance(sid, ms int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.settled == nil {
		e.settled = map[int64]int64{}
	}
	e.settled[sid] = max(e.settled[sid], ms)
}

type emitRecord struct {
	at    time.Time
	times int
	entry int64 // Unix ms of the last re-emitted outbox entry
}

// maxBackoff caps the doubling of the wait between re-emissions: 32 graces.
const maxBackoff = 5

// allow reports whether orderNo may be re-emitted now, and if so records
// it: the first time always, then after grace, 2×grace, 4×grace, ..., and
// never while its last re-emission may still be in the outbox (at or after
// inFlight, Unix ms).
func (e *emitted) allow(orderNo string, now time.Time, grace time.Duration, inFlight int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.last[orderNo]
	if ok && (now.Sub(r.at) < grace<<min(r.times-1, maxBackoff) || r.entry >= inFlight) {
		return false
	}
	e.last[orderNo] = emitRecord{at: now, times: r.times + 1}
	return true
}

// sent records the outbox entry time of orderNo's re-emission.
func (e *emitted) sent(orderNo string, entry int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r, ok := e.last[orderNo]; ok {
		r.entry = max(r.entry, entry)
		e.last[orderNo] = r
	}
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
