//go:build integration

package sale_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/bloomfilter"
	"boxoffice/internal/boxoffice"
	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// testDB is the sale Redis database these tests use: not the daemons'
// (0), so the relay and timeouts of the test stack never see their
// sessions, which have no MySQL rows.
const testDB = 9

func client(t *testing.T) goredis.UniversalClient {
	t.Helper()
	rdb := redis.NewSale(testenv.Config(t))
	rdb.(*goredis.Client).Options().DB = testDB
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// plan makes a session with a random id far from real ones, seats 1..n
// alternating tiers A and B, and the given taken seats and reservations.
func plan(t *testing.T, rdb goredis.UniversalClient, n int, taken []boxoffice.TakenSeat, reserved []int64) *boxoffice.ArmPlan {
	t.Helper()
	id := int64(1e12) + rand.Int64N(1e12)
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := rdb.Keys(ctx, fmt.Sprintf("{s:%d}:*", id)).Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
		rdb.SRem(ctx, sale.Sessions, id)
	})
	now := time.Now().Truncate(time.Millisecond)
	p := &boxoffice.ArmPlan{Session: boxoffice.Session{ID: id, SeatLimit: 4, HoldSeconds: 600,
		SaleOpensAt: now, SaleClosesAt: now.Add(time.Hour)}, Taken: taken, Reserved: reserved}
	for i := 1; i <= n; i++ {
		tier, price := "A", int64(10000)
		if i%2 == 0 {
			tier, price = "B", 5000
		}
		p.Seats = append(p.Seats, boxoffice.PlanSeat{ID: int64(i), Tier: tier, Price: price})
	}
	return p
}

func hash(t *testing.T, rdb goredis.UniversalClient, key string) map[string]string {
	t.Helper()
	m, err := rdb.HGetAll(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// wantConsistent checks that the counters match the seat states.
func wantConsistent(t *testing.T, rdb goredis.UniversalClient, id int64) {
	t.Helper()
	problems, err := sale.Audit(context.Background(), rdb, id)
	if err != nil || len(problems) > 0 {
		t.Errorf("counters do not match the seats: %v %v", problems, err)
	}
}

func TestArm(t *testing.T) {
	ctx := context.Background()
	rdb := client(t)
	reserved := []int64{11, 12, 13, 14, 15}
	p := plan(t, rdb, 10, []boxoffice.TakenSeat{{SeatID: 3, OrderNo: "o3", UserID: 11, Sold: true}, {SeatID: 4, OrderNo: "o4", UserID: 11}}, reserved)
	armed, err := sale.Arm(ctx, rdb, p, 0.001)
	if err != nil {
		t.Fatal(err)
	}
	k := sale.KeysFor(p.Session.ID)
	seats := hash(t, rdb, k.Key("seats"))
	if len(seats) != 10 || seats["1"] != "A" || seats["3"] != "S:o3" || seats["4"] != "L:o4" {
		t.Errorf("seats = %v", seats)
	}
	if price := hash(t, rdb, k.Key("price")); price["1"] != "10000" || price["2"] != "5000" {
		t.Errorf("price = %v", price)
	}
	wantConsistent(t, rdb, p.Session.ID)
	if held := hash(t, rdb, k.Key("held")); held["11"] != "2" {
		t.Errorf("held = %v, want user 11 holding 2", held)
	}
	meta := hash(t, rdb, k.Key("meta"))
	if meta["state"] != "ARMED" || meta["limit"] != "4" || meta["hold_ms"] != "600000" ||
		meta["opens_at"] != strconv.FormatInt(p.Session.SaleOpensAt.UnixMilli(), 10) || meta["version"] != strconv.FormatInt(armed.Version, 10) {
		t.Errorf("meta = %v", meta)
	}
	members, _ := rdb.SMembers(ctx, k.Key("reserved")).Result()
	if len(members) != len(reserved) {
		t.Errorf("reserved = %v, want %v", members, reserved)
	}
	bits, _ := rdb.Get(ctx, k.Key("bloom")).Bytes()
	f := &bloomfilter.Filter{M: armed.BloomM, K: armed.BloomK, Bits: bits}
	for _, id := range reserved {
		if !f.Test(bloomfilter.Key(id)) {
			t.Errorf("bloom filter lacks reserved user %d", id)
		}
	}
	if meta["bloom_m"] != strconv.Itoa(int(armed.BloomM)) || meta["bloom_k"] != strconv.Itoa(int(armed.BloomK)) {
		t.Errorf("meta bloom m,k = %s,%s want %d,%d", meta["bloom_m"], meta["bloom_k"], armed.BloomM, armed.BloomK)
	}
	if n, _ := rdb.Exists(ctx, k.Key("soldout"), k.Staging("seats"), k.Staging("meta")).Result(); n != 0 {
		t.Errorf("%d of soldout and staging keys exist, want none", n)
	}
	again, err := sale.Arm(ctx, rdb, p, 0.001)
	if err != nil || again.Version != armed.Version+1 {
		t.Errorf("re-arm version = %v, %v; want %d", again, err, armed.Version+1)
	}
}

// A re-arm keeps each seat's live state: a seat sold in Redis stays sold,
// and one released in Redis stays available though MySQL still lists it.
func TestReArmKeepsLiveState(t *testing.T) {
	ctx := context.Background()
	rdb := client(t)
	p := plan(t, rdb, 6, nil, []int64{1})
	if _, err := sale.Arm(ctx, rdb, p, 0.001); err != nil {
		t.Fatal(err)
	}
	k := sale.KeysFor(p.Session.ID)
	rdb.HSet(ctx, k.Key("seats"), "1", "S:sold1")
	rdb.HIncrBy(ctx, k.Key("counts"), "avail:A", -1)
	rdb.HIncrBy(ctx, k.Key("counts"), "sold:A", 1)
	rdb.HIncrBy(ctx, k.Key("counts"), "avail", -1)
	rdb.HSet(ctx, k.Key("held"), "1", 1)
	rdb.SetBit(ctx, k.Key("holders"), 1, 1) // as a grant does

	p.Taken = []boxoffice.TakenSeat{{SeatID: 2, OrderNo: "stale", UserID: 9}} // released in Redis already
	armed, err := sale.Arm(ctx, rdb, p, 0.001)
	if err != nil {
		t.Fatal(err)
	}
	seats := hash(t, rdb, k.Key("seats"))
	if seats["1"] != "S:sold1" || seats["2"] != "A" {
		t.Errorf("seats = %v, want 1 sold and 2 available", seats)
	}
	if armed.Available != 5 {
		t.Errorf("available = %d, want 5", armed.Available)
	}
	if held := hash(t, rdb, k.Key("held")); held["1"] != "1" || held["9"] != "" {
		t.Errorf("held = %v, want the live counts", held)
	}
	if bit, _ := rdb.GetBit(ctx, k.Key("holders"), 1).Result(); bit != 1 {
		t.Error("the re-arm cleared the holders")
	}
	wantConsistent(t, rdb, p.Session.ID)
}

func TestArmSoldOut(t *testing.T) {
	rdb := client(t)
	p := plan(t, rdb, 2, []boxoffice.TakenSeat{{SeatID: 1, OrderNo: "a", UserID: 1, Sold: true}, {SeatID: 2, OrderNo: "b", UserID: 2}}, nil)
	armed, err := sale.Arm(context.Background(), rdb, p, 0.001)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := rdb.Get(context.Background(), sale.KeysFor(p.Session.ID).Key("soldout")).Result(); got != "1" || armed.Available != 0 {
		t.Errorf("soldout = %q, available = %d; want 1 and 0", got, armed.Available)
	}
	holders, _ := rdb.Get(context.Background(), sale.KeysFor(p.Session.ID).Key("holders")).Result()
	if holders != string(make([]byte, 1024)) {
		t.Errorf("holders of 2 seats: %d bytes, want 1024 empty ones", len(holders))
	}
}

// failAfter fails every pipeline after the first n.
type failAfter struct{ n int }

func (f *failAfter) DialHook(next goredis.DialHook) goredis.DialHook          { return next }
func (f *failAfter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook { return next }
func (f *failAfter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if f.n--; f.n < 0 {
			return errors.New("injected failure")
		}
		return next(ctx, cmds)
	}
}

// An arm that fails halfway leaves the previous state as it was.
func TestArmFailureKeepsOldState(t *testing.T) {
	ctx := context.Background()
	rdb := client(t)
	p := plan(t, rdb, 5000, nil, []int64{1, 2, 3})
	if _, err := sale.Arm(ctx, rdb, p, 0.001); err != nil {
		t.Fatal(err)
	}
	k := sale.KeysFor(p.Session.ID)
	before := map[string]map[string]string{}
	for _, name := range []string{"meta", "seats", "counts"} {
		before[name] = hash(t, rdb, k.Key(name))
	}
	broken := redis.NewSale(testenv.Config(t))
	broken.(*goredis.Client).Options().DB = testDB
	defer broken.Close()
	broken.AddHook(&failAfter{n: 1})
	p.Reserved = append(p.Reserved, 4)
	if _, err := sale.Arm(ctx, broken, p, 0.001); boxoffice.ErrorCode(err) != boxoffice.EUNAVAILABLE {
		t.Fatalf("Arm with a failing Redis = %v, want unavailable", err)
	}
	for name, want := range before {
		if got := hash(t, rdb, k.Key(name)); len(got) != len(want) || got["state"] != want["state"] || got["version"] != want["version"] {
			t.Errorf("%s changed after a failed arm", name)
		}
	}
	if n, _ := rdb.SCard(ctx, k.Key("reserved")).Result(); n != 3 {
		t.Errorf("reserved has %d members, want the old 3", n)
	}
}

func TestSetStateAndStats(t *testing.T) {
	ctx := context.Background()
	rdb := client(t)
	p := plan(t, rdb, 4, []boxoffice.TakenSeat{{SeatID: 1, OrderNo: "x", UserID: 1, Sold: true}}, []int64{1, 2})
	if err := sale.SetState(ctx, rdb, p.Session.ID, "ON_SALE"); boxoffice.ErrorCode(err) != boxoffice.ECONFLICT {
		t.Errorf("SetState before arming = %v, want conflict", err)
	}
	if _, err := sale.Arm(ctx, rdb, p, 0.001); err != nil {
		t.Fatal(err)
	}
	if err := sale.SetState(ctx, rdb, p.Session.ID, "ON_SALE"); err != nil {
		t.Fatal(err)
	}
	st, err := sale.LiveStats(ctx, rdb, p.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := sale.TierStats{Available: 3, Sold: 1}
	if st.State != "ON_SALE" || st.Total != want || st.Tiers["A"] != (sale.TierStats{Available: 1, Sold: 1}) || st.Reservations != 2 {
		t.Errorf("stats = %+v", st)
	}
}

// goLiveBeforeSwitch opens the session (as a concurrent open would) just
// before the arm's switch script runs.
type goLiveBeforeSwitch struct {
	rdb  goredis.UniversalClient
	meta string
}

func (g *goLiveBeforeSwitch) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (g *goLiveBeforeSwitch) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if name := cmd.Name(); name == "evalsha" || name == "eval" {
			if err := g.rdb.HSet(ctx, g.meta, "state", "ON_SALE").Err(); err != nil {
				return err
			}
		}
		return next(ctx, cmd)
	}
}
func (g *goLiveBeforeSwitch) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

// A session that is live in the sale Redis is never re-armed: not when
// the arm starts, and not when it goes live while the arm builds.
func TestArmRefusesLiveSession(t *testing.T) {
	ctx := context.Background()
	rdb := client(t)
	p := plan(t, rdb, 10, nil, []int64{1, 2})
	if _, err := sale.Arm(ctx, rdb, p, 0.001); err != nil {
		t.Fatal(err)
	}
	k := sale.KeysFor(p.Session.ID)
	seat := rdb.HSet(ctx, k.Key("seats"), "1", "L:live-order") // a hold only the sale Redis knows
	if seat.Err() != nil {
		t.Fatal(seat.Err())
	}
	t.Run("Racing", func(t *testing.T) {
		racing := redis.NewSale(testenv.Config(t))
		racing.(*goredis.Client).Options().DB = testDB
		defer racing.Close()
		racing.AddHook(&goLiveBeforeSwitch{rdb: rdb, meta: k.Key("meta")})
		if _, err := sale.Arm(ctx, racing, p, 0.001); boxoffice.ErrorCode(err) != boxoffice.ECONFLICT {
			t.Fatalf("Arm racing an open = %v, want conflict", err)
		}
	})
	t.Run("Live", func(t *testing.T) {
		if _, err := sale.Arm(ctx, rdb, p, 0.001); boxoffice.ErrorCode(err) != boxoffice.ECONFLICT {
			t.Fatalf("Arm of an ON_SALE session = %v, want conflict", err)
		}
	})
	if got := hash(t, rdb, k.Key("meta"))["state"]; got != "ON_SALE" {
		t.Errorf("state = %q, want ON_SALE", got)
	}
	if got := hash(t, rdb, k.Key("seats"))["1"]; got != "L:live-order" {
		t.Errorf("seat 1 = %q, want the live hold's L:live-order", got)
	}
	if n, _ := rdb.Exists(ctx, k.Staging("seats")).Result(); n != 0 {
		t.Error("a refused arm left its staging keys")
	}
}
