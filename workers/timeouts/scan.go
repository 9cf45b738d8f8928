package timeouts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/payments"
	"boxoffice/internal/sale"
)

// scanBatch is how many due orders one read of an expiry queue returns.
const scanBatch = 200

// Scan is one pass of the expiry scan: for every session with due entries
// in its expiry queue, under the session's lease, it ends each due hold:
// a LOCKED one is released; a PAYING one is confirmed if the gateway says
// it was paid, else released. Sessions whose lease another process holds
// are left to it, and sessions being repaired to the repair (Recover).
func (s *Service) Scan(ctx context.Context) error {
	sids, err := sale.ActiveSessions(ctx, s.rdb)
	if err != nil {
		return err
	}
	now, err := s.rdb.Time(ctx).Result()
	if err != nil {
		return fmt.Errorf("read the sale Redis clock: %w", err)
	}
	due, err := s.sessionsDue(ctx, sids, now)
	if err != nil {
		return err
	}
	// A session whose sale Redis lost changes, or that was not checked
	// since it started, is left to the loss check.
	c, err := s.lost(ctx, due)
	if err != nil {
		return err
	}
	due = slices.DeleteFunc(due, c.waits)
	var errs []error
	for _, sid := range due {
		if ctx.Err() != nil {
			break
		}
		if err := s.scanSession(ctx, sid, now); err != nil {
			errs = append(errs, fmt.Errorf("session %d: %w", sid, err))
		}
	}
	return errors.Join(errs...)
}

// sessionsDue returns the sessions whose expiry queue has an entry due by
// now, in one round trip.
func (s *Service) sessionsDue(ctx context.Context, sids []int64, now time.Time) ([]int64, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*goredis.StringSliceCmd, len(sids))
	for i, sid := range sids {
		cmds[i] = pipe.ZRangeByScore(ctx, sale.KeysFor(sid).Key("expiry"), dueBy(now, 0, 1))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("read the expiry queues: %w", err)
	}
	var out []int64
	for i, c := range cmds {
		if len(c.Val()) > 0 {
			out = append(out, sids[i])
		}
	}
	return out, nil
}

func dueBy(now time.Time, offset, count int64) *goredis.ZRangeBy {
	return &goredis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Offset: offset, Count: count}
}

// scanSession ends the due holds of session sid under its lease. Entries
// that stay due (a silent gateway) are skipped by offset, so they never
// block the ones behind them.
func (s *Service) scanSession(ctx context.Context, sid int64, now time.Time) error {
	k := sale.KeysFor(sid)
	l, ok, err := s.leases.take(ctx, k.Key("lease:timeouts"), 3*s.set.ScanEvery)
	if err != nil || !ok {
		if err == nil {
			s.m.contention.WithLabelValues("session").Inc()
		}
		return err
	}
	defer l.release()
	var skipped int64
	for {
		nos, err := s.rdb.ZRangeByScore(ctx, k.Key("expiry"), dueBy(now, skipped, scanBatch)).Result()
		if err != nil {
			return fmt.Errorf("read the expiry queue: %w", err)
		}
		for _, no := range nos {
			if ctx.Err() != nil || !l.keep(ctx) {
				return nil
			}
			// The order in hand is finished even if shutdown begins.
			if kept, err := s.expireQueued(context.WithoutCancel(ctx), sid, no); err != nil || kept {
				skipped++
				if err != nil {
					s.log.Warn("expire hold", "order_no", no, "err", err)
				}
			}
		}
		if len(nos) < scanBatch {
			return nil
		}
	}
}

// expireQueued ends the due hold orderNo found in session sid's expiry
// queue; kept reports that it stays queued. An entry whose hold is missing
// or already ended is dropped from the queue.
func (s *Service) expireQueued(ctx context.Context, sid int64, orderNo string) (kept bool, err error) {
	h, err := sale.GetHold(ctx, s.rdb, orderNo)
	switch {
	case err == nil && (h.State == boxoffice.HoldLocked || h.State == boxoffice.HoldPaying):
		return s.resolve(ctx, h, "scan")
	case err != nil && boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND:
		return true, err
	}
	s.log.Warn("dropping a stale expiry entry", "order_no", orderNo, "hold_found", err == nil)
	return false, s.rdb.ZRem(ctx, sale.KeysFor(sid).Key("expiry"), orderNo).Err()
}

// resolve ends a due hold: a LOCKED one is released; a PAYING one is
// confirmed if the gateway says it was paid, else released; a silent
// gateway leaves it for a later pass (kept). Ended holds are left alone.
func (s *Service) resolve(ctx context.Context, h *boxoffice.Hold, source string) (kept bool, err error) {
	switch h.State {
	case boxoffice.HoldLocked:
		return s.release(ctx, h, source)
	case boxoffice.HoldPaying:
		return s.resolvePaying(ctx, h, source)
	}
	return false, nil
}

// release runs the release script for a due hold, reason timeout.
func (s *Service) release(ctx context.Context, h *boxoffice.Hold, source string) (kept bool, err error) {
	out, err := sale.Release(ctx, s.rdb, h.OrderNo, sale.ReleaseOpts{Reason: boxoffice.ReasonTimeout, OnlyIfDue: true})
	switch {
	case err != nil:
		return true, err
	case out == sale.Released:
		s.m.released.WithLabelValues(source).Inc()
		s.log.Debug("released", "order_no", h.OrderNo, "source", source)
	case out == sale.NotDue:
		return true, nil
	}
	return false, nil
}

// resolvePaying ends a PAYING hold past its deadline: it cancels the
// payment at the gateway (so it can no longer be paid), then settles it if
// it was paid first, else releases the hold.
func (s *Service) resolvePaying(ctx context.Context, h *boxoffice.Hold, source string) (kept bool, err error) {
	if time.Now().UnixMilli() < h.PayDeadline || s.gatewayDown() {
		return true, nil
	}
	p, err := s.gw.Cancel(ctx, h.OrderNo)
	switch {
	case boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND:
		return s.release(ctx, h, source)
	case err != nil:
		s.m.gatewayErrors.Inc()
		s.markGatewayDown()
		s.log.Warn("the payment gateway did not answer; the hold waits", "order_no", h.OrderNo, "err", err)
		return true, nil
	case p.Status != payments.StatusSucceeded:
		return s.release(ctx, h, source)
	}
	out, err := payments.Settle(ctx, s.db, s.rdb, *p)
	if boxoffice.ErrorCode(err) == boxoffice.EINVALID {
		// A payment that cannot settle this hold (wrong amount) does not pay it.
		s.log.Error("a paid payment does not settle its hold; releasing", "order_no", h.OrderNo, "err", err)
		return s.release(ctx, h, source)
	}
	if err != nil {
		return true, err
	}
	s.m.confirmed.WithLabelValues(source, string(out)).Inc()
	if out == payments.Conflict {
		s.log.Error("integrity conflict: a paid hold's seats are not all locked by it; releasing, the payment flagged for refund",
			"order_no", h.OrderNo, "txn", p.TxnID)
		return s.release(ctx, h, source)
	}
	s.log.Info("settled a payment past its deadline", "order_no", h.OrderNo, "txn", p.TxnID, "outcome", out)
	return false, nil
}
