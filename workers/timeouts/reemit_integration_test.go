//go:build integration

package timeouts_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
	"boxoffice/workers/timeouts"
)

// isolatedDB is a sale Redis database no daemon of the test stack reads:
// there the outbox stays as the reconciler leaves it (no relay).
const isolatedDB = 10

// A hold's events are re-emitted once when its row is missing, and not
// again while the re-emitted events wait in the outbox (in flight), however
// many passes run.
func TestReemitOnlyWhatIsLost(t *testing.T) {
	ctx := context.Background()
	rdb := redis.NewSale(testenv.Config(t))
	rdb.(*goredis.Client).Options().DB = isolatedDB
	t.Cleanup(func() { rdb.Close() })
	sid := int64(1e12) + rand.Int64N(1e12)
	k := sale.KeysFor(sid)
	t.Cleanup(func() {
		rdb.Del(ctx, k.Key("holds"), k.Key("outbox"))
		rdb.SRem(ctx, sale.Sessions, sid)
	})
	created := time.Now().Add(-time.Minute).UnixMilli()
	for i := range 3 {
		h := boxoffice.Hold{OrderNo: fmt.Sprintf("B%d-%d-%d", sid, created, i), SessionID: sid, UserID: 1,
			SeatIDs: []int64{int64(i + 1)}, Amount: 100, CreatedAt: created, ExpiresAt: created + 3_600_000,
			State: boxoffice.HoldLocked}
		raw, _ := sale.EncodeHold(h)
		if err := rdb.HSet(ctx, k.Key("holds"), h.OrderNo, raw).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.SAdd(ctx, sale.Sessions, sid).Err(); err != nil {
		t.Fatal(err)
	}
	grace := 100 * time.Millisecond
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	svc := timeouts.New(timeouts.Settings{ReconcileEvery: time.Second, ReconcileGrace: grace},
		testenv.DB(t), rdb, nil, log, prometheus.NewRegistry())
	pass := func() int64 {
		t.Helper()
		if err := svc.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := rdb.XLen(ctx, k.Key("outbox")).Result()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := pass(); n != 3 {
		t.Fatalf("first pass wrote %d events, want the 3 lost hold.created", n)
	}
	// Past every backoff the passes would allow (grace << 5), the events
	// are still in the outbox: nothing more is re-emitted.
	began := time.Now()
	for time.Since(began) < 40*grace {
		if n := pass(); n != 3 {
			t.Fatalf("after %v the outbox has %d events, want still 3: events in flight were re-emitted", time.Since(began), n)
		}
	}
}
