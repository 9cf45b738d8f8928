//go:build integration

package cli_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// saleSnapshot is what recover-sale must restore of a session.
type saleSnapshot struct {
	Seats, Counts, Held, Meta map[string]string
	Holds                     map[string]string // order → state, user, sorted seats, amount, expiry, deadline
	Expiry                    map[string]float64
	SoldOut                   bool
	Reserved                  []string
}

func snapshot(t *testing.T, rdb goredis.UniversalClient, sid int64) saleSnapshot {
	t.Helper()
	ctx := context.Background()
	k := sale.KeysFor(sid)
	hash := func(name string) map[string]string {
		m, err := rdb.HGetAll(ctx, k.Key(name)).Result()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	s := saleSnapshot{Seats: hash("seats"), Counts: hash("counts"), Held: hash("held"), Holds: map[string]string{},
		Expiry: map[string]float64{}, Meta: map[string]string{}}
	meta := hash("meta")
	for _, f := range []string{"state", "opens_at", "closes_at", "limit", "hold_ms", "bloom_m", "bloom_k"} {
		s.Meta[f] = meta[f]
	}
	for no, raw := range hash("holds") {
		h, err := sale.DecodeHold(no, raw)
		if err != nil {
			t.Fatal(err)
		}
		seats := h.SeatIDs
		slices.Sort(seats)
		s.Holds[no] = fmt.Sprint(h.State, h.UserID, seats, h.Amount, h.ExpiresAt, h.PayDeadline)
	}
	zs, err := rdb.ZRangeWithScores(ctx, k.Key("expiry"), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range zs {
		s.Expiry[z.Member.(string)] = z.Score
	}
	n, _ := rdb.Exists(ctx, k.Key("soldout")).Result()
	s.SoldOut = n == 1
	s.Reserved, _ = rdb.SMembers(ctx, k.Key("reserved")).Result()
	sort.Strings(s.Reserved)
	return s
}

// dropSession deletes every key of the session from the sale Redis, as a
// Redis that lost its data would (the stack is shared: no FLUSHALL).
func dropSession(t *testing.T, rdb goredis.UniversalClient, sid int64) {
	t.Helper()
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, fmt.Sprintf("{s:%d}:*", sid), 1000).Iterator()
	for iter.Next(ctx) {
		if err := rdb.Del(ctx, iter.Val()).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
}

func orderStatus(t *testing.T, no string) string {
	t.Helper()
	var s string
	_ = testenv.DB(t).Get(&s, `SELECT status FROM orders WHERE order_no = ?`, no)
	return s
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestRecoverSale(t *testing.T) {
	ctx := context.Background()
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 12, HoldSeconds: 900}, 4)
	rdb := redis.NewSale(testenv.Config(t))
	t.Cleanup(func() { rdb.Close() })
	edge := testenv.Edge(t)
	grab := func(i int, seats ...int64) string {
		t.Helper()
		r := edge.As(buyers[i].Token).Grab(t, s.ID, testenv.Unique(), seats...)
		if r.Status != http.StatusCreated {
			t.Fatalf("grab %v = %d %s", seats, r.Status, r.Body)
		}
		return r.JSON["order_no"].(string)
	}
	want := map[string]string{
		grab(0, s.SeatIDs[0], s.SeatIDs[1]): "LOCKED",
		grab(1, s.SeatIDs[2]):               "LOCKED",
		grab(2, s.SeatIDs[3], s.SeatIDs[4]): "PAID",
		grab(3, s.SeatIDs[5]):               "PAID",
	}
	for no, status := range want {
		if status == "PAID" {
			if out, err := sale.Confirm(ctx, rdb, no, "txn-"+testenv.Unique()); err != nil || out != "sold" {
				t.Fatalf("confirm %s = %s, %v", no, out, err)
			}
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for no, status := range want {
		for orderStatus(t, no) != status {
			if time.Now().After(deadline) {
				t.Fatalf("order %s is %q in MySQL, want %s", no, orderStatus(t, no), status)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	before := snapshot(t, rdb, s.ID)

	t.Run("WholeSession", func(t *testing.T) {
		// Other tests' events may be on their way to MySQL: recover-sale
		// refuses until orders has caught up, then runs.
		var out string
		var err error
		testenv.Eventually(t, testenv.Settle, "orders caught up", func() (bool, string) {
			out, err = testenv.Run(t, "recover-sale", "--session", fmt.Sprint(s.ID))
			return !strings.Contains(out, "not yet written"), out
		})
		if err != nil || !strings.Contains(out, "repaired 0 holds") || !strings.Contains(out, "2 locked, 0 paying, 2 sold") {
			t.Errorf("recover-sale of a whole session: %v, %q; want it to repair nothing", err, out)
		}
	})
	t.Run("RebuiltByItself", func(t *testing.T) {
		// timeouts finds the session behind MySQL and rebuilds it.
		dropSession(t, rdb, s.ID)
		deadline := time.Now().Add(20 * time.Second)
		for after := snapshot(t, rdb, s.ID); !reflect.DeepEqual(after, before); after = snapshot(t, rdb, s.ID) {
			if time.Now().After(deadline) {
				t.Fatalf("after the loss:\n%+v\nbefore it:\n%+v", after, before)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if problems, err := sale.Audit(ctx, rdb, s.ID); err != nil || len(problems) > 0 {
			t.Errorf("counters: %v %v", problems, err)
		}
	})
	t.Run("GrabAfter", func(t *testing.T) {
		testenv.Eventually(t, testenv.Settle, "a grab after the recovery", func() (bool, string) {
			r := edge.As(buyers[1].Token).Grab(t, s.ID, testenv.Unique(), s.SeatIDs[6])
			if r.Status != http.StatusCreated {
				time.Sleep(200 * time.Millisecond) // under the per-buyer rate limit
			}
			return r.Status == http.StatusCreated, fmt.Sprintf("%d %s", r.Status, r.Body)
		})
		r := edge.As(buyers[3].Token).Grab(t, s.ID, testenv.Unique(), s.SeatIDs[0])
		r.WantError(t, http.StatusConflict, "seat_unavailable")
	})
	t.Run("ErrReserving", func(t *testing.T) {
		other := testenv.NewSession(t, testenv.DB(t), testenv.SessionSpec{})
		out, err := testenv.Run(t, "recover-sale", "--session", fmt.Sprint(other.ID))
		if exitCode(err) != 1 || !strings.Contains(out, "RESERVING") {
			t.Errorf("recover-sale of a RESERVING session: exit %d, %q; want exit 1 naming the state", exitCode(err), out)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		out, err := testenv.Run(t, "recover-sale")
		if exitCode(err) != 2 {
			t.Errorf("recover-sale without --session: exit %d, %q; want 2", exitCode(err), out)
		}
	})
}
