package sale

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/lua"
)

// Recovered describes a finished recovery.
type Recovered struct {
	State string         `json:"state"`
	Seats map[string]int `json:"seats,omitempty"` // AVAILABLE, LOCKED, SOLD → seats (a rebuild)
	Holds map[string]int `json:"holds"`           // LOCKED, PAYING, SOLD, RELEASED → holds MySQL has
	Armed *Armed         `json:"arm,omitempty"`   // set when the session was rebuilt from nothing
	// A repair of a session the sale Redis partly lost:
	Repaired  int      `json:"repaired"`  // holds brought back to MySQL's word
	Displaced int      `json:"displaced"` // newer holds released for a seat MySQL gave another order
	Conflicts []string `json:"conflicts"` // "order:seat": a seat another order bought meanwhile
	Seq       int64    `json:"seq"`       // the session's change sequence afterwards
}

var (
	repairScript = lua.Script("repair")
	resumeScript = lua.Script("resume")
)

// Recover brings a session's sale state back to MySQL's word after the
// sale Redis lost it, wholly or in part: holds are the session's orders
// (sessionHolds in internal/mysql), applied the sequence MySQL has applied,
// conflicts MySQL's open integrity conflicts (their seats stay out of sale),
// run the server's run id (RunID) read before MySQL was: the session ends
// verified for that server.
//
// A session the sale Redis has no trace of is rebuilt: armed from plan with
// the live holds' seats (plan.Taken is replaced, so the two agree), the
// hold records and expiry queue written, then its sale state set (ARMED,
// ON_SALE or CLOSED). A session it still has is repaired in place (Repair),
// unless its records were trimmed (Retire): MySQL had all of it then.
// Either way it ends by raising the change sequence past applied and
// clearing the recovering flag. Holds already due are released by the
// timeouts daemon's next scan. The conflict hash becomes conflicts before
// grabs resume.
//
// It returns EINVALID for another state and EUNAVAILABLE if Redis is down.
func Recover(ctx context.Context, rdb goredis.UniversalClient, plan *boxoffice.ArmPlan, holds []boxoffice.Hold, conflicts []boxoffice.Conflict, applied int64, run string, fp float64) (*Recovered, error) {
	state := plan.Session.State
	switch state {
	case boxoffice.SessionArmed, boxoffice.SessionOnSale, boxoffice.SessionClosed:
	default:
		return nil, boxoffice.Errorf(boxoffice.EINVALID, "a session in state %s has no sale state to recover", state)
	}
	id := plan.Session.ID
	k := KeysFor(id)
	meta, err := rdb.HMGet(ctx, k.Key("meta"), "state", MetaTrimmed).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	rec := &Recovered{State: state, Holds: map[string]int{}, Conflicts: []string{}}
	for _, h := range holds {
		rec.Holds[h.State]++
	}
	switch {
	case meta[1] != nil: // trimmed once MySQL had it all: nothing was lost
	case meta[0] != nil:
		err = Repair(ctx, rdb, id, holds, applied, rec)
	default:
		err = rebuild(ctx, rdb, plan, holds, fp, rec)
	}
	if err != nil {
		return nil, err
	}
	if err := RestoreConflicts(ctx, rdb, id, conflicts); err != nil {
		return nil, err
	}
	rec.Seq, err = resumeScript.Run(ctx, rdb, k.keys("meta", "eventseq"), applied, run).Int64()
	if err != nil {
		return nil, unavailable(err)
	}
	return rec, nil
}

// rebuild arms a session the sale Redis lost wholly, from plan and holds.
func rebuild(ctx context.Context, rdb goredis.UniversalClient, plan *boxoffice.ArmPlan, holds []boxoffice.Hold, fp float64, rec *Recovered) error {
	var err error
	withHolds := *plan
	withHolds.Taken = takenBy(holds)
	if rec.Armed, err = Arm(ctx, rdb, &withHolds, fp); err != nil {
		return err
	}
	if err := writeHolds(ctx, rdb, KeysFor(plan.Session.ID), holds); err != nil {
		return unavailable(err)
	}
	if err := SetState(ctx, rdb, plan.Session.ID, rec.State); err != nil {
		return err
	}
	rec.Seats = seatTotals(plan.Seats, withHolds.Taken)
	return nil
}

// Repair runs repair.lua over holds (MySQL's word) in batches: each hold
// the sale Redis lacks or knows older gets MySQL's state, seats, counters,
// held count and expiry. The change sequence is raised to applied (MySQL's)
// first. It adds what it did to rec.
func Repair(ctx context.Context, rdb goredis.UniversalClient, id int64, holds []boxoffice.Hold, applied int64, rec *Recovered) error {
	k := KeysFor(id)
	keys := k.keys("seats", "tier", "counts", "held", "holds", "expiry", "outbox", "eventseq", "soldout",
		"index", "packed", "conflict")
	for start := 0; start < len(holds); start += batch / 4 {
		args := []any{id, applied}
		for _, h := range holds[start:min(start+batch/4, len(holds))] {
			raw, err := EncodeHold(h)
			if err != nil {
				return err
			}
			args = append(args, h.OrderNo, raw)
		}
		res, err := repairScript.Run(ctx, rdb, keys, args...).Slice()
		if err != nil {
			return unavailable(err)
		}
		n, _ := res[0].(int64)
		d, _ := res[1].(int64)
		rec.Repaired, rec.Displaced = rec.Repaired+int(n), rec.Displaced+int(d)
		conflicts, _ := res[2].([]any)
		for _, c := range conflicts {
			rec.Conflicts = append(rec.Conflicts, fmt.Sprint(c))
		}
	}
	return nil
}

// Verify marks session id checked against MySQL on the server of run id
// run, nothing lost: grabs go on (resume.lua, which also raises its change
// sequence to applied).
func Verify(ctx context.Context, rdb goredis.UniversalClient, id, applied int64, run string) error {
	if err := resumeScript.Run(ctx, rdb, KeysFor(id).keys("meta", "eventseq"), applied, run).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// MarkRecovering flags an armed session as being repaired: grabs answer
// 503 recovering (hold.lua, the edge) and timeouts releases nothing of it.
// It reports whether the session is armed in this Redis.
func MarkRecovering(ctx context.Context, rdb goredis.UniversalClient, id int64) (bool, error) {
	k := KeysFor(id).Key("meta")
	n, err := rdb.Exists(ctx, k).Result()
	if err == nil && n > 0 {
		err = rdb.HSet(ctx, k, "recovering", "1").Err()
	}
	if err != nil {
		return false, unavailable(err)
	}
	return n > 0, nil
}

// Recovering reports whether session id is flagged as being repaired.
func Recovering(ctx context.Context, rdb goredis.UniversalClient, id int64) (bool, error) {
	n, err := rdb.HExists(ctx, KeysFor(id).Key("meta"), "recovering").Result()
	if err != nil {
		return false, unavailable(err)
	}
	return n, nil
}

// Disputed reports whether session id is flagged as being repaired or any
// of seats is kept out of sale by an integrity conflict: what waits for
// the repair or an admin.
func Disputed(ctx context.Context, rdb goredis.UniversalClient, id int64, seats []int64) (bool, error) {
	k := KeysFor(id)
	fields := []string{"recovering"}
	for _, s := range seats {
		fields = append(fields, strconv.FormatInt(s, 10))
	}
	pipe := rdb.Pipeline()
	repairing := pipe.HMGet(ctx, k.Key("meta"), fields[0])
	flagged := pipe.HMGet(ctx, k.Key(KeyConflict), fields...) // "recovering" is never a seat
	if _, err := pipe.Exec(ctx); err != nil {
		return false, unavailable(err)
	}
	for _, v := range append(repairing.Val(), flagged.Val()...) {
		if v != nil {
			return true, nil
		}
	}
	return false, nil
}

// EventSeq reads session id's change sequence in the sale Redis.
func EventSeq(ctx context.Context, rdb goredis.UniversalClient, id int64) (int64, error) {
	seq, err := rdb.Get(ctx, KeysFor(id).Key("eventseq")).Int64()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, unavailable(err)
	}
	return seq, nil
}

// takenBy lists the seats of the live holds.
func takenBy(holds []boxoffice.Hold) []boxoffice.TakenSeat {
	var taken []boxoffice.TakenSeat
	for _, h := range holds {
		if h.State == boxoffice.HoldReleased {
			continue
		}
		for _, seat := range h.SeatIDs {
			taken = append(taken, boxoffice.TakenSeat{SeatID: seat, OrderNo: h.OrderNo, UserID: h.UserID, Sold: h.State == boxoffice.HoldSold})
		}
	}
	return taken
}

// writeHolds writes the hold records and the expiry queue in one MULTI, so
// an expiry entry never lacks its hold.
func writeHolds(ctx context.Context, rdb goredis.UniversalClient, k Keys, holds []boxoffice.Hold) error {
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
