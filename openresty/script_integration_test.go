//go:build integration

package openresty_test

import (
	"context"
	"crypto/sha1"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/redis"
	"boxoffice/internal/testenv"
	"boxoffice/lua"
)

// The edge runs the hold script by its SHA1: once Redis has the script, no
// grab's EVALSHA fails with NOSCRIPT (which would send the whole script
// again with EVAL).
func TestGrabRunsScriptBySHA(t *testing.T) {
	const grabs = 5
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: grabs}, grabs)
	rdb := redis.NewSale(testenv.Config(t))
	defer rdb.Close()
	loadScripts(t, rdb) // so no caller, the daemons included, meets NOSCRIPT while we count

	calls, failed := evalshaStats(t, rdb)
	for i := 0; i < grabs; i++ {
		if r := testenv.Edge(t).As(buyers[i].Token).Grab(t, s.ID, "sha", s.SeatIDs[i]); r.Status != 201 {
			t.Fatalf("grab %d = %d %s", i, r.Status, r.Body)
		}
	}
	calls2, failed2 := evalshaStats(t, rdb)
	t.Logf("%d grabs: EVALSHA calls +%d, failed +%d", grabs, calls2-calls, failed2-failed)
	if failed2 != failed {
		t.Errorf("EVALSHA failed %d times in %d grabs, want 0", failed2-failed, grabs)
	}
	if calls2-calls < grabs {
		t.Errorf("EVALSHA called %d times in %d grabs, want at least one per grab", calls2-calls, grabs)
	}
}

// A sale Redis that lost its scripts (SCRIPT FLUSH, a restart) costs the
// first grab one NOSCRIPT and an EVAL, which loads the script again: that
// grab succeeds and the next one runs by SHA. The daemons reload their
// scripts the same way, so flushing here does not disturb other tests.
func TestGrabAfterScriptFlush(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 2}, 2)
	rdb := redis.NewSale(testenv.Config(t))
	defer rdb.Close()
	if err := rdb.ScriptFlush(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	if r := testenv.Edge(t).As(buyers[0].Token).Grab(t, s.ID, "flushed", s.SeatIDs[0]); r.Status != 201 {
		t.Fatalf("first grab after SCRIPT FLUSH = %d %s, want 201", r.Status, r.Body)
	}
	calls, failed := evalshaStats(t, rdb)
	if r := testenv.Edge(t).As(buyers[1].Token).Grab(t, s.ID, "next", s.SeatIDs[1]); r.Status != 201 {
		t.Fatalf("second grab = %d %s, want 201", r.Status, r.Body)
	}
	calls2, failed2 := evalshaStats(t, rdb)
	if calls2 == calls {
		t.Errorf("the grab after the reload ran no EVALSHA")
	}
	if exists, err := rdb.ScriptExists(context.Background(), holdSHA(t)).Result(); err != nil || !exists[0] {
		t.Errorf("hold.lua is not in the sale Redis after the first grab: %v %v", exists, err)
	}
	t.Logf("after the reload: EVALSHA calls +%d, failed +%d (the daemons reload theirs too)", calls2-calls, failed2-failed)
}

// holdSHA is the SHA1 of hold.lua's text as Go sends it (the prelude, then
// the script): the edge must send the very same text.
func holdSHA(t *testing.T) string {
	t.Helper()
	return fmt.Sprintf("%x", sha1.Sum([]byte(lua.Source("hold"))))
}

// loadScripts loads every sale script into the sale Redis, as Go sends it.
func loadScripts(t *testing.T, rdb *goredis.Client) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testenv.Root(), "lua", "redis", "*.lua"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in lua/redis: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".lua")
		if name == "prelude" {
			continue
		}
		if err := lua.Script(name).Load(context.Background(), rdb).Err(); err != nil {
			t.Fatalf("load %s: %v", f, err)
		}
	}
}

var evalshaLine = regexp.MustCompile(`cmdstat_evalsha:calls=(\d+),.*failed_calls=(\d+)`)

// evalshaStats returns how often the sale Redis ran EVALSHA and how often
// that failed, from INFO commandstats.
func evalshaStats(t *testing.T, rdb *goredis.Client) (calls, failed int64) {
	t.Helper()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	m := evalshaLine.FindStringSubmatch(info)
	if m == nil {
		return 0, 0 // no EVALSHA yet
	}
	calls, _ = strconv.ParseInt(m[1], 10, 64)
	failed, _ = strconv.ParseInt(m[2], 10, 64)
	return calls, failed
}
