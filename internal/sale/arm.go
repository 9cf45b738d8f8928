package sale

import (
	"context"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/bloomfilter"
	"boxoffice/internal/boxoffice"
	"boxoffice/lua"
)

// Armed describes a finished arm.
type Armed struct {
	Version   int64         `json:"version"`
	Seats     int           `json:"seats"`
	Available int64         `json:"available"`
	Reserved  int           `json:"reserved"`
	BloomM    uint          `json:"bloom_m"`
	BloomK    uint          `json:"bloom_k"`
	Took      time.Duration `json:"-"`
}

var armSwitch = lua.Script("arm_switch")

// batch is how many fields or members go in one Redis command.
const batch = 2000

// Arm loads plan into the sale Redis under staging keys, then switches
// them in with one script. It fails with EUNAVAILABLE if Redis is down;
// a failure before the switch leaves the previous state untouched. A
// session the sale Redis has ON_SALE or CLOSED is never touched: ECONFLICT.
func Arm(ctx context.Context, rdb goredis.UniversalClient, plan *boxoffice.ArmPlan, fp float64) (*Armed, error) {
	began := time.Now()
	k := KeysFor(plan.Session.ID)
	if err := CheckArmable(ctx, rdb, plan.Session.ID); err != nil {
		return nil, err
	}
	run, err := RunID(ctx, rdb, plan.Session.ID)
	if err != nil {
		return nil, err
	}
	version, err := rdb.Incr(ctx, k.Key("arms")).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	staging := make([]string, len(Rebuilt))
	for i, name := range Rebuilt {
		staging[i] = k.Staging(name)
	}
	if err := rdb.Del(ctx, staging...).Err(); err != nil {
		return nil, unavailable(err)
	}
	filter := bloomfilter.Build(plan.Reserved, fp)
	avail, err := buildAndSwitch(ctx, rdb, k, staging, plan, filter, armMeta(plan.Session, filter, version, run))
	if err != nil || avail < 0 {
		rdb.Del(ctx, staging...) // frees what was built, even in a full Redis
	}
	if err != nil {
		return nil, unavailable(err)
	}
	if avail < 0 { // it went live while the staging keys were built
		return nil, CheckArmable(ctx, rdb, plan.Session.ID)
	}
	return &Armed{Version: version, Seats: len(plan.Seats), Available: avail, Reserved: len(plan.Reserved),
		BloomM: filter.M, BloomK: filter.K, Took: time.Since(began)}, nil
}

// buildAndSwitch builds the staging keys and switches them in; -1 when the
// session went live meanwhile.
func buildAndSwitch(ctx context.Context, rdb goredis.UniversalClient, k Keys, staging []string, plan *boxoffice.ArmPlan,
	f *bloomfilter.Filter, meta map[string]any) (int64, error) {
	if err := build(ctx, rdb, k, plan, f, meta); err != nil {
		return 0, err
	}
	keys := append(k.keys(Rebuilt...), staging...)
	return armSwitch.Run(ctx, rdb, append(keys, k.Key("soldout"), k.Key("conflict"))).Int64()
}

// CheckArmable fails with ECONFLICT if the sale Redis has session id past
// ARMED: its live sale state wins over MySQL's.
func CheckArmable(ctx context.Context, rdb goredis.UniversalClient, id int64) error {
	state, err := rdb.HGet(ctx, KeysFor(id).Key("meta"), "state").Result()
	switch {
	case err == goredis.Nil || (err == nil && state == boxoffice.SessionArmed):
		return nil
	case err != nil:
		return unavailable(err)
	}
	return boxoffice.Errorf(boxoffice.ECONFLICT,
		"session %d is %s in the sale Redis and cannot be re-armed; repeat its open or close to bring MySQL in line", id, state).
		With("current_state", state)
}

// build writes the staging keys in pipelined batches.
func build(ctx context.Context, rdb goredis.UniversalClient, k Keys, plan *boxoffice.ArmPlan, f *bloomfilter.Filter, meta map[string]any) error {
	taken := make(map[int64]boxoffice.TakenSeat, len(plan.Taken))
	held := map[string]int64{}
	for _, t := range plan.Taken {
		taken[t.SeatID] = t
		held[strconv.FormatInt(t.UserID, 10)]++
	}
	counts := map[string]int64{"avail": 0}
	for _, s := range plan.Seats {
		for _, kind := range []string{"avail", "locked", "sold"} {
			counts[kind+":"+s.Tier] += 0
		}
	}
	ids := make([]int64, len(plan.Seats))
	for i, s := range plan.Seats {
		ids[i] = s.ID
	}
	order := SeatOrder(ids)
	index := make(map[int64]int, len(order))
	for i, id := range order {
		index[id] = i
	}
	packed := make([]byte, (len(order)+3)/4)
	pipe := rdb.Pipeline()
	for start := 0; start < len(plan.Seats); start += batch {
		var seats, price, tier, idx []any
		for _, s := range plan.Seats[start:min(start+batch, len(plan.Seats))] {
			state := seatState(taken, s.ID)
			counts[kindOf(state)+":"+s.Tier]++
			if state == "A" {
				counts["avail"]++
			}
			setPacked(packed, index[s.ID], PackedCode(state, false))
			id := strconv.FormatInt(s.ID, 10)
			seats, price, tier = append(seats, id, state), append(price, id, s.Price), append(tier, id, s.Tier)
			idx = append(idx, id, index[s.ID])
		}
		pipe.HSet(ctx, k.Staging("seats"), seats...)
		pipe.HSet(ctx, k.Staging("price"), price...)
		pipe.HSet(ctx, k.Staging("tier"), tier...)
		pipe.HSet(ctx, k.Staging("index"), idx...)
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
	}
	pipe.Set(ctx, k.Staging("packed"), packed, 0)
	pipe.Set(ctx, k.Staging("order"), orderRuns(order), 0)
	// 8 bits a seat, 8192 at least; kept across re-arms, as the grants it
	// records stay.
	pipe.SetNX(ctx, k.Key(KeyHolders), make([]byte, max(len(order), 1024)), 0)
	for start := 0; start < len(plan.Reserved); start += 10 * batch {
		var members []any
		for _, id := range plan.Reserved[start:min(start+10*batch, len(plan.Reserved))] {
			members = append(members, id)
		}
		pipe.SAdd(ctx, k.Staging("reserved"), members...)
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
	}
	pipe.HSet(ctx, k.Staging("counts"), fields(counts)...)
	if len(held) > 0 {
		pipe.HSet(ctx, k.Staging("held"), fields(held)...)
	}
	pipe.Set(ctx, k.Staging("bloom"), f.Bits, 0)
	pipe.HSet(ctx, k.Staging("meta"), meta)
	pipe.SAdd(ctx, Sessions, plan.Session.ID)
	_, err := pipe.Exec(ctx)
	return err
}

func seatState(taken map[int64]boxoffice.TakenSeat, id int64) string {
	t, ok := taken[id]
	switch {
	case !ok:
		return "A"
	case t.Sold:
		return "S:" + t.OrderNo
	}
	return "L:" + t.OrderNo
}

// fields flattens a map into HSET's field, value arguments.
func fields(m map[string]int64) []any {
	out := make([]any, 0, 2*len(m))
	for k, v := range m {
		out = append(out, k, v)
	}
	return out
}

// armMeta is the meta of a session armed from MySQL on the server of run
// id run: verified for it.
func armMeta(s boxoffice.Session, f *bloomfilter.Filter, version int64, run string) map[string]any {
	return map[string]any{
		MetaVerified: run,
		"state":      boxoffice.SessionArmed,
		"opens_at":   s.SaleOpensAt.UnixMilli(),
		"closes_at":  s.SaleClosesAt.UnixMilli(),
		"limit":      s.SeatLimit,
		"hold_ms":    int64(s.HoldSeconds) * 1000,
		"version":    version,
		"bloom_m":    f.M,
		"bloom_k":    f.K,
	}
}

func kindOf(state string) string {
	switch state[0] {
	case 'L':
		return "locked"
	case 'S':
		return "sold"
	}
	return "avail"
}

// unavailable is err of the sale Redis as EUNAVAILABLE; a sale Redis that
// is full (refusing writes: maxmemory under noeviction) says so, without
// the script's error text.
func unavailable(err error) error {
	if oom(err) {
		return boxoffice.Errorf(boxoffice.EUNAVAILABLE, "the sale Redis is full and refuses changes; try again shortly")
	}
	return &boxoffice.Error{Code: boxoffice.EUNAVAILABLE, Message: fmt.Sprintf("sale Redis unavailable: %v", err)}
}
