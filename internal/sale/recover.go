package sale

import (
	"context"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
)

// Recovered describes a finished recovery.
type Recovered struct {
	State string         `json:"state"`
	Seats map[string]int `json:"seats"` // AVAILABLE, LOCKED, SOLD → seats
	Holds map[string]int `json:"holds"` // LOCKED, PAYING, SOLD → holds
	Armed *Armed         `json:"arm"`
}

// Recover rebuilds a session's sale state after the sale Redis lost it,
// from MySQL's word: plan (seats, prices, reservations) and holds, the
// session's live orders (LOCKED, PAYING or SOLD). The seat states come
// from holds (plan.Taken is replaced), so the two always agree. It arms the
// session (seats, counters, held counts, sold-out flag), writes the hold
// records and the expiry queue (expires_at while LOCKED, pay_deadline while
// PAYING), then sets the sale state (ARMED, ON_SALE or CLOSED): the edge
// sells nothing until the end. Holds already due are released by the
// timeouts daemon's next scan.
//
// It returns EINVALID for another state or a hold in another state,
// ECONFLICT if the session still has seats or holds in the sale Redis
// (recovery would overwrite live state that MySQL may not have seen yet),
// and EUNAVAILABLE if Redis is down.
func Recover(ctx context.Context, rdb *goredis.Client, plan *boxoffice.ArmPlan, holds []boxoffice.Hold, state string, fp float64) (*Recovered, error) {
	switch state {
	case boxoffice.SessionArmed, boxoffice.SessionOnSale, boxoffice.SessionClosed:
	default:
		return nil, boxoffice.Errorf(boxoffice.EINVALID, "a session in state %s has no sale state to recover", state)
	}
	id := plan.Session.ID
	k := KeysFor(id)
	live, err := rdb.Exists(ctx, k.Key("meta"), k.Key("seats"), k.Key("holds")).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	if live > 0 {
		return nil, boxoffice.Errorf(boxoffice.ECONFLICT,
			"session %d still has state in the sale Redis; recovery rebuilds only a session the sale Redis lost", id)

	}
	rec := &Recovered{State: state, Holds: map[string]int{}}
	taken, err := takenBy(holds, rec.Holds)
	if err != nil {
		return nil, err
	}
	withHolds := *plan
	withHolds.Taken = taken
	if rec.Armed, err = Arm(ctx, rdb, &withHolds, fp); err != nil {
		return nil, err
	}
	if err := writeHolds(ctx, rdb, k, holds); err != nil {
		return nil, unavailable(err)
	}
	if err := SetState(ctx, rdb, id, state); err != nil {
		return nil, err
	}
	rec.Seats = seatTotals(plan.Seats, taken)
	return rec, nil
}

// takenBy lists the seats of holds and counts the holds by state.
func takenBy(holds []boxoffice.Hold, count map[string]int) ([]boxoffice.TakenSeat, error) {
	var taken []boxoffice.TakenSeat
	for _, h := range holds {
		switch h.State {
		case boxoffice.HoldLocked, boxoffice.HoldPaying, boxoffice.HoldSold:
		default:
			return nil, boxoffice.Errorf(boxoffice.EINVALID, "hold %s is %s; only live holds are recovered", h.OrderNo, h.State)
		}
		count[h.State]++
		for _, seat := range h.SeatIDs {
			taken = append(taken, boxoffice.TakenSeat{SeatID: seat, OrderNo: h.OrderNo, UserID: h.UserID, Sold: h.State == boxoffice.HoldSold})
		}
	}
	return taken, nil
}

// writeHolds writes the hold records and the expiry queue in one MULTI, so
// an expiry entry never lacks its hold.
func writeHolds(ctx context.Context, rdb *goredis.Client, k Keys, holds []boxoffice.Hold) error {
	for start := 0; start < len(holds); start += batch {
		pipe := rdb.TxPipeline()
		for _, h := range holds[start:min(start+batch, len(holds))] {
			raw, err := EncodeHold(h)
			if err != nil {
				return err
			}
			pipe.HSet(ctx, k.Key("holds"), h.OrderNo, raw)
			switch h.State {
			case boxoffice.HoldLocked:
				pipe.ZAdd(ctx, k.Key("expiry"), goredis.Z{Score: float64(h.ExpiresAt), Member: h.OrderNo})
			case boxoffice.HoldPaying:
				pipe.ZAdd(ctx, k.Key("expiry"), goredis.Z{Score: float64(h.PayDeadline), Member: h.OrderNo})
			}
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// seatTotals counts the plan's seats by state, as armed from taken.
func seatTotals(seats []boxoffice.PlanSeat, taken []boxoffice.TakenSeat) map[string]int {
	byID := make(map[int64]boxoffice.TakenSeat, len(taken))
	for _, t := range taken {
		byID[t.SeatID] = t
	}
	out := map[string]int{boxoffice.SeatAvailable: 0, boxoffice.SeatLocked: 0, boxoffice.SeatSold: 0}
	for _, s := range seats {
		switch state := seatState(byID, s.ID); state[0] {
		case 'A':
			out[boxoffice.SeatAvailable]++
		case 'L':
			out[boxoffice.SeatLocked]++
		default:
			out[boxoffice.SeatSold]++
		}
	}
	return out
}
