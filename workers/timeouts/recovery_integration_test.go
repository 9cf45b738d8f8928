//go:build integration

package timeouts_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/integrity"
	"boxoffice/internal/mysql"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// dumpSession snapshots every key of session sid (DUMP), as the sale
// Redis has them now.
func dumpSession(t *testing.T, rdb goredis.UniversalClient, sid int64) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range sale.Names {
		key := sale.KeysFor(sid).Key(name)
		if v, err := rdb.Dump(context.Background(), key).Result(); err == nil {
			out[key] = v
		} else if err != goredis.Nil {
			t.Fatal(err)
		}
	}
	return out
}

// restoreSession puts session sid's keys back to a snapshot in one MULTI:
// the sale Redis comes back with older data for the session.
func restoreSession(t *testing.T, rdb goredis.UniversalClient, sid int64, snap map[string]string) {
	t.Helper()
	ctx := context.Background()
	_, err := rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		for _, name := range sale.Names {
			key := sale.KeysFor(sid).Key(name)
			p.Del(ctx, key)
			if v, ok := snap[key]; ok {
				p.Restore(ctx, key, 0, v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("restore session %d: %v", sid, err)
	}
}

// TestLostChangesRepaired: the sale Redis comes back with a session as it
// was before a payment, a cancel and a grab that MySQL has. timeouts finds
// the session behind MySQL and repairs it by itself: the paid hold is SOLD
// again (not released to another buyer), the cancelled one RELEASED (its
// seat free), the lost grab LOCKED with its seat; the counters agree and
// grabs work again.
func TestLostChangesRepaired(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testenv.SessionSpec{Seats: 8, HoldSeconds: 900}, 6)
	seat := f.sess.SeatIDs
	paid, cancelled := f.grab(t, 0, seat[0]), f.grab(t, 1, seat[1])
	f.waitStatus(t, paid, boxoffice.OrderLocked)
	f.waitStatus(t, cancelled, boxoffice.OrderLocked)
	snap := dumpSession(t, f.rdb, f.sess.ID)

	if out, err := sale.Confirm(ctx, f.rdb, paid, "txn-"+testenv.Unique()); err != nil || out != sale.Sold {
		t.Fatalf("confirm %s = %s, %v", paid, out, err)
	}
	if out, err := sale.Release(ctx, f.rdb, cancelled, sale.ReleaseOpts{Reason: boxoffice.ReasonCancelled}); err != nil || out != sale.Released {
		t.Fatalf("cancel %s = %s, %v", cancelled, out, err)
	}
	lost := f.grab(t, 2, seat[2])
	f.waitStatus(t, paid, boxoffice.OrderPaid)
	f.waitStatus(t, cancelled, boxoffice.OrderCancelled)
	f.waitStatus(t, lost, boxoffice.OrderLocked)

	restoreSession(t, f.rdb, f.sess.ID, snap)
	f.waitHold(t, paid, boxoffice.HoldSold)
	f.waitHold(t, cancelled, boxoffice.HoldReleased)
	f.waitHold(t, lost, boxoffice.HoldLocked)
	testenv.Eventually(t, testenv.Settle, "the session resumed", func() (bool, string) {
		on, err := sale.Recovering(ctx, f.rdb, f.sess.ID)
		return err == nil && !on, fmt.Sprintf("recovering %v, %v", on, err)
	})
	want := map[int64]string{seat[0]: "S:" + paid, seat[1]: "A", seat[2]: "L:" + lost}
	seats := f.seats(t)
	for id, state := range want {
		if got := seats[fmt.Sprint(id)]; got != state {
			t.Errorf("seat %d is %q after the repair, want %q", id, got, state)
		}
	}
	f.wantConsistent(t)
	f.grabResumed(t, 3, seat[0]).WantError(t, http.StatusConflict, "seat_unavailable")
	testenv.WaitAvailable(t, f.sess.ID, seat[1]) // the edge's copy, read after the repair
	if r := f.tryGrab(t, 4, seat[1]); r.Status != http.StatusCreated {
		t.Errorf("grab of the freed seat after the repair = %d %s, want 201", r.Status, r.Body)
	}
}

// TestLossHiddenByNewGrabs: the sale Redis comes back older while
// timeouts is down, and new grabs take its change sequence past MySQL's
// before any check runs. The loss is still found, from the sequences the
// new grabs reuse, and repaired when timeouts starts: the paid hold is
// SOLD again, the lost grab LOCKED, the new grabs kept.
func TestLossHiddenByNewGrabs(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testenv.SessionSpec{Seats: 8, HoldSeconds: 900}, 6)
	seat := f.sess.SeatIDs
	paid := f.grab(t, 0, seat[0])
	f.waitStatus(t, paid, boxoffice.OrderLocked)
	snap := dumpSession(t, f.rdb, f.sess.ID)
	if out, err := sale.Confirm(ctx, f.rdb, paid, "txn-"+testenv.Unique()); err != nil || out != sale.Sold {
		t.Fatalf("confirm %s = %s, %v", paid, out, err)
	}
	lost := f.grab(t, 1, seat[1])
	f.waitStatus(t, paid, boxoffice.OrderPaid)
	f.waitStatus(t, lost, boxoffice.OrderLocked)

	if out, err := testenv.Run(t, "dev", "stop", "timeouts"); err != nil {
		t.Fatalf("dev stop timeouts: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = testenv.Run(t, "dev", "up") })
	restoreSession(t, f.rdb, f.sess.ID, snap)
	var fresh []string
	for i := range 3 {
		fresh = append(fresh, f.grab(t, 2+i, seat[2+i]))
	}
	for _, no := range fresh {
		f.waitStatus(t, no, boxoffice.OrderLocked)
	}
	have, err := sale.EventSeq(ctx, f.rdb, f.sess.ID)
	applied, err2 := mysql.AppliedSeqs(ctx, f.db, []int64{f.sess.ID})
	if err != nil || err2 != nil || have < applied[f.sess.ID].Seq {
		t.Fatalf("the sale Redis's sequence %d (%v) is behind MySQL's %d (%v): the loss is not hidden", have, err,
			applied[f.sess.ID].Seq, err2)
	}

	if out, err := testenv.Run(t, "dev", "up"); err != nil {
		t.Fatalf("dev up: %v\n%s", err, out)
	}
	f.waitHold(t, paid, boxoffice.HoldSold)
	f.waitHold(t, lost, boxoffice.HoldLocked)
	testenv.Eventually(t, testenv.Settle, "the session resumed, its loss cleared", func() (bool, string) {
		on, err := sale.Recovering(ctx, f.rdb, f.sess.ID)
		applied, err2 := mysql.AppliedSeqs(ctx, f.db, []int64{f.sess.ID})
		return err == nil && err2 == nil && !on && applied[f.sess.ID].Lost == 0,
			fmt.Sprintf("recovering %v, %v; lost %d, %v", on, err, applied[f.sess.ID].Lost, err2)
	})
	for _, no := range fresh {
		if h := testenv.Hold(t, f.rdb, no); h.State != boxoffice.HoldLocked {
			t.Errorf("new hold %s is %s after the repair, want LOCKED", no, h.State)
		}
	}
	f.wantConsistent(t)
	f.grabResumed(t, 5, seat[0]).WantError(t, http.StatusConflict, "seat_unavailable")
}

// TestRestartFencesGrabs: a sale Redis that restarts (here from its own
// disk; it could be an older one, or a replica) takes no grab until
// timeouts has checked its sessions against MySQL: grabs answer 503
// recovering while timeouts is down, and resume once it runs; the holds
// made before stay.
func TestRestartFencesGrabs(t *testing.T) {
	f := newFixture(t, testenv.SessionSpec{Seats: 4, HoldSeconds: 900}, 3)
	seat := f.sess.SeatIDs
	before := f.grab(t, 0, seat[0])
	for _, step := range [][]string{{"stop", "timeouts"}, {"kill", "sale-redis"}, {"start", "sale-redis"}} {
		if out, err := testenv.Run(t, append([]string{"dev"}, step...)...); err != nil {
			t.Fatalf("dev %v: %v\n%s", step, err, out)
		}
	}
	t.Cleanup(func() { _, _ = testenv.Run(t, "dev", "up") })
	testenv.Eventually(t, testenv.Settle, "the sale Redis loaded", func() (bool, string) {
		err := f.rdb.HGet(context.Background(), sale.KeysFor(f.sess.ID).Key("meta"), "state").Err()
		return err == nil, fmt.Sprint(err)
	})
	// The script, given the run id of the server as the edge gives it.
	if a, err := testenv.RunHold(f.rdb, f.sess.ID, f.buyers[1].ID, testenv.Unique(), seat[1]); err != nil ||
		a.Status != http.StatusServiceUnavailable || a.Code != "recovering" {
		t.Fatalf("hold.lua on the restarted sale Redis before any check = %+v, %v; want 503 recovering", a, err)
	}
	testenv.Eventually(t, testenv.Settle, "a grab answered 503 recovering", func() (bool, string) {
		r := f.tryGrab(t, 1, seat[1])
		if r.Status == http.StatusCreated {
			t.Fatalf("grab on the restarted sale Redis before any check = 201 %s", r.Body)
		}
		return r.Status == http.StatusServiceUnavailable && r.JSON["error"] == "recovering", fmt.Sprintf("%d %s", r.Status, r.Body)
	})
	if out, err := testenv.Run(t, "dev", "up"); err != nil {
		t.Fatalf("dev up: %v\n%s", err, out)
	}
	testenv.Eventually(t, testenv.Settle, "grabs resume", func() (bool, string) {
		r := f.tryGrab(t, 2, seat[2])
		return r.Status == http.StatusCreated, fmt.Sprintf("%d %s", r.Status, r.Body)
	})
	f.waitHold(t, before, boxoffice.HoldLocked)
	f.wantConsistent(t)
}

// TestRecoveringAnswers503: while a session is flagged recovering, grabs
// answer 503 recovering with Retry-After; timeouts clears the flag by
// itself (nothing was lost) and grabs work again.
func TestRecoveringAnswers503(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testenv.SessionSpec{Seats: 4, HoldSeconds: 900}, 2)
	testenv.Eventually(t, testenv.Settle, "a grab answered 503 recovering", func() (bool, string) {
		if _, err := sale.MarkRecovering(ctx, f.rdb, f.sess.ID); err != nil {
			t.Fatal(err)
		}
		r := f.tryGrab(t, 0, f.sess.SeatIDs[0])
		return r.Status == http.StatusServiceUnavailable && r.JSON["error"] == "recovering" &&
			r.Header.Get("Retry-After") != "", fmt.Sprintf("%d %s", r.Status, r.Body)
	})
	testenv.Eventually(t, testenv.Settle, "grabs resume", func() (bool, string) {
		r := f.tryGrab(t, 1, f.sess.SeatIDs[1])
		return r.Status == http.StatusCreated, fmt.Sprintf("%d %s", r.Status, r.Body)
	})
}

// TestLostWhileRelayStopped: the same loss while the relay is stopped, so
// the changes after the snapshot never reached MySQL. Redis and MySQL then
// agree on the older state: nothing needs repairing, the lost grab's seat
// is free again and the session sells on.
func TestLostWhileRelayStopped(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testenv.SessionSpec{Seats: 6, HoldSeconds: 900}, 4)
	seat := f.sess.SeatIDs
	kept := f.grab(t, 0, seat[0])
	f.waitStatus(t, kept, boxoffice.OrderLocked)
	snap := dumpSession(t, f.rdb, f.sess.ID)

	if out, err := testenv.Run(t, "dev", "stop", "relay"); err != nil {
		t.Fatalf("dev stop relay: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = testenv.Run(t, "dev", "up") })
	if out, err := sale.Confirm(ctx, f.rdb, kept, "txn-"+testenv.Unique()); err != nil || out != sale.Sold {
		t.Fatalf("confirm %s = %s, %v", kept, out, err)
	}
	lost := f.grab(t, 1, seat[1])
	restoreSession(t, f.rdb, f.sess.ID, snap)
	if out, err := testenv.Run(t, "dev", "up"); err != nil {
		t.Fatalf("dev up: %v\n%s", err, out)
	}

	if r := f.tryGrab(t, 2, seat[1]); r.Status != http.StatusCreated {
		t.Fatalf("grab of the seat of the lost hold %s = %d %s, want 201", lost, r.Status, r.Body)
	}
	if h := testenv.Hold(t, f.rdb, kept); h.State != boxoffice.HoldLocked {
		t.Errorf("hold %s is %s, want LOCKED as MySQL has it", kept, h.State)
	}
	if got := testenv.OrderStatus(t, f.db, kept); got != boxoffice.OrderLocked {
		t.Errorf("order %s is %s in MySQL, want LOCKED (its payment never left the lost outbox)", kept, got)
	}
	if on, err := sale.Recovering(ctx, f.rdb, f.sess.ID); err != nil || on {
		t.Errorf("session flagged recovering = %v, %v; nothing was lost that MySQL had", on, err)
	}
	f.wantConsistent(t)
}

// TestConflictSurvivesLoss: a seat kept out of sale by an integrity
// conflict stays out of sale when the sale Redis comes back without the
// conflict: the repair rebuilds it from MySQL, and an admin's clear then
// puts the seat back on sale in both stores.
func TestConflictSurvivesLoss(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testenv.SessionSpec{Seats: 4, HoldSeconds: 900}, 3)
	seat := f.sess.SeatIDs
	snap := dumpSession(t, f.rdb, f.sess.ID)
	conf := boxoffice.Conflict{Kind: boxoffice.ConflictReleaseOfPaid, OrderNo: "B1-1-1", Detail: "test: both sides"}
	if _, err := integrity.Flag(ctx, f.db, f.rdb, f.sess.ID, conf, []int64{seat[1]}); err != nil {
		t.Fatal(err)
	}
	lost := f.grab(t, 0, seat[0])
	f.waitStatus(t, lost, boxoffice.OrderLocked)

	restoreSession(t, f.rdb, f.sess.ID, snap)
	testenv.Eventually(t, testenv.Settle, "the session repaired and resumed", func() (bool, string) {
		on, err := sale.Recovering(ctx, f.rdb, f.sess.ID)
		state := f.seats(t)[fmt.Sprint(seat[0])]
		return err == nil && !on && state == "L:"+lost, fmt.Sprintf("recovering %v, %v; seat %d %q", on, err, seat[0], state)
	})
	f.grabResumed(t, 1, seat[1]).WantError(t, http.StatusConflict, "seat_unavailable")
	c := testenv.Admin(t)
	clear := fmt.Sprintf("/admin/api/sessions/%d/conflicts/%d", f.sess.ID, seat[1])
	if r := c.Do(t, "DELETE", clear, nil, nil); r.Status != http.StatusOK {
		t.Fatalf("clear = %d %s", r.Status, r.Body)
	}
	testenv.WaitAvailable(t, f.sess.ID, seat[1]) // the edge's copy of the seat map
	if r := f.tryGrab(t, 2, seat[1]); r.Status != http.StatusCreated {
		t.Errorf("grab after the admin cleared the conflict = %d %s, want 201", r.Status, r.Body)
	}
}

// TestPackedMapRebuilt: a session on sale that has no packed seat map (as
// one armed by a version without them) gets one from timeouts by itself,
// built from its live seats: the held seat LOCKED, the others AVAILABLE.
func TestPackedMapRebuilt(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testenv.SessionSpec{Seats: 4, HoldSeconds: 900}, 1)
	f.grab(t, 0, f.sess.SeatIDs[1])
	k := sale.KeysFor(f.sess.ID)
	if err := f.rdb.Del(ctx, k.Key(sale.KeyIndex), k.Key(sale.KeyPacked), k.Key(sale.KeyOrder)).Err(); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, testenv.Settle, "the packed seat map rebuilt", func() (bool, string) {
		vals, err := f.rdb.MGet(ctx, k.Key(sale.KeyPacked), k.Key(sale.KeyOrder)).Result()
		if err != nil || vals[0] == nil || vals[1] == nil {
			return false, fmt.Sprintf("packed, order = %v, %v", vals, err)
		}
		packed := []byte(vals[0].(string))
		var codes []byte
		for _, id := range f.sess.SeatIDs {
			i, err := f.rdb.HGet(ctx, k.Key(sale.KeyIndex), fmt.Sprint(id)).Int()
			if err != nil {
				return false, fmt.Sprintf("index of seat %d: %v", id, err)
			}
			codes = append(codes, sale.PackedAt(packed, i))
		}
		want := []byte{sale.PackedAvailable, sale.PackedLocked, sale.PackedAvailable, sale.PackedAvailable}
		return string(codes) == string(want), fmt.Sprintf("codes %v, order %s", codes, vals[1])
	})
}
