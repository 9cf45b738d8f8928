package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/sale"
	"boxoffice/lua"
)

// PrivateRedis starts a redis-server of the test's own on a free port,
// with maxmemory bytes and noeviction and no persistence, and stops it at
// cleanup: for tests that fill Redis up, which must never touch the test
// stack's sale Redis.
func PrivateRedis(tb testing.TB, maxmemory int64) goredis.UniversalClient {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--save", "", "--appendonly", "no", "--dir", tb.TempDir(),
		"--maxmemory", strconv.FormatInt(maxmemory, 10), "--maxmemory-policy", "noeviction")
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start redis-server: %v", err)
	}
	rdb := goredis.NewClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), MaxRetries: -1})
	tb.Cleanup(func() {
		rdb.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	Eventually(tb, 10*time.Second, "the private redis-server answers", func() (bool, string) {
		err := rdb.Ping(context.Background()).Err()
		return err == nil, fmt.Sprint(err)
	})
	return rdb
}

// FillRedis makes rdb full: it writes filler keys until Redis refuses
// writes for want of memory, then sets maxmemory 256 KiB below what is
// used, so that every write stays refused however Redis's own buffers come
// and go.
func FillRedis(tb testing.TB, rdb goredis.UniversalClient) {
	tb.Helper()
	ctx := context.Background()
	filler := strings.Repeat("x", 4096)
	for i := 0; ; i++ {
		err := rdb.Set(ctx, "filler:"+strconv.Itoa(i), filler, 0).Err()
		if err != nil && strings.HasPrefix(err.Error(), "OOM ") {
			break
		}
		if err != nil {
			tb.Fatalf("fill Redis: %v", err)
		}
	}
	max, err := rdb.ConfigGet(ctx, "maxmemory").Result()
	if err != nil {
		tb.Fatal(err)
	}
	limit, _ := strconv.ParseInt(max["maxmemory"], 10, 64)
	if err := rdb.ConfigSet(ctx, "maxmemory", strconv.FormatInt(limit-256<<10, 10)).Err(); err != nil {
		tb.Fatal(err)
	}
}

var holdScript = lua.Script("hold")

// HoldAnswer is the hold script's answer to a grab.
type HoldAnswer struct {
	Status  int
	Code    string
	Payload map[string]any
}

// RunHold runs lua/redis/hold.lua on rdb as the edge does: buyer uid grabs
// seats of session sid with the Idempotency-Key key, on the server's run
// id. The error is the script's (a full Redis refuses it) or Redis's.
func RunHold(rdb goredis.UniversalClient, sid, uid int64, key string, seats ...int64) (HoldAnswer, error) {
	run, err := sale.RunID(context.Background(), rdb, sid)
	if err != nil {
		return HoldAnswer{}, err
	}
	keys := sale.KeysFor(sid).Hold(uid, key)
	sorted := slices.Clone(seats)
	slices.Sort(sorted)
	canon := make([]string, len(sorted))
	for i, s := range sorted {
		canon[i] = strconv.FormatInt(s, 10)
	}
	args := []any{sid, uid, strings.Join(canon, ","), run}
	for _, s := range seats {
		args = append(args, s)
	}
	res, err := holdScript.Run(context.Background(), rdb, keys, args...).Slice()
	if err != nil {
		return HoldAnswer{}, err
	}
	a := HoldAnswer{Status: int(res[0].(int64)), Code: res[1].(string)}
	return a, json.Unmarshal([]byte(res[2].(string)), &a.Payload)
}
