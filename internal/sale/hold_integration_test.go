//go:build integration

package sale_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/sale"
	"boxoffice/lua"
)

var hold = lua.Script("hold")

type answer struct {
	Status  int
	Code    string
	Payload map[string]any
}

// grab runs the hold script the way the edge does.
func grab(t *testing.T, rdb *goredis.Client, sid, uid int64, key string, seats ...int64) answer {
	t.Helper()
	keys := sale.KeysFor(sid).Hold(uid, key)
	sorted := append([]int64(nil), seats...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	var canon []string
	for _, s := range sorted {
		canon = append(canon, strconv.FormatInt(s, 10))
	}
	args := []any{sid, uid, strings.Join(canon, ",")}
	for _, s := range seats {
		args = append(args, s)
	}
	res, err := hold.Run(context.Background(), rdb, keys, args...).Slice()
	if err != nil {
		t.Fatal(err)
	}
	a := answer{Status: int(res[0].(int64)), Code: res[1].(string)}
	if err := json.Unmarshal([]byte(res[2].(string)), &a.Payload); err != nil {
		t.Fatalf("payload %q: %v", res[2], err)
	}
	return a
}

// onSale arms a plan and opens it; the cleanup also drops the hot-path keys.
func onSale(t *testing.T, rdb *goredis.Client, p *boxoffice.ArmPlan) {
	t.Helper()
	ctx := context.Background()
	if _, err := sale.Arm(ctx, rdb, p, 0.001); err != nil {
		t.Fatal(err)
	}
	if err := sale.SetState(ctx, rdb, p.Session.ID, boxoffice.SessionOnSale); err != nil {
		t.Fatal(err)
	}
	k := sale.KeysFor(p.Session.ID)
	t.Cleanup(func() {
		rdb.Del(ctx, k.Key("holds"), k.Key("expiry"), k.Key("outbox"), k.Key("seq"))
	})
}

func TestHoldScript(t *testing.T) {
	ctx := context.Background()
	rdb := client(t)
	p := plan(t, rdb, 10, nil, []int64{1, 2, 3})
	p.Session.SaleOpensAt = time.Now().Add(-time.Minute)
	onSale(t, rdb, p)
	sid := p.Session.ID
	k := sale.KeysFor(sid)

	t.Run("OK", func(t *testing.T) {
		a := grab(t, rdb, sid, 1, "k1", 2, 1)
		if a.Status != 201 || a.Payload["amount_cents"] != float64(15000) || fmt.Sprint(a.Payload["seat_ids"]) != "[2 1]" {
			t.Fatalf("got %+v", a)
		}
		no := a.Payload["order_no"].(string)
		seats := hash(t, rdb, k.Key("seats"))
		if seats["1"] != "L:"+no || seats["2"] != "L:"+no {
			t.Errorf("seats = %v", seats)
		}
		wantConsistent(t, rdb, sid)
		if score, _ := rdb.ZScore(ctx, k.Key("expiry"), no).Result(); int64(score) != int64(a.Payload["expires_at"].(float64)) {
			t.Errorf("expiry score %v, want %v", score, a.Payload["expires_at"])
		}
		events, _ := rdb.XRange(ctx, k.Key("outbox"), "-", "+").Result()
		if len(events) != 1 || events[0].Values["type"] != "hold.created" || events[0].Values["order_no"] != no {
			t.Errorf("outbox = %v, want one hold.created for %s", events, no)
		}
	})
	t.Run("Replay", func(t *testing.T) {
		before, _ := rdb.XLen(ctx, k.Key("outbox")).Result()
		a := grab(t, rdb, sid, 1, "k1", 1, 2)
		if a.Status != 201 || a.Code != "replay" {
			t.Fatalf("got %+v, want the first answer replayed", a)
		}
		if after, _ := rdb.XLen(ctx, k.Key("outbox")).Result(); after != before {
			t.Errorf("replay wrote %d events", after-before)
		}
	})
	t.Run("ErrIdempotencyConflict", func(t *testing.T) {
		if a := grab(t, rdb, sid, 1, "k1", 3); a.Status != 422 || a.Code != "idempotency_conflict" {
			t.Errorf("got %+v", a)
		}
	})
	t.Run("ErrTaken", func(t *testing.T) {
		a := grab(t, rdb, sid, 2, "k2", 3, 1, 2)
		if a.Status != 409 || a.Code != "seat_unavailable" || fmt.Sprint(a.Payload["seat_ids"]) != "[1 2]" {
			t.Errorf("got %+v", a)
		}
		if seats := hash(t, rdb, k.Key("seats")); seats["3"] != "A" {
			t.Errorf("seat 3 = %q after a refused grab, want A", seats["3"])
		}
	})
	t.Run("ErrUnknownSeat", func(t *testing.T) {
		if a := grab(t, rdb, sid, 2, "k3", 3, 99); a.Status != 404 || fmt.Sprint(a.Payload["seat_ids"]) != "[99]" {
			t.Errorf("got %+v", a)
		}
	})
	t.Run("ErrNotReserved", func(t *testing.T) {
		if a := grab(t, rdb, sid, 77, "k4", 3); a.Status != 403 || a.Code != "not_eligible" {
			t.Errorf("got %+v", a)
		}
	})
	t.Run("ErrLimit", func(t *testing.T) {
		if a := grab(t, rdb, sid, 1, "k5", 3, 4, 5); a.Status != 403 || a.Code != "limit_exceeded" {
			t.Errorf("got %+v, want limit_exceeded (2 held + 3 > 4)", a)
		}
		if a := grab(t, rdb, sid, 3, "k6", 3, 4, 5, 6, 7); a.Status != 400 {
			t.Errorf("got %+v, want 400 for 5 seats over a limit of 4", a)
		}
	})
	t.Run("SoldOut", func(t *testing.T) {
		for i, seats := range [][]int64{{3, 4, 5, 6}, {7, 8, 9, 10}} {
			if a := grab(t, rdb, sid, int64(2+i), "all", seats...); a.Status != 201 {
				t.Fatalf("got %+v", a)
			}
		}
		if v, _ := rdb.Get(ctx, k.Key("soldout")).Result(); v != "1" {
			t.Errorf("soldout = %q, want 1", v)
		}
		wantConsistent(t, rdb, sid)
	})
}

func TestHoldScriptSaleNotOpen(t *testing.T) {
	rdb := client(t)
	p := plan(t, rdb, 2, nil, []int64{1})
	p.Session.SaleOpensAt = time.Now().Add(time.Hour)
	p.Session.SaleClosesAt = time.Now().Add(2 * time.Hour)
	onSale(t, rdb, p)
	a := grab(t, rdb, p.Session.ID, 1, "k", 1)
	if a.Status != 403 || a.Code != "sale_not_open" || a.Payload["opens_at"] != float64(p.Session.SaleOpensAt.UnixMilli()) {
		t.Errorf("got %+v", a)
	}
	if a := grab(t, rdb, 1<<50, 1, "k", 1); a.Status != 404 {
		t.Errorf("unknown session: got %+v", a)
	}
}
