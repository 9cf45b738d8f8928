//go:build integration

package timeouts_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// A closed session whose holds have all ended, with MySQL knowing them and
// every change, leaves the set the daemons watch and its hold and
// idempotency records are trimmed; one still on sale stays. A grab, pay or
// cancel of the trimmed session answers as before the trim.
func TestRetire(t *testing.T) {
	ctx := context.Background()
	closed := newFixture(t, testenv.SessionSpec{Seats: 3}, 1)
	open := newFixture(t, testenv.SessionSpec{Seats: 2}, 1)
	cancelled := map[*fixture]string{}
	for _, f := range []*fixture{closed, open} {
		no := f.grab(t, 0, f.sess.SeatIDs[0])
		if out, err := sale.Release(ctx, f.rdb, no, sale.ReleaseOpts{Reason: "cancelled"}); out != sale.Released {
			t.Fatalf("release = %s %v", out, err)
		}
		f.waitStatus(t, no, "CANCELLED")
		cancelled[f] = no
	}
	buyer := closed.edge.As(closed.buyers[0].Token)
	paid := closed.grab(t, 0, closed.sess.SeatIDs[1])
	r := buyer.Do(t, "POST", "/api/orders/"+paid+"/pay", nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("pay = %d %s", r.Status, r.Body)
	}
	testenv.ConfirmPayment(t, r.JSON["payment_id"].(string))
	closed.waitStatus(t, paid, "PAID")
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
		if trimmed, _ := closed.rdb.HGet(ctx, k.Key("meta"), sale.MetaTrimmed).Result(); trimmed == "" {
			t.Error("the trimmed session is not marked trimmed")
		}
		if n, _ := open.rdb.HLen(ctx, sale.KeysFor(open.sess.ID).Key("holds")).Result(); n != 1 {
			t.Errorf("the open session has %d hold records, want its 1", n)
		}
	})
	t.Run("Answers", func(t *testing.T) {
		closed.tryGrab(t, 0, closed.sess.SeatIDs[2]).WantError(t, http.StatusForbidden, "sale_not_open")
		for _, c := range []struct {
			verb, no string
			status   int
			order    string
		}{
			{"pay", cancelled[closed], http.StatusConflict, "CANCELLED"},
			{"cancel", cancelled[closed], http.StatusOK, "CANCELLED"},
			{"pay", paid, http.StatusConflict, "PAID"},
			{"cancel", paid, http.StatusConflict, "PAID"},
		} {
			r := buyer.Do(t, "POST", "/api/orders/"+c.no+"/"+c.verb, nil, nil)
			if r.Status != c.status || r.JSON["status"] != c.order {
				t.Errorf("%s of a %s order of a trimmed session = %d %s, want %d with status %s",
					c.verb, c.order, r.Status, r.Body, c.status, c.order)
			}
		}
	})
}
