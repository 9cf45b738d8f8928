//go:build integration

package sale_test

import (
	"context"
	"testing"
	"time"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

func TestReleaseConfirmPay(t *testing.T) {
	ctx := context.Background()
	rdb := client(t)
	p := plan(t, rdb, 6, nil, []int64{1, 2})
	p.Session.SaleOpensAt = time.Now().Add(-time.Minute)
	onSale(t, rdb, p) // holds last 10 minutes; testenv.Expire ends one
	sid := p.Session.ID
	k := sale.KeysFor(sid)
	orderOf := func(uid int64, key string, seats ...int64) string {
		t.Helper()
		a := grab(t, rdb, sid, uid, key, seats...)
		if a.Status != 201 {
			t.Fatalf("grab = %+v", a)
		}
		return a.Payload["order_no"].(string)
	}

	t.Run("ReleaseByOwner", func(t *testing.T) {
		no := orderOf(1, "a", 1, 2)
		if out, _ := sale.Release(ctx, rdb, no, sale.ReleaseOpts{Reason: "cancelled", Owner: 2}); out != sale.NotOwner {
			t.Errorf("release by another buyer = %s", out)
		}
		if out, err := sale.Release(ctx, rdb, no, sale.ReleaseOpts{Reason: "cancelled", Owner: 1}); out != sale.Released || err != nil {
			t.Fatalf("release = %s, %v", out, err)
		}
		if out, _ := sale.Release(ctx, rdb, no, sale.ReleaseOpts{Reason: "cancelled", Owner: 1}); out != sale.ReleasedAlready {
			t.Errorf("second release = %s", out)
		}
		seats := hash(t, rdb, k.Key("seats"))
		if seats["1"] != "A" || seats["2"] != "A" {
			t.Errorf("seats = %v", seats)
		}
		if held := hash(t, rdb, k.Key("held")); held["1"] != "" {
			t.Errorf("held = %v, want user 1 gone", held)
		}
		wantConsistent(t, rdb, sid)
		events, _ := rdb.XRange(ctx, k.Key("outbox"), "-", "+").Result()
		last := events[len(events)-1].Values
		if last["type"] != "hold.released" || last["reason"] != "cancelled" || last["order_no"] != no {
			t.Errorf("last event = %v", last)
		}
		if h, err := sale.GetHold(ctx, rdb, no); err != nil || h.State != boxoffice.HoldReleased || h.Reason != "cancelled" {
			t.Errorf("hold = %+v, %v", h, err)
		}
	})
	t.Run("TimeoutOnlyWhenDue", func(t *testing.T) {
		no := orderOf(1, "b", 3)
		if out, _ := sale.Release(ctx, rdb, no, sale.ReleaseOpts{Reason: "timeout", OnlyIfDue: true}); out != sale.NotDue {
			t.Errorf("early timeout = %s", out)
		}
		testenv.Expire(t, rdb, no)
		if out, _ := sale.Release(ctx, rdb, no, sale.ReleaseOpts{Reason: "timeout", OnlyIfDue: true}); out != sale.Released {
			t.Errorf("due timeout = %s", out)
		}
	})
	t.Run("PayThenConfirm", func(t *testing.T) {
		no := orderOf(2, "c", 4, 5)
		out, h, err := sale.MarkPaying(ctx, rdb, no, 2, time.Minute)
		if err != nil || out != "paying" || h.State != boxoffice.HoldPaying || h.PayDeadline == 0 {
			t.Fatalf("pay = %s %+v %v", out, h, err)
		}
		if out, _, _ := sale.MarkPaying(ctx, rdb, no, 1, time.Minute); out != sale.NotOwner {
			t.Errorf("pay by another buyer = %s", out)
		}
		testenv.Expire(t, rdb, no) // past the hold's expiry, not the payment deadline
		if out, _ := sale.Release(ctx, rdb, no, sale.ReleaseOpts{Reason: "timeout", OnlyIfDue: true}); out != sale.NotDue {
			t.Errorf("timeout of a paying hold before its deadline = %s", out)
		}
		if out, err := sale.Confirm(ctx, rdb, no, "txn-1"); out != "sold" || err != nil {
			t.Fatalf("confirm = %s %v", out, err)
		}
		if out, _ := sale.Confirm(ctx, rdb, no, "txn-1"); out != "sold_already" {
			t.Errorf("second confirm = %s", out)
		}
		if out, _ := sale.Release(ctx, rdb, no, sale.ReleaseOpts{Reason: "cancelled"}); out != "sold" {
			t.Errorf("release of a sold hold = %s", out)
		}
		seats := hash(t, rdb, k.Key("seats"))
		if seats["4"] != "S:"+no || seats["5"] != "S:"+no {
			t.Errorf("seats = %v", seats)
		}
		wantConsistent(t, rdb, sid)
	})
	t.Run("PayExpired", func(t *testing.T) {
		no := orderOf(2, "d", 6)
		testenv.Expire(t, rdb, no)
		if out, _, _ := sale.MarkPaying(ctx, rdb, no, 2, time.Minute); out != "expired" {
			t.Errorf("pay after expiry = %s", out)
		}
	})
	t.Run("ConfirmAfterRelease", func(t *testing.T) {
		no := orderOf(1, "e", 1)
		if out, _ := sale.Release(ctx, rdb, no, sale.ReleaseOpts{Reason: "cancelled"}); out != sale.Released {
			t.Fatal(out)
		}
		if out, _ := sale.Confirm(ctx, rdb, no, "late"); out != "released" {
			t.Errorf("confirm after release = %s", out)
		}
		if seats := hash(t, rdb, k.Key("seats")); seats["1"] != "A" {
			t.Errorf("seat 1 = %q, want it still available", seats["1"])
		}
	})
	t.Run("Events", func(t *testing.T) {
		entries, _ := rdb.XRange(ctx, k.Key("outbox"), "-", "+").Result()
		for _, e := range entries {
			if _, err := sale.EventFromStream(e.Values); err != nil {
				t.Errorf("entry %s: %v", e.ID, err)
			}
		}
	})
}
