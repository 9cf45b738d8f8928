//go:build integration

package openresty_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

// A sale Redis that does not answer (paused, as when it is busy in a long
// script) gets a 503 within the edge's Redis timeout, not a hang.
func TestGrabRedisSlow(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 3}, 1)
	cfg := testenv.Config(t)
	rdb := redis.NewSale(cfg)
	defer rdb.Close()
	ctx := context.Background()
	// Redis holds every command until the pause ends, far past the edge's
	// timeout; the pause is in force once CLIENT PAUSE has answered.
	pause := cfg.EdgeRedisTimeout + 3*time.Second
	if err := rdb.Do(ctx, "CLIENT", "PAUSE", pause.Milliseconds(), "ALL").Err(); err != nil {
		t.Fatalf("CLIENT PAUSE: %v", err)
	}
	paused := time.Now()
	r := testenv.Edge(t).As(buyers[0].Token).Grab(t, s.ID, "slow", s.SeatIDs[0])
	took := time.Since(paused)
	r.WantError(t, 503, "unavailable")
	t.Logf("503 after %s with a paused Redis (timeout %s)", took.Round(time.Millisecond), cfg.EdgeRedisTimeout)
	if took >= pause {
		t.Errorf("answer took %s: the edge waited for Redis (paused for %s), want a 503 after its timeout", took, pause)
	}
	testenv.Eventually(t, testenv.Settle, "the sale Redis answering again", func() (bool, string) {
		err := rdb.Ping(ctx).Err()
		return err == nil, fmt.Sprint(err)
	})
	// The script may still have run once Redis was free: the buyer retries
	// with the same Idempotency-Key and gets the hold either way.
	if r := testenv.Edge(t).As(buyers[0].Token).Grab(t, s.ID, "slow", s.SeatIDs[0]); r.Status != 201 {
		t.Errorf("grab once Redis is free = %d %s", r.Status, r.Body)
	}
}

// The sold-out flag clears once seats come back.
func TestSoldOutClears(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 1}, 2)
	first := testenv.Edge(t).As(buyers[0].Token).Grab(t, s.ID, "all", s.SeatIDs[0])
	if first.Status != 201 {
		t.Fatalf("grab = %d %s", first.Status, first.Body)
	}
	second := testenv.Edge(t).As(buyers[1].Token)
	waitSoldOut(t, second, s.ID, s.SeatIDs[0])
	rdb := redis.NewSale(testenv.Config(t))
	defer rdb.Close()
	if out, err := sale.Release(context.Background(), rdb, first.JSON["order_no"].(string), sale.ReleaseOpts{Reason: "cancelled"}); out != sale.Released {
		t.Fatalf("release = %s %v", out, err)
	}
	waitStatus(t, func() *testenv.Response { return second.Grab(t, s.ID, "k2", s.SeatIDs[0]) }, 201)
}

// waitStatus repeats a request, under the per-buyer rate limit, until it
// answers want, and returns that answer.
func waitStatus(t testing.TB, do func() *testenv.Response, want int) *testenv.Response {
	t.Helper()
	var r *testenv.Response
	testenv.Eventually(t, testenv.Settle, fmt.Sprintf("an answer %d", want), func() (bool, string) {
		if r = do(); r.Status != want {
			time.Sleep(200 * time.Millisecond)
		}
		return r.Status == want, fmt.Sprintf("%d %s", r.Status, r.Body)
	})
	return r
}

// waitSoldOut waits until edge answers a grab of seat 410 from its sold-out
// flag, and returns that answer. Each try has a key of its own: a grab that
// shares the bit of a granted one in the session's holders goes to the
// script, every time it is sent.
func waitSoldOut(t testing.TB, edge *testenv.Client, sid, seat int64) *testenv.Response {
	t.Helper()
	try := 0
	return waitStatus(t, func() *testenv.Response {
		try++
		return edge.Grab(t, sid, fmt.Sprint("sold-out-", try), seat)
	}, 410)
}

func TestEdgeMetrics(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 2}, 1)
	testenv.Edge(t).As(buyers[0].Token).Grab(t, s.ID, "m", s.SeatIDs[0])
	cfg := testenv.Config(t)
	get := func(header http.Header) (int, string) {
		req, _ := http.NewRequest("GET", "http://"+cfg.EdgeAddr+"/edge/metrics", nil)
		req.Header = header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, text := get(nil)
	for _, want := range []string{`boxoffice_edge_grabs_total{outcome="created"}`, "boxoffice_edge_script_seconds_count",
		`boxoffice_edge_script_seconds_bucket{le="+Inf"}`, "# TYPE boxoffice_edge_grabs_total counter"} {
		if code != 200 || !strings.Contains(text, want) {
			t.Errorf("metrics (%d) lack %q:\n%s", code, want, text)
		}
	}
	if code, _ := get(http.Header{"X-Forwarded-For": {"198.51.100.7"}}); code != 403 {
		t.Errorf("metrics from a non-local client = %d, want 403", code)
	}
}

// Each grab writes one structured access-log line with its outcome (the
// log is buffered for up to a second).
func TestGrabAccessLog(t *testing.T) {
	s, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 2}, 1)
	key := "log-" + testenv.Unique()
	testenv.Edge(t).As(buyers[0].Token).Grab(t, s.ID, key, s.SeatIDs[0])
	path := filepath.Join(testenv.Config(t).RunDir, "nginx", "logs", "grab.log")
	var line string
	testenv.Eventually(t, testenv.Settle, "the grab's log line", func() (bool, string) {
		b, _ := os.ReadFile(path)
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, `"key":"`+key+`"`) {
				line = l
			}
		}
		return line != "", "no line with key " + key
	})
	want := fmt.Sprintf(`"session":"%d","user":"%d","key":"%s","outcome":"created","status":201`, s.ID, buyers[0].ID, key)
	if !strings.Contains(line, want) {
		t.Errorf("grab log line %q, want it to contain %s", line, want)
	}
}

// A body over a location's limit answers 413 in the JSON error shape.
func TestPayloadTooLarge(t *testing.T) {
	big := []byte(`{"name":"` + strings.Repeat("x", 200_000) + `"}`)
	for _, path := range []string{"/admin/api/venues", "/api/auth/register", "/api/payments/notify"} {
		t.Run(path, func(t *testing.T) {
			testenv.Edge(t).Do(t, "POST", path, big, nil).WantError(t, 413, "payload_too_large")
		})
	}
}
