//go:build integration

package sale_test

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

type answer = testenv.HoldAnswer

// grab runs the hold script the way the edge does.
func grab(t *testing.T, rdb goredis.UniversalClient, sid, uid int64, key string, seats ...int64) answer {
	t.Helper()
	a, err := testenv.RunHold(rdb, sid, uid, key, seats...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// onSale arms a plan and opens it; the cleanup also drops the hot-path keys.
func onSale(t *testing.T, rdb goredis.UniversalClient, p *boxoffice.ArmPlan) {
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

// oneHold puts a session of 4 seats on sale in rdb with buyer 1 holding
// seat 1; it returns the plan and the hold's order number.
func oneHold(t *testing.T, rdb goredis.UniversalClient) (*boxoffice.ArmPlan, string) {
	t.Helper()
	p := plan(t, rdb, 4, nil, []int64{1})
	onSale(t, rdb, p)
	a := grab(t, rdb, p.Session.ID, 1, "k1", 1)
	if a.Status != 201 {
		t.Fatalf("grab = %+v", a)
	}
	return p, a.Payload["order_no"].(string)
}

// granted reports whether the session's holders have buyer uid's grab
// with key: the 3 bits of its idempotency record's name, the first three
// 4-byte words of its SHA-1 mod the bitmap's size, as the edge reads them.
func granted(t *testing.T, rdb goredis.UniversalClient, k sale.Keys, uid int64, key string) bool {
	t.Helper()
	ctx := context.Background()
	n, err := rdb.StrLen(ctx, k.Key("holders")).Result()
	if err != nil || n == 0 {
		t.Fatalf("holders: %d bytes, %v", n, err)
	}
	sum := sha1.Sum([]byte(k.Idem(uid, key)))
	for i := 0; i < 12; i += 4 {
		bit, err := rdb.GetBit(ctx, k.Key("holders"), int64(binary.BigEndian.Uint32(sum[i:i+4]))%(8*n)).Result()
		if err != nil {
			t.Fatal(err)
		}
		if bit == 0 {
			return false
		}
	}
	return true
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
	t.Run("IdempotencyRecordExpires", func(t *testing.T) {
		ttl, err := rdb.PTTL(ctx, k.Idem(1, "k1")).Result()
		if err != nil || ttl <= 23*time.Hour || ttl > 24*time.Hour {
			t.Errorf("the idempotency record's time to live is %v (%v), want about 24 h", ttl, err)
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
	t.Run("Holders", func(t *testing.T) {
		if !granted(t, rdb, k, 1, "k1") || granted(t, rdb, k, 1, "k5") || granted(t, rdb, k, 2, "k2") {
			t.Errorf("holders: 1 k1 %v, 1 k5 %v, 2 k2 %v; want only the grab that was granted",
				granted(t, rdb, k, 1, "k1"), granted(t, rdb, k, 1, "k5"), granted(t, rdb, k, 2, "k2"))
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

// A full sale Redis (maxmemory, noeviction) refuses a grab with an error
// and writes nothing of it; refusals and replays, which write nothing,
// still answer.
func TestHoldScriptFullRedis(t *testing.T) {
	ctx := context.Background()
	rdb := testenv.PrivateRedis(t, 4<<20)
	p := plan(t, rdb, 10, nil, []int64{1, 2})
	onSale(t, rdb, p)
	sid, k := p.Session.ID, sale.KeysFor(p.Session.ID)
	if a := grab(t, rdb, sid, 1, "k1", 1); a.Status != 201 {
		t.Fatalf("grab before filling = %+v", a)
	}
	testenv.FillRedis(t, rdb)
	if a, err := testenv.RunHold(rdb, sid, 2, "k2", 2); err == nil {
		t.Fatalf("grab in a full Redis = %+v, want an error", a)
	}
	if seats := hash(t, rdb, k.Key("seats")); seats["2"] != "A" {
		t.Errorf("seat 2 = %q after a refused grab, want A", seats["2"])
	}
	if n, _ := rdb.Get(ctx, k.Key("eventseq")).Int64(); n != 1 {
		t.Errorf("eventseq = %d after a refused grab, want 1", n)
	}
	wantConsistent(t, rdb, sid)
	if a := grab(t, rdb, sid, 1, "k1", 1); a.Code != "replay" {
		t.Errorf("replay in a full Redis = %+v", a)
	}
	if a := grab(t, rdb, sid, 2, "k3", 1); a.Code != "seat_unavailable" {
		t.Errorf("grab of a taken seat in a full Redis = %+v", a)
	}
}
