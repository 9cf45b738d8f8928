//go:build integration

package sale_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// wantFull fails unless err is EUNAVAILABLE saying the sale Redis is full,
// without Redis's or a script's error text.
func wantFull(t *testing.T, what string, err error) {
	t.Helper()
	var e *boxoffice.Error
	if boxoffice.ErrorCode(err) != boxoffice.EUNAVAILABLE {
		t.Errorf("%s in a full Redis = %v, want unavailable", what, err)
	} else if e = err.(*boxoffice.Error); !strings.Contains(e.Message, "full") ||
		strings.Contains(e.Message, "OOM") || strings.Contains(e.Message, "script") {
		t.Errorf("%s in a full Redis says %q, want that the sale Redis is full, without Redis's error", what, e.Message)
	}
}

// In a full sale Redis (maxmemory, noeviction) every change answers
// EUNAVAILABLE and changes nothing.
func TestFullRedis(t *testing.T) {
	ctx := context.Background()
	rdb := testenv.PrivateRedis(t, 4<<20)
	p, no := oneHold(t, rdb)
	sid, k := p.Session.ID, sale.KeysFor(p.Session.ID)
	testenv.FillRedis(t, rdb)

	_, err := sale.Release(ctx, rdb, no, sale.ReleaseOpts{Reason: boxoffice.ReasonCancelled})
	wantFull(t, "release", err)
	_, _, err = sale.MarkPaying(ctx, rdb, no, 1, time.Minute)
	wantFull(t, "pay", err)
	_, err = sale.Confirm(ctx, rdb, no, "txn-1")
	wantFull(t, "confirm", err)
	wantFull(t, "close", sale.SetState(ctx, rdb, sid, boxoffice.SessionClosed))
	if h, err := sale.GetHold(ctx, rdb, no); err != nil || h.State != boxoffice.HoldLocked {
		t.Errorf("hold = %+v %v, want it LOCKED as before", h, err)
	}
	meta, seats := hash(t, rdb, k.Key("meta")), hash(t, rdb, k.Key("seats"))
	if meta["state"] != boxoffice.SessionOnSale || seats["1"] != "L:"+no {
		t.Errorf("state %s, seat 1 %s; want ON_SALE and L:%s as before", meta["state"], seats["1"], no)
	}
	wantConsistent(t, rdb, sid)
}

// An arm that fills the sale Redis halfway through deletes what it built:
// a failed arm leaves no staging keys taking memory.
func TestArmFillingRedis(t *testing.T) {
	ctx := context.Background()
	rdb := testenv.PrivateRedis(t, 4<<20)
	p := plan(t, rdb, 100_000, nil, []int64{1})
	_, err := sale.Arm(ctx, rdb, p, 0.001)
	wantFull(t, "arm", err)
	if staging, _ := rdb.Keys(ctx, sale.KeysFor(p.Session.ID).Staging("*")).Result(); len(staging) != 0 {
		t.Errorf("a failed arm left %v", staging)
	}
	if n, _ := rdb.Exists(ctx, sale.KeysFor(p.Session.ID).Key("meta")).Result(); n != 0 {
		t.Error("a failed arm armed the session")
	}
}
