package daemon_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"boxoffice/internal/daemon"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func start(t *testing.T, d *daemon.Daemon) (cancel func(), done <-chan error) {
	t.Helper()
	d.Addr = freeAddr(t)
	d.Log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	d.Registry = daemon.NewRegistry()
	if d.CheckTimeout == 0 {
		d.CheckTimeout = 200 * time.Millisecond
	}
	d.ShutdownTimeout = 5 * time.Second
	ctx, cancelFn := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- d.Serve(ctx) }()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if c, err := net.Dial("tcp", d.Addr); err == nil {
			c.Close()
			break
		}
	}
	t.Cleanup(cancelFn)
	return cancelFn, errc
}

func get(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestReadyz(t *testing.T) {
	var redisDown, slow atomic.Bool
	d := &daemon.Daemon{Name: "t", Checks: []daemon.Check{
		{Name: "mysql", Ping: func(context.Context) error { return nil }},
		{Name: "sale_redis", Ping: func(context.Context) error {
			if redisDown.Load() {
				return errors.New("connection refused")
			}
			return nil
		}},
		{Name: "slow", Ping: func(ctx context.Context) error {
			if slow.Load() {
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		}},
	}}
	start(t, d)

	t.Run("ErrDependencyDown", func(t *testing.T) {
		redisDown.Store(true)
		slow.Store(true)
		code, body := get(t, "http://"+d.Addr+"/readyz")
		if code != http.StatusServiceUnavailable || body["error"] != "unavailable" {
			t.Fatalf("got %d %v, want 503 unavailable", code, body)
		}
		down, _ := body["down"].([]any)
		if len(down) != 2 || down[0] != "sale_redis" || down[1] != "slow" {
			t.Errorf("down = %v, want [sale_redis slow]", down)
		}
		if !strings.Contains(body["message"].(string), "sale_redis") {
			t.Errorf("message %q does not name sale_redis", body["message"])
		}
	})
	t.Run("Recovers", func(t *testing.T) {
		redisDown.Store(false)
		slow.Store(false)
		code, body := get(t, "http://"+d.Addr+"/readyz")
		if code != http.StatusOK || body["status"] != "ready" {
			t.Errorf("got %d %v, want 200 ready", code, body)
		}
	})
}

func TestHealthzAndMetrics(t *testing.T) {
	d := &daemon.Daemon{Name: "t"}
	start(t, d)
	if code, body := get(t, "http://"+d.Addr+"/healthz"); code != 200 || body["status"] != "ok" {
		t.Errorf("healthz = %d %v", code, body)
	}
	resp, err := http.Get("http://" + d.Addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "go_goroutines") {
		t.Errorf("metrics = %d, want Prometheus text with go_goroutines", resp.StatusCode)
	}
}

// A request in flight when shutdown starts still gets its answer, and
// workers are told to stop and waited for.
func TestGracefulShutdown(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	var workerStopped atomic.Bool
	d := &daemon.Daemon{Name: "t",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			close(entered)
			<-release
			_, _ = w.Write([]byte("done"))
		}),
		Workers: []daemon.Worker{func(ctx context.Context) error {
			<-ctx.Done()
			time.Sleep(50 * time.Millisecond) // hand back work
			workerStopped.Store(true)
			return nil
		}},
	}
	cancel, done := start(t, d)

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + d.Addr + "/slow")
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-entered
	cancel()
	time.Sleep(50 * time.Millisecond)
	close(release)
	if body := <-got; body != "done" {
		t.Errorf("in-flight request got %q, want done", body)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve() = %v", err)
	}
	if !workerStopped.Load() {
		t.Error("Serve returned before its worker stopped")
	}
}
