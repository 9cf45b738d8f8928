//go:build integration

package relay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	kafkago "github.com/segmentio/kafka-go"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/config"
	"boxoffice/internal/kafka"
	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
	"boxoffice/workers/relay"
)

// kill9 SIGKILLs a part of the test stack and starts it again with
// 'dev up'; it returns the old and new pids.
func kill9(t *testing.T, part string) (int, int) {
	t.Helper()
	pidFile := filepath.Join(testenv.Config(t).RunDir, "pids", part+".pid")
	old := readPid(t, pidFile)
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %s (%d): %v", part, old, err)
	}
	for deadline := time.Now().Add(5 * time.Second); alive(old) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if out, err := testenv.Run(t, "dev", "up"); err != nil {
		t.Fatalf("dev up after killing %s: %v\n%s", part, err, out)
	}
	return old, readPid(t, pidFile)
}

func readPid(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %s: %v", file, err)
	}
	return pid
}

// alive reports whether pid runs (a zombie counts as dead).
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// waitOutboxDrained waits until session sid's outbox has no entry and no
// pending one: every event was published and acknowledged.
func waitOutboxDrained(t *testing.T, sid int64, within time.Duration) {
	t.Helper()
	rdb := redis.NewSale(testenv.Config(t))
	defer rdb.Close()
	ctx := context.Background()
	key := sale.KeysFor(sid).Key("outbox")
	deadline := time.Now().Add(within)
	for {
		n, err := rdb.XLen(ctx, key).Result()
		if err != nil {
			t.Fatalf("XLEN %s: %v", key, err)
		}
		p, err := rdb.XPending(ctx, key, relay.Group).Result()
		if err != nil {
			t.Fatalf("XPENDING %s: %v", key, err)
		}
		if n == 0 && p.Count == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the outbox %s still has %d entries, %d pending (%v)", within, key, n, p.Count, p.Consumers)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pendingOf counts the entries of session sid's outbox pending for the
// relay process pid.
func pendingOf(t *testing.T, sid int64, pid int) int64 {
	t.Helper()
	rdb := redis.NewSale(testenv.Config(t))
	defer rdb.Close()
	p, err := rdb.XPending(context.Background(), sale.KeysFor(sid).Key("outbox"), relay.Group).Result()
	if err != nil {
		t.Fatalf("XPENDING: %v", err)
	}
	for name, n := range p.Consumers {
		if strings.HasSuffix(name, fmt.Sprintf("-%d", pid)) {
			return n
		}
	}
	return 0
}

// checkOneOrderPerHold checks every hold of the session has exactly one
// order row, with one live item, and no row lacks its hold.
func checkOneOrderPerHold(t *testing.T, sid int64, grabbed []string) {
	t.Helper()
	db := testenv.DB(t)
	testenv.WaitOrderRows(t, db, sid, grabbed, 60*time.Second)
	holds, rows := testenv.HoldOrderNos(t, sid), testenv.OrderNosOf(t, db, sid)
	if len(holds) != len(grabbed) || !slices.Equal(holds, rows) {
		t.Fatalf("%d holds made, %d in the sale Redis, %d order rows; want them all equal", len(grabbed), len(holds), len(rows))
	}
	var live int
	if err := db.Get(&live, `SELECT COUNT(*) FROM order_items WHERE session_id = ? AND active = 1`, sid); err != nil {
		t.Fatal(err)
	}
	if live != len(holds) {
		t.Errorf("%d live order items, want one per hold (%d)", live, len(holds))
	}
}

// With a steady stream of grabs, kill -9 the relay, then the orders
// daemon, and start each again: every hold ends with exactly one order
// row and the outbox drains.
func TestKill9(t *testing.T) {
	const n = 300
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: n, Limit: 1}, n)
	testenv.WaitRelayed(t, s.ID)
	var grabbed []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		grabbed = testenv.GrabEach(t, s.ID, buyers, s.SeatIDs, 10, 80*time.Millisecond)
	}()

	testenv.Eventually(t, testenv.Settle, "the grabs flowing", func() (bool, string) {
		n := len(testenv.HoldOrderNos(t, s.ID))
		return n >= 10, fmt.Sprintf("%d holds", n)
	})
	start := time.Now()
	old, now := kill9(t, "relay")
	t.Logf("relay killed (pid %d) and started again (pid %d) in %v; it left %d entries pending",
		old, now, time.Since(start).Round(time.Millisecond), pendingOf(t, s.ID, old))
	start = time.Now()
	old, now = kill9(t, "orders")
	t.Logf("orders killed (pid %d) and started again (pid %d) in %v", old, now, time.Since(start).Round(time.Millisecond))
	<-done
	if len(grabbed) != n {
		t.Fatalf("%d of %d grabs made a hold", len(grabbed), n)
	}
	checkOneOrderPerHold(t, s.ID, grabbed)
	waitOutboxDrained(t, s.ID, 30*time.Second)
}

// Entries a relay read and never acknowledged (it died) are taken over by
// a live relay once idle, published, and acknowledged.
func TestReclaim(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 4}, 1)
	testenv.WaitRelayed(t, s.ID)
	rdb := redis.NewSale(testenv.Config(t))
	defer rdb.Close()
	ctx := context.Background()
	no := fmt.Sprintf("B%d-%d-900", s.ID, time.Now().UnixMilli())
	key := sale.KeysFor(s.ID).Key("outbox")
	// Write the entry as the hold script does and read it as a relay that
	// then dies, atomically, so the live relay cannot read it first.
	pipe := rdb.TxPipeline()
	pipe.XAdd(ctx, &goredis.XAddArgs{Stream: key, Values: []any{"type", boxoffice.EventHoldCreated, "id", no + ":created",
		"session", s.ID, "order_no", no, "user", buyers[0].ID, "seats", s.SeatIDs[0], "amount", 10000,
		"expires_at", time.Now().Add(time.Hour).UnixMilli(), "at", time.Now().UnixMilli()}})
	read := pipe.XReadGroup(ctx, &goredis.XReadGroupArgs{Group: relay.Group, Consumer: "dead-" + testenv.Unique(),
		Streams: []string{key, ">"}, Count: 1, Block: -1})
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if got := read.Val(); len(got) != 1 || len(got[0].Messages) != 1 {
		t.Fatalf("the dead relay read %v, want the one entry", got)
	}
	start := time.Now()
	db := testenv.DB(t)
	testenv.WaitOrderRows(t, db, s.ID, []string{no}, 30*time.Second)
	t.Logf("the entry was reclaimed and its order written after %v", time.Since(start).Round(time.Millisecond))
	waitOutboxDrained(t, s.ID, 10*time.Second)
}

// An outbox entry that does not decode goes to the dead-letter topic with
// its error, and is acknowledged.
func TestUndecodableEntry(t *testing.T) {
	cfg := testenv.Config(t)
	s, _ := testenv.OnSale(t, testenv.SessionSpec{Seats: 4}, 1)
	testenv.WaitRelayed(t, s.ID)
	tail := testenv.NewKafkaTail(t, cfg.KafkaDLQTopic)
	rdb := redis.NewSale(cfg)
	defer rdb.Close()
	key := sale.KeysFor(s.ID).Key("outbox")
	id, err := rdb.XAdd(context.Background(), &goredis.XAddArgs{Stream: key,
		Values: []any{"type", "hold.weird", "id", "x:weird", "session", s.ID, "order_no", "x"}}).Result()
	if err != nil {
		t.Fatal(err)
	}
	var dl kafkago.Message
	if !tail.Read(t, 20*time.Second, func(m kafkago.Message) bool {
		dl = m
		return kafka.Header(m, kafka.HeaderStream) == key && kafka.Header(m, kafka.HeaderStreamID) == id
	}) {
		t.Fatalf("entry %s of %s was not dead-lettered", id, key)
	}
	if e := kafka.Header(dl, kafka.HeaderError); !strings.Contains(e, "unknown type") {
		t.Errorf("dead letter error = %q, want the unknown type", e)
	}
	if !strings.Contains(string(dl.Value), "hold.weird") {
		t.Errorf("dead letter value = %s, want the entry's fields", dl.Value)
	}
	waitOutboxDrained(t, s.ID, 10*time.Second)
}

// A second relay process shares the streams with the stack's: both relay
// part of the entries, nothing is lost and little is published twice.
func TestTwoRelays(t *testing.T) {
	cfg := testenv.Config(t)
	const n = 300
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: n, Limit: 1}, n)
	testenv.WaitRelayed(t, s.ID)
	addr := testenv.StartDaemon(t, "relay", "BOXOFFICE_RELAY_ADDR") // it reads the session list as it starts
	tail := testenv.NewKafkaTail(t, cfg.KafkaTopic)
	firstBefore := relayed(t, cfg.RelayAddr)
	brokerPid := readPid(t, filepath.Join(cfg.RunDir, "pids", "devkafka.pid"))
	relayPid := readPid(t, filepath.Join(cfg.RunDir, "pids", "relay.pid"))

	grabbed := testenv.GrabEach(t, s.ID, buyers, s.SeatIDs, 10, 100*time.Millisecond)
	checkOneOrderPerHold(t, s.ID, grabbed)
	waitOutboxDrained(t, s.ID, 30*time.Second)

	if readPid(t, filepath.Join(cfg.RunDir, "pids", "devkafka.pid")) != brokerPid {
		t.Log("the broker was restarted (emptied) during the test: duplicates not counted")
		return
	}
	prefix := fmt.Sprintf("B%d-", s.ID)
	ids := map[string]int{}
	var total int
	tail.Read(t, 30*time.Second, func(m kafkago.Message) bool {
		var e boxoffice.SaleEvent
		if strings.HasPrefix(string(m.Key), prefix) && json.Unmarshal(m.Value, &e) == nil {
			total++
			ids[e.ID]++
		}
		return len(ids) == len(grabbed) && total >= len(grabbed)
	})
	if len(ids) != len(grabbed) {
		t.Fatalf("Kafka has %d events of the session, want %d (one hold.created per hold)", len(ids), len(grabbed))
	}
	dups := total - len(ids)
	byFirst, bySecond := relayed(t, cfg.RelayAddr)-firstBefore, relayed(t, addr)
	t.Logf("%d events, %d published twice; the stack's relay published %.0f (with other tests'), the second %.0f",
		len(ids), dups, byFirst, bySecond)
	if dups > len(ids)/50 {
		t.Errorf("%d of %d events published twice, want at most 2%%", dups, len(ids))
	}
	restarted := readPid(t, filepath.Join(cfg.RunDir, "pids", "relay.pid")) != relayPid
	if bySecond == 0 || (byFirst == 0 && !restarted) {
		t.Errorf("the relays published %.0f and %.0f events; want both to share the work", byFirst, bySecond)
	}
}

// relayed reads boxoffice_relay_events_total from a relay's metrics.
func relayed(t *testing.T, addr string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("metrics of %s: %v", addr, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "boxoffice_relay_events_total "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	t.Fatalf("no boxoffice_relay_events_total at %s", addr)
	return 0
}

// TestRefusesUntilDurable: a sale Redis that stops fsyncing every write
// makes the relay unready (naming why) and Durable.Check refuse; with
// appendfsync always again it is ready. A wait:N mode with no replica is
// refused too.
func TestRefusesUntilDurable(t *testing.T) {
	cfg := testenv.Config(t)
	rdb := redis.NewSale(cfg)
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	set := func(v string) {
		if err := rdb.ConfigSet(ctx, "appendfsync", v).Err(); err != nil {
			t.Fatalf("CONFIG SET appendfsync %s: %v", v, err)
		}
	}
	t.Cleanup(func() { set("always") })
	set("everysec")
	fsync := relay.Durable{RDB: rdb, Mode: config.Durability{Fsync: true}}
	if err := fsync.Check(ctx); err == nil || !strings.Contains(err.Error(), `appendfsync "everysec"`) {
		t.Errorf("Check with everysec = %v, want an error naming appendfsync", err)
	}
	waitReady(t, cfg.RelayAddr, http.StatusServiceUnavailable, "sale_redis_durability")
	set("always")
	if err := fsync.Check(ctx); err != nil {
		t.Errorf("Check with always = %v, want nil", err)
	}
	waitReady(t, cfg.RelayAddr, http.StatusOK, "ready")
	replica := relay.Durable{RDB: rdb, Mode: config.Durability{Replicas: 1}}
	if err := replica.Check(ctx); err == nil || !strings.Contains(err.Error(), "0 connected replicas") {
		t.Errorf("Check wait:1 without a replica = %v, want an error naming the replicas", err)
	}
}

// waitReady waits until the daemon at addr answers /readyz with status and
// a body containing want.
func waitReady(t *testing.T, addr string, status int, want string) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(testenv.Settle); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got = fmt.Sprintf("%d %s", resp.StatusCode, body)
		if resp.StatusCode == status && strings.Contains(string(body), want) {
			return
		}
	}
	t.Fatalf("relay /readyz = %s, want %d with %q", got, status, want)
}
