//go:build integration

package openresty_test

import (
	"context"
	"testing"

	"boxoffice/internal/redis"
	"boxoffice/internal/testenv"
)

// A sale Redis out of memory (maxmemory reached, noeviction) refuses the
// scripts' writes: a grab and a cancel answer 503, never a 500.
func TestSaleRedisFull(t *testing.T) {
	ctx := context.Background()
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 3}, 1)
	buyer := testenv.Edge(t).As(buyers[0].Token)
	held := buyer.Grab(t, s.ID, testenv.Unique(), s.SeatIDs[0])
	if held.Status != 201 {
		t.Fatalf("grab = %d %s", held.Status, held.Body)
	}
	rdb := redis.NewSale(testenv.Config(t))
	t.Cleanup(func() { rdb.Close() })
	was, err := rdb.ConfigGet(ctx, "maxmemory*").Result()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // before the client closes
		for _, name := range []string{"maxmemory", "maxmemory-policy"} {
			if err := rdb.ConfigSet(ctx, name, was[name]).Err(); err != nil {
				t.Errorf("restore %s: %v", name, err)
			}
		}
	})
	if err := rdb.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	buyer.Grab(t, s.ID, testenv.Unique(), s.SeatIDs[1]).WantError(t, 503, "unavailable")
	buyer.Do(t, "POST", "/api/orders/"+held.JSON["order_no"].(string)+"/cancel", nil, nil).WantError(t, 503, "unavailable")
}
