//go:build integration

package sale_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/sale"
)

// The packed seat map equals the seat hash (and the conflict hash) after
// every step of a seeded random mix of holds, releases, sales, conflicts
// and re-arms, on a session whose seat ids have gaps.
func TestPackedMapFollowsSeats(t *testing.T) {
	ctx := context.Background()
	rdb := client(t)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))

	users := []int64{1, 2, 3, 4, 5, 6}
	p := plan(t, rdb, 0, nil, users)
	p.Session.SeatLimit = 6
	p.Session.SaleOpensAt = time.Now().Add(-time.Minute)
	for id := int64(10); len(p.Seats) < 41; id += 1 + rng.Int64N(3) {
		p.Seats = append(p.Seats, boxoffice.PlanSeat{ID: id, Tier: "A", Price: 100})
	}
	rng.Shuffle(len(p.Seats), func(i, j int) { p.Seats[i], p.Seats[j] = p.Seats[j], p.Seats[i] })
	onSale(t, rdb, p)
	sid := p.Session.ID
	wantPacked(t, rdb, p, "armed")

	var orders []string
	seat := func() int64 { return p.Seats[rng.IntN(len(p.Seats))].ID }
	for step := range 400 {
		var what string
		switch r := rng.IntN(100); {
		case r < 40:
			ids := []int64{seat()}
			if rng.IntN(2) == 0 {
				ids = append(ids, seat())
			}
			a := grab(t, rdb, sid, users[rng.IntN(len(users))], fmt.Sprint("k", step), ids...)
			if a.Status == 201 {
				orders = append(orders, a.Payload["order_no"].(string))
			}
			what = fmt.Sprintf("hold %v: %d", ids, a.Status)
		case r < 60 && len(orders) > 0:
			no := orders[rng.IntN(len(orders))]
			out, err := sale.Release(ctx, rdb, no, sale.ReleaseOpts{Reason: boxoffice.ReasonCancelled})
			what = fmt.Sprintf("release %s: %s %v", no, out, err)
		case r < 75 && len(orders) > 0:
			no := orders[rng.IntN(len(orders))]
			out, err := sale.Confirm(ctx, rdb, no, "txn-"+no)
			what = fmt.Sprintf("sell %s: %s %v", no, out, err)
		case r < 85:
			s := seat()
			err := sale.FlagConflict(ctx, rdb, sid, boxoffice.Conflict{Kind: boxoffice.ConflictSeatTaken}, []int64{s})
			what = fmt.Sprintf("flag %d: %v", s, err)
		case r < 92:
			s := seat()
			was, err := sale.ClearConflict(ctx, rdb, sid, s)
			what = fmt.Sprintf("clear %d: %v %v", s, was, err)
		default:
			what = "re-arm: " + rearm(t, rdb, p)
		}
		wantPacked(t, rdb, p, fmt.Sprintf("step %d (%s)", step, what))
		if t.Failed() {
			return
		}
	}
}

// rearm arms p again, as an admin does while the session is ARMED, and
// opens it again.
func rearm(t *testing.T, rdb *goredis.Client, p *boxoffice.ArmPlan) string {
	t.Helper()
	ctx := context.Background()
	if err := sale.SetState(ctx, rdb, p.Session.ID, boxoffice.SessionArmed); err != nil {
		t.Fatal(err)
	}
	armed, err := sale.Arm(ctx, rdb, p, 0.001)
	if err != nil {
		t.Fatal(err)
	}
	if err := sale.SetState(ctx, rdb, p.Session.ID, boxoffice.SessionOnSale); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("version %d, %d available", armed.Version, armed.Available)
}

// wantPacked checks every seat's packed code against its seat and conflict
// hash entries, and the seat order against the plan's ids.
func wantPacked(t *testing.T, rdb *goredis.Client, p *boxoffice.ArmPlan, when string) {
	t.Helper()
	ctx := context.Background()
	k := sale.KeysFor(p.Session.ID)
	packed, err := rdb.Get(ctx, k.Key(sale.KeyPacked)).Bytes()
	if err != nil {
		t.Fatalf("%s: packed map: %v", when, err)
	}
	seats, conflicts := hash(t, rdb, k.Key(sale.KeySeats)), hash(t, rdb, k.Key(sale.KeyConflict))
	ids := make([]int64, len(p.Seats))
	for i, s := range p.Seats {
		ids[i] = s.ID
	}
	order := sale.SeatOrder(ids)
	if want := (len(order) + 3) / 4; len(packed) != want {
		t.Errorf("%s: packed map is %d bytes, want %d", when, len(packed), want)
	}
	for i, id := range order {
		f := strconv.FormatInt(id, 10)
		_, out := conflicts[f]
		if got, want := sale.PackedAt(packed, i), sale.PackedCode(seats[f], out); got != want {
			t.Errorf("%s: seat %d (index %d) packed %d, want %d (seat %q, conflict %v)", when, id, i, got, want, seats[f], out)
		}
	}
	var runs [][2]int64
	raw, _ := rdb.Get(ctx, k.Key(sale.KeyOrder)).Result()
	if err := json.Unmarshal([]byte(raw), &runs); err != nil {
		t.Fatalf("%s: seat order %q: %v", when, raw, err)
	}
	var expanded []int64
	for _, r := range runs {
		for j := range r[1] {
			expanded = append(expanded, r[0]+j)
		}
	}
	if fmt.Sprint(expanded) != fmt.Sprint(order) {
		t.Errorf("%s: seat order %s expands to %v, want %v", when, raw, expanded, order)
	}
}

// A session armed by a version without packed maps (no index, map or
// order) sells on through the scripts; RebuildPacked then builds its map
// from the live seats, held, sold and kept out of sale alike, once.
func TestRebuildPacked(t *testing.T) {
	ctx := context.Background()
	rdb := client(t)
	p := plan(t, rdb, 0, nil, []int64{1, 2})
	for id := int64(3); len(p.Seats) < 11; id += 2 {
		p.Seats = append(p.Seats, boxoffice.PlanSeat{ID: id, Tier: "A", Price: 100})
	}
	onSale(t, rdb, p)
	sid, k := p.Session.ID, sale.KeysFor(p.Session.ID)
	if err := rdb.Del(ctx, k.Key(sale.KeyIndex), k.Key(sale.KeyPacked), k.Key(sale.KeyOrder)).Err(); err != nil {
		t.Fatal(err)
	}
	held := grab(t, rdb, sid, 1, "k1", 3)
	sold := grab(t, rdb, sid, 2, "k2", 5, 7)
	if held.Status != 201 || sold.Status != 201 {
		t.Fatalf("grabs = %+v, %+v", held, sold)
	}
	if out, err := sale.Confirm(ctx, rdb, sold.Payload["order_no"].(string), "txn"); err != nil || out != sale.Sold {
		t.Fatalf("confirm = %s, %v", out, err)
	}
	if err := sale.FlagConflict(ctx, rdb, sid, boxoffice.Conflict{Kind: boxoffice.ConflictSeatTaken}, []int64{9}); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.Exists(ctx, k.Key(sale.KeyPacked)).Result(); n != 0 {
		t.Fatalf("the scripts wrote a packed map without an index")
	}

	if got, err := sale.Unpacked(ctx, rdb, []int64{sid}); err != nil || fmt.Sprint(got) != fmt.Sprint([]int64{sid}) {
		t.Fatalf("Unpacked = %v, %v, want the session", got, err)
	}
	if built, err := sale.RebuildPacked(ctx, rdb, sid); err != nil || !built {
		t.Fatalf("RebuildPacked = %v, %v, want built", built, err)
	}
	wantPacked(t, rdb, p, "rebuilt")
	if got, err := sale.Unpacked(ctx, rdb, []int64{sid}); err != nil || len(got) != 0 {
		t.Errorf("Unpacked after the rebuild = %v, %v, want none", got, err)
	}
	if built, err := sale.RebuildPacked(ctx, rdb, sid); err != nil || built {
		t.Errorf("second RebuildPacked = %v, %v, want nothing built", built, err)
	}
	if out, err := sale.Release(ctx, rdb, held.Payload["order_no"].(string), sale.ReleaseOpts{Reason: boxoffice.ReasonCancelled}); err != nil || out != sale.Released {
		t.Fatalf("release = %s, %v", out, err)
	}
	wantPacked(t, rdb, p, "released after the rebuild")
}
