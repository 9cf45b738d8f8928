//go:build integration

package openresty_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"

	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// 2,000 reserved buyers fire at once at a 200-seat session, most of them
// wanting the same two hot seats: exactly the right holds, no seat locked
// twice, one outbox event per hold, counters that match the seats. A buyer
// answered 503 (the edge shedding load) tries again with the same key.
func TestContention(t *testing.T) {
	const buyers, seats = 2000, 200
	s, bs := testenv.OnSale(t, testenv.SessionSpec{Seats: seats, Limit: 4}, buyers)
	hot := []int64{s.SeatIDs[0], s.SeatIDs[1]}
	rng := rand.New(rand.NewPCG(7, 11))
	wants := make([][]int64, buyers)
	for i := range wants {
		switch r := rng.IntN(10); {
		case r < 6:
			wants[i] = hot
		case r < 8:
			wants[i] = []int64{hot[rng.IntN(2)], s.SeatIDs[2+rng.IntN(seats-2)]}
		default:
			wants[i] = []int64{s.SeatIDs[2+rng.IntN(seats-2)]}
		}
	}

	statuses := make([]int, buyers)
	orders := make([]string, buyers)
	var wg sync.WaitGroup
	next := make(chan int)
	edge := testenv.Edge(t)
	for w := 0; w < 200; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := *edge
			for i := range next {
				r := testenv.RetryBusy(func() *testenv.Response {
					return c.As(bs[i].Token).Do(t, "POST", holds(s.ID), body(wants[i]), withKey(ip(i), fmt.Sprint("c", i)))
				})
				statuses[i] = r.Status
				if r.Status == 201 {
					orders[i], _ = r.JSON["order_no"].(string)
				}
			}
		}()
	}
	for i := 0; i < buyers; i++ {
		next <- i
	}
	close(next)
	wg.Wait()

	count := map[int]int{}
	for _, st := range statuses {
		count[st]++
	}
	t.Logf("answers: %v", count)
	for st := range count {
		if st != 201 && st != 409 && st != 410 {
			t.Errorf("%d answers of status %d, want only 201, 409 or 410", count[st], st)
		}
	}
	checkHolds(t, s.ID, orders)
}

func body(seats []int64) []byte {
	ids := make([]string, len(seats))
	for i, s := range seats {
		ids[i] = fmt.Sprint(s)
	}
	return []byte(`{"seat_ids":[` + strings.Join(ids, ",") + `]}`)
}

// checkHolds compares the sale Redis with the answered orders.
func checkHolds(t *testing.T, sid int64, answered []string) {
	t.Helper()
	ctx := context.Background()
	rdb := redis.NewSale(testenv.Config(t))
	defer rdb.Close()
	k := sale.KeysFor(sid)
	holdsRaw, _ := rdb.HGetAll(ctx, k.Key("holds")).Result()
	seatStates, _ := rdb.HGetAll(ctx, k.Key("seats")).Result()

	want := map[string]bool{}
	for _, no := range answered {
		if no != "" {
			want[no] = true
		}
	}
	if len(holdsRaw) != len(want) {
		t.Errorf("%d holds in Redis, %d created answers", len(holdsRaw), len(want))
	}
	lockedBy := map[string]string{} // seat → order, from the holds
	for no, raw := range holdsRaw {
		if !want[no] {
			t.Errorf("hold %s was never answered", no)
		}
		h, err := sale.DecodeHold(no, raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range h.SeatIDs {
			seat := strconv.FormatInt(id, 10)
			if prev, dup := lockedBy[seat]; dup {
				t.Errorf("seat %s is in holds %s and %s", seat, prev, no)
			}
			lockedBy[seat] = no
			if seatStates[seat] != "L:"+no {
				t.Errorf("seat %s is %q, want L:%s", seat, seatStates[seat], no)
			}
		}
	}
	for seat, state := range seatStates {
		if state != "A" && lockedBy[seat] == "" {
			t.Errorf("seat %s is %q but in no hold", seat, state)
		}
	}
	info, err := rdb.XInfoStream(ctx, k.Key("outbox")).Result()
	if err != nil {
		t.Fatal(err)
	}
	if info.EntriesAdded != int64(len(holdsRaw)) {
		t.Errorf("%d events ever added to the outbox, want one per hold (%d)", info.EntriesAdded, len(holdsRaw))
	}
	entries, _ := rdb.XRange(ctx, k.Key("outbox"), "-", "+").Result()
	seen := map[string]bool{}
	for _, e := range entries {
		no, _ := e.Values["order_no"].(string)
		if seen[no] || holdsRaw[no] == "" {
			t.Errorf("outbox entry %s for order %q is a duplicate or has no hold", e.ID, no)
		}
		seen[no] = true
	}
	problems, err := sale.Audit(ctx, rdb, sid)
	if err != nil || len(problems) > 0 {
		t.Errorf("counters do not match the seats: %v %v", problems, err)
	}
}
