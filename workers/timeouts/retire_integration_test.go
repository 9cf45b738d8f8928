//go:build integration

package timeouts_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// A closed session whose holds have all ended, with MySQL knowing, leaves
// the set the daemons watch; one still on sale stays.
func TestRetire(t *testing.T) {
	ctx := context.Background()
	closed := newFixture(t, testenv.SessionSpec{Seats: 2}, 1)
	open := newFixture(t, testenv.SessionSpec{Seats: 2}, 1)
	for _, f := range []*fixture{closed, open} {
		no := f.grab(t, 0, f.sess.SeatIDs[0])
		if out, err := sale.Release(ctx, f.rdb, no, sale.ReleaseOpts{Reason: "cancelled"}); out != sale.Released {
			t.Fatalf("release = %s %v", out, err)
		}
		f.waitStatus(t, no, "CANCELLED")
	}
	admin := testenv.Admin(t)
	if r := admin.Do(t, "POST", fmt.Sprintf("/admin/api/sessions/%d/close", closed.sess.ID), nil, nil); r.Status != 200 {
		t.Fatalf("close = %d %s", r.Status, r.Body)
	}
	member := func(id int64) bool {
		ok, err := closed.rdb.SIsMember(ctx, sale.Sessions, strconv.FormatInt(id, 10)).Result()
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	testenv.Eventually(t, testenv.Settle, "the closed session retired", func() (bool, string) {
		return !member(closed.sess.ID), "the closed, settled session is still watched"
	})
	if !member(open.sess.ID) {
		t.Error("the session still on sale was retired")
	}
	t.Run("Trimmed", func(t *testing.T) {
		k := sale.KeysFor(closed.sess.ID)
		idem, _ := closed.rdb.Keys(ctx, k.Key("idem:")+"*").Result()
		if n, _ := closed.rdb.Exists(ctx, k.Key("holds")).Result(); n != 0 || len(idem) != 0 {
			t.Errorf("after retirement: holds kept = %d, idempotency records %d; want none", n, len(idem))
		}
		if n, _ := open.rdb.HLen(ctx, sale.KeysFor(open.sess.ID).Key("holds")).Result(); n != 1 {
			t.Errorf("the open session has %d hold records, want its 1", n)
		}
	})
}
