//go:build integration

package timeouts_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
	"boxoffice/workers/timeouts"
)

// privateService is a timeouts service on the sale Redis rdb (a private
// one), logging into the returned buffer.
func privateService(t *testing.T, rdb goredis.UniversalClient, set timeouts.Settings) (*timeouts.Service, *prometheus.Registry, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return timeouts.New(set, testenv.DB(t), rdb, nil, log, reg), reg, &logs
}

// gauge reads the value of the gauge name from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// The memory watch exports used/maxmemory and warns once when the sale
// Redis crosses into an alarm (nearly full, or a policy that evicts), and
// once when it is back.
func TestWatchMemory(t *testing.T) {
	ctx := context.Background()
	rdb := testenv.PrivateRedis(t, 8<<20)
	svc, reg, logs := privateService(t, rdb, timeouts.Settings{})
	watch := func(times int) {
		t.Helper()
		for range times {
			if err := svc.WatchMemory(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	warnings := func() int { return strings.Count(logs.String(), "level=WARN") }
	const ratio = "boxoffice_sale_redis_memory_used_ratio"

	watch(2)
	if r := gauge(t, reg, ratio); r <= 0 || r >= sale.FullAt || warnings() != 0 {
		t.Errorf("an empty Redis: ratio %v, %d warnings; want a little, none", r, warnings())
	}
	testenv.FillRedis(t, rdb)
	watch(3)
	if r := gauge(t, reg, ratio); r < 1 || warnings() != 1 || !strings.Contains(logs.String(), "of its maxmemory") {
		t.Errorf("a full Redis: ratio %v, %d warnings; want at least 1, one warning:\n%s", r, warnings(), logs)
	}
	rdb.ConfigSet(ctx, "maxmemory", strconv.Itoa(64<<20))
	watch(2)
	if !strings.Contains(logs.String(), "back under its alarm") || warnings() != 1 {
		t.Errorf("after raising maxmemory: want one note that it is back, no more warnings:\n%s", logs)
	}
	rdb.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru")
	watch(2)
	if warnings() != 2 || !strings.Contains(logs.String(), "not noeviction") {
		t.Errorf("an evicting policy: want one more warning:\n%s", logs)
	}
}

// In a full sale Redis the reconciler still retires and trims a closed
// session whose every hold MySQL has ended: trimming is how memory comes
// back.
func TestRetireInFullRedis(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	rdb := testenv.PrivateRedis(t, 8<<20)
	sess := testenv.NewSession(t, db, testenv.SessionSpec{Seats: 2, State: boxoffice.SessionClosed})
	buyers := testenv.NewBuyers(t, db, 1)
	k := sale.KeysFor(sess.ID)
	old := time.Now().Add(-time.Hour).UnixMilli()
	for i := range 50 {
		no := fmt.Sprintf("B%d-%d-%d", sess.ID, old, i)
		if _, err := db.Exec(`INSERT INTO orders (order_no, session_id, user_id, status, amount_cents, expire_at)
			VALUES (?, ?, ?, 'CANCELLED', 100, NOW())`, no, sess.ID, buyers[0].ID); err != nil {
			t.Fatal(err)
		}
		rdb.HSet(ctx, k.Key("holds"), no, fmt.Sprintf(`{"user":%d,"seats":"%d","amount":100,"created_at":%d,`+
			`"released_at":%d,"state":"RELEASED","reason":"cancelled"}`, buyers[0].ID, sess.SeatIDs[0], old, old))
	}
	rdb.HSet(ctx, k.Key("meta"), "state", boxoffice.SessionClosed)
	rdb.SAdd(ctx, sale.Sessions, sess.ID)
	testenv.FillRedis(t, rdb)

	svc, _, logs := privateService(t, rdb, timeouts.Settings{ReconcileEvery: time.Second, ReconcileGrace: time.Second})
	if err := svc.Reconcile(ctx); err != nil {
		t.Fatalf("reconcile in a full Redis: %v\n%s", err, logs)
	}
	if n, _ := rdb.HLen(ctx, k.Key("holds")).Result(); n != 0 {
		t.Errorf("%d hold records left in a full Redis, want them trimmed", n)
	}
	if ok, _ := rdb.SIsMember(ctx, sale.Sessions, sess.ID).Result(); ok {
		t.Error("the session is still watched")
	}
}
