//go:build cluster

// Package clustertest_test runs the sale on a sale Redis Cluster of three
// masters (the cluster stack of 'make test-cluster'): sessions on every
// master, buyers grabbing through two edges at once while others pay,
// cancel or let their holds time out, and one session's slot moved to
// another master while it sells. Then the sale's invariants must hold.
package clustertest_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/config"
	"boxoffice/internal/invariants"
	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

const (
	// perMaster is how many sessions each master holds.
	perMaster = 2
	// holdsEach is how many grabs of each session must succeed before
	// the slot migration, and again after it.
	holdsEach = 5
	// settleWithin bounds the waits on a busy machine.
	settleWithin = 2 * time.Minute
	// fast503 is the most a refusal for want of Redis may take: the
	// edge's Redis timeout is 200 ms, a MOVED, ASK or TRYAGAIN costs a
	// few more calls, and the machine is busy.
	fast503 = 3 * time.Second
)

func TestSaleOverCluster(t *testing.T) {
	cfg := testenv.Config(t)
	if len(cfg.SaleRedisCluster) < 3 {
		t.Fatal("BOXOFFICE_SALE_REDIS_CLUSTER must name the cluster stack's three masters: run 'make test-cluster'")
	}
	cc, ok := redis.NewSale(cfg).(*goredis.ClusterClient)
	if !ok {
		t.Fatal("the sale Redis client is not a cluster client")
	}
	defer cc.Close()
	check, err := invariants.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()

	edges := []string{"http://" + cfg.EdgeAddr, "http://" + startEdge(t, cfg)}
	sessions := spread(t, cc, cfg.SaleRedisCluster)
	var crowds []*testenv.Crowd
	for _, s := range sessions {
		buyers := testenv.Open(t, s, 150)
		testenv.WaitRelayed(t, s.ID)
		c := testenv.StartCrowd(edges, cfg.PaygwURL, s, buyers, 2)
		defer c.End()
		crowds = append(crowds, c)
	}
	waitHolds(t, crowds, holdsEach)

	moved := crowds[0]
	from, to := migrate(t, cc, moved.SessionID())
	t.Logf("moved the slot of session %d from %s to %s while it sold", moved.SessionID(), from, to)
	waitHolds(t, crowds, holdsEach)
	if got := master(t, cc, moved.SessionID()); got != to {
		t.Errorf("session %d is on %s after the migration, want %s", moved.SessionID(), got, to)
	}

	seen := testenv.SettleAndCheck(t, check, settleWithin, crowds...)
	for _, c := range crowds {
		statuses, slowest := c.Statuses()
		t.Logf("session %d: %s; answers %v", c.SessionID(), c, statuses)
		for status, n := range statuses {
			if status == 0 || (status >= 500 && status != http.StatusServiceUnavailable) {
				t.Errorf("session %d: %d answers with status %d (0: none)", c.SessionID(), n, status)
			}
		}
		if slowest > fast503 {
			t.Errorf("session %d: a 503 took %s, more than %s", c.SessionID(), slowest, fast503)
		}
	}
	t.Logf("settled and checked; in flight when the wait began: %s", seen)
}

// spread creates sessions on sale now until each master holds perMaster
// of them, and returns those.
func spread(t *testing.T, cc *goredis.ClusterClient, masters []string) []*testenv.Session {
	t.Helper()
	db := testenv.DB(t)
	count := map[string]int{}
	var out []*testenv.Session
	for tries := 0; len(out) < perMaster*len(masters); tries++ {
		if tries == 100 {
			t.Fatalf("100 sessions did not put %d on each master: %v", perMaster, count)
		}
		s := testenv.NewSession(t, db, testenv.SellingNow(testenv.SessionSpec{Seats: 120, HoldSeconds: 4, Limit: 8}))
		if m := master(t, cc, s.ID); count[m] < perMaster {
			count[m]++
			out = append(out, s)
		}
	}
	if len(count) != len(masters) {
		t.Fatalf("sessions on %v, want every one of %v", count, masters)
	}
	return out
}

// master is the address of the master holding session sid's keys, as
// the cluster's first node says now.
func master(t *testing.T, cc *goredis.ClusterClient, sid int64) string {
	t.Helper()
	ctx := context.Background()
	slot, err := cc.ClusterKeySlot(ctx, sale.KeysFor(sid).Key(sale.KeyMeta)).Result()
	if err != nil {
		t.Fatal(err)
	}
	node := goredis.NewClient(&goredis.Options{Addr: testenv.Config(t).SaleRedisCluster[0]})
	defer node.Close()
	ranges, err := node.ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ranges {
		if int64(r.Start) <= slot && slot <= int64(r.End) && len(r.Nodes) > 0 {
			return r.Nodes[0].Addr
		}
	}
	t.Fatalf("no master owns slot %d: %v", slot, ranges)
	return ""
}

// migrate moves the slot of session sid to another master as Redis
// Cluster resharding does: the target IMPORTING, the source MIGRATING,
// the keys moved a few at a time with MIGRATE, then every master told
// the slot's new owner. It returns the source's and the target's address.
func migrate(t *testing.T, cc *goredis.ClusterClient, sid int64) (from, to string) {
	t.Helper()
	ctx := context.Background()
	key := sale.KeysFor(sid).Key(sale.KeyMeta)
	slot, err := cc.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	from = master(t, cc, sid)
	ids := map[string]string{} // address → node id
	var nodes []*goredis.Client
	for _, addr := range testenv.Config(t).SaleRedisCluster {
		node := goredis.NewClient(&goredis.Options{Addr: addr})
		defer node.Close()
		ids[addr] = node.ClusterMyID(ctx).Val()
		nodes = append(nodes, node)
	}
	var src, dst *goredis.Client
	for _, n := range nodes {
		switch {
		case n.Options().Addr == from:
			src = n
		case dst == nil:
			dst = n
		}
	}
	to = dst.Options().Addr
	do := func(node *goredis.Client, args ...any) {
		t.Helper()
		if err := node.Do(ctx, args...).Err(); err != nil {
			t.Fatalf("%v on %s: %v", args, node.Options().Addr, err)
		}
	}
	do(dst, "CLUSTER", "SETSLOT", slot, "IMPORTING", ids[from])
	do(src, "CLUSTER", "SETSLOT", slot, "MIGRATING", ids[to])
	host, port, _ := net.SplitHostPort(to)
	moved := 0
	for {
		keys, err := src.ClusterGetKeysInSlot(ctx, int(slot), 5).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) == 0 {
			break
		}
		args := []any{"MIGRATE", host, port, "", 0, 5000, "KEYS"}
		for _, k := range keys {
			args = append(args, k)
		}
		do(src, args...)
		moved += len(keys)
	}
	// The new owner first, then the old one, then the rest.
	do(dst, "CLUSTER", "SETSLOT", slot, "NODE", ids[to])
	do(src, "CLUSTER", "SETSLOT", slot, "NODE", ids[to])
	for _, n := range nodes {
		if n != dst && n != src {
			do(n, "CLUSTER", "SETSLOT", slot, "NODE", ids[to])
		}
	}
	t.Logf("slot %d: %d keys moved", slot, moved)
	return from, to
}

// waitHolds waits until each crowd made n more holds.
func waitHolds(t *testing.T, crowds []*testenv.Crowd, n int64) {
	t.Helper()
	want := make([]int64, len(crowds))
	for i, c := range crowds {
		want[i] = c.Created.Load() + n
	}
	testenv.Eventually(t, settleWithin, fmt.Sprintf("%d more holds in every session", n), func() (bool, string) {
		for i, c := range crowds {
			if c.Created.Load() < want[i] {
				return false, fmt.Sprintf("session %d: %s", c.SessionID(), c)
			}
		}
		return true, ""
	})
}

// startEdge runs a second edge on the stack's edge port + 10, with a
// prefix of its own, until the test ends; it returns its address.
func startEdge(t *testing.T, cfg *config.Config) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(cfg.EdgeAddr)
	p, _ := strconv.Atoi(port)
	addr := net.JoinHostPort(host, strconv.Itoa(p+10))
	prefix := t.TempDir()
	cmd := testenv.Command(t, []string{"BOXOFFICE_EDGE_ADDR=" + addr}, "edge", "-p", prefix)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(prefix, "logs", "error.log"))
			t.Logf("second edge's error log:\n%s", b)
		}
	})
	testenv.Eventually(t, settleWithin, "the second edge answers /healthz", func() (bool, string) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return addr
}
