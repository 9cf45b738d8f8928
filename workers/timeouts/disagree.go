package timeouts

import (
	"context"
	"errors"
	"fmt"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/sale"
)

// disagreements raises the integrity conflicts among holds (one session's,
// older than the grace), given their orders' statuses in MySQL: a hold the
// sale Redis released that MySQL has PAID, one it sold that MySQL has
// cancelled, and seats it holds for one order that MySQL gives to another
// live order. Each is counted once (integrity.Recorder).
func (s *Service) disagreements(ctx context.Context, holds []*boxoffice.Hold, statuses map[string]string) error {
	var held []*boxoffice.Hold
	var errs []error
	for _, h := range holds {
		status, found := statuses[h.OrderNo]
		switch {
		case h.State == boxoffice.HoldReleased && status == boxoffice.OrderPaid:
			errs = append(errs, s.raise(ctx, h, boxoffice.ConflictReleaseOfPaid, "", "the order is PAID", h.SeatIDs))
		case h.State == boxoffice.HoldSold && found && !boxoffice.LiveStatus(status):
			errs = append(errs, s.raise(ctx, h, boxoffice.ConflictSaleOfCancelled, "", "the order is "+status, h.SeatIDs))
		case h.State != boxoffice.HoldReleased:
			held = append(held, h)
		}
	}
	return errors.Join(append(errs, s.seatsTaken(ctx, held))...)
}

// seatsTaken raises a seat_taken conflict for the seats of holds that
// MySQL gives to another live order, unless the sale Redis released that
// order and MySQL is yet to hear of it.
func (s *Service) seatsTaken(ctx context.Context, holds []*boxoffice.Hold) error {
	if len(holds) == 0 {
		return nil
	}
	var seats []int64
	for _, h := range holds {
		seats = append(seats, h.SeatIDs...)
	}
	owners, err := mysql.SeatOwners(ctx, s.db, holds[0].SessionID, seats)
	if err != nil {
		return err
	}
	var errs []error
	for _, h := range holds {
		taken := map[mysql.SeatOwner][]int64{} // the other order (SeatID 0) → its seats
		for _, seat := range h.SeatIDs {
			if o, ok := owners[seat]; ok && o.OrderNo != h.OrderNo {
				o.SeatID = 0
				taken[o] = append(taken[o], seat)
			}
		}
		for o, seats := range taken {
			if behind, err := s.releaseInFlight(ctx, o); err != nil || behind {
				errs = append(errs, err)
				continue
			}
			side := fmt.Sprintf("the seats are order %s's, %s", o.OrderNo, o.Status)
			errs = append(errs, s.raise(ctx, h, boxoffice.ConflictSeatTaken, o.OrderNo, side, seats))
		}
	}
	return errors.Join(errs...)
}

// releaseInFlight reports whether the sale Redis released o, an order
// MySQL has live but not PAID: its release has yet to reach MySQL.
func (s *Service) releaseInFlight(ctx context.Context, o mysql.SeatOwner) (bool, error) {
	if o.Status == boxoffice.OrderPaid {
		return false, nil
	}
	h, err := sale.GetHold(ctx, s.rdb, o.OrderNo)
	if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
		return false, nil
	}
	return err == nil && h.State == boxoffice.HoldReleased, err
}

// raise records that the sale Redis's hold h disagrees with MySQL (side)
// about seats; other is the order MySQL gives them to, if another.
func (s *Service) raise(ctx context.Context, h *boxoffice.Hold, kind, other, side string, seats []int64) error {
	c := boxoffice.Conflict{Kind: kind, OrderNo: h.OrderNo, OtherOrderNo: other,
		Detail: fmt.Sprintf("sale Redis: order %s is %s with seats %v; MySQL: %s", h.OrderNo, h.State, seats, side)}
	return s.conflicts.Raise(ctx, h.SessionID, c, seats)
}
