package timeouts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/sale"
)

// sweepBatch is the most overdue orders of each status one sweep reads.
const sweepBatch = 500

// Sweep is one pass of the backstop sweep, under the global sweep lease:
// MySQL orders still LOCKED past their expiry or PAYING past their payment
// deadline (by more than SweepGrace, so the scan goes first). A hold the
// sale Redis still has in play is ended as the scan would; one it has lost
// entirely (in a session whose change sequence is not behind MySQL's, so
// not a loss the repair will undo) means no event will ever come, so the order is cancelled
// (TIMEOUT_CANCELLED, seats freed) directly in MySQL. A hold that has
// ended while its row did not hear of it is the reconciler's. An order of a
// session being repaired, or on a seat kept out of sale by an integrity
// conflict, is left alone: it waits for the repair or an admin.
func (s *Service) Sweep(ctx context.Context) error {
	l, ok, err := s.holdGlobal(ctx, "sweep", s.set.SweepEvery)
	if err != nil || !ok {
		return err
	}
	overdue, err := mysql.OverdueOrders(ctx, s.db, time.Now().Add(-s.set.SweepGrace), sweepBatch)
	if err != nil {
		return err
	}
	var errs []error
	for _, o := range overdue {
		if ctx.Err() != nil || !l.keep(ctx) {
			break
		}
		if err := s.sweepOne(context.WithoutCancel(ctx), o); err != nil {
			errs = append(errs, fmt.Errorf("order %s: %w", o.OrderNo, err))
		}
	}
	return errors.Join(errs...)
}

// sweepOne handles one overdue order.
func (s *Service) sweepOne(ctx context.Context, o mysql.OverdueOrder) error {
	disputed, err := sale.Disputed(ctx, s.rdb, o.SessionID, o.SeatIDs())
	if err != nil || disputed {
		return err
	}
	h, err := sale.GetHold(ctx, s.rdb, o.OrderNo)
	switch {
	case boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND:
		// A hold missing from a session the sale Redis lost changes of
		// is the repair's to bring back, even before the loss check has
		// flagged the session.
		if c, err := s.lost(ctx, []int64{o.SessionID}); err != nil || c.waits(o.SessionID) {
			return err
		}
		changed, err := mysql.CancelOverdue(ctx, s.db, o.OrderNo, boxoffice.ReasonTimeout)
		if changed {
			s.m.swept.WithLabelValues("cancelled").Inc()
			s.log.Info("cancelled an overdue order the sale Redis has no hold for", "order_no", o.OrderNo, "status", o.Status)
		}
		return err
	case err != nil:
		return err
	case h.State == boxoffice.HoldLocked || h.State == boxoffice.HoldPaying:
		kept, err := s.resolve(ctx, h, "sweep")
		if err == nil && !kept {
			s.m.swept.WithLabelValues("resolved").Inc()
		}
		return err
	}
	return nil
}
