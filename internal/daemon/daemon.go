// Package daemon is what every boxoffice daemon shares: JSON logs, the
// /healthz, /readyz and /metrics endpoints, and graceful shutdown.
package daemon

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/web"
)

// Check is one dependency probed by /readyz.
type Check struct {
	Name string
	Ping func(ctx context.Context) error
}

// Worker is background work that runs until ctx is cancelled, then finishes
// or hands back what it holds and returns.
type Worker func(ctx context.Context) error

// Daemon is one long-running process with an HTTP listener.
type Daemon struct {
	Name            string
	Addr            string
	Log             *slog.Logger
	Registry        *prometheus.Registry
	Checks          []Check
	CheckTimeout    time.Duration
	ShutdownTimeout time.Duration
	Handler         http.Handler // application routes; nil for none
	Workers         []Worker
}

// NewLogger builds the JSON logger every command uses.
func NewLogger(level, name string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l})).With("daemon", name)
}

// NewRegistry returns a registry with the Go and process collectors.
func NewRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Run serves until SIGINT or SIGTERM, then shuts down gracefully.
func (d *Daemon) Run() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return d.Serve(ctx)
}

// Serve runs the listener and the workers until ctx is done.
func (d *Daemon) Serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", d.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: d.mux(), ReadHeaderTimeout: 10 * time.Second}
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()

	errc := make(chan error, len(d.Workers)+1)
	var wg sync.WaitGroup
	for _, w := range d.Workers {
		wg.Add(1)
		go func() { defer wg.Done(); errc <- w(workCtx) }()
	}
	go func() { errc <- srv.Serve(ln) }()
	d.Log.Info("started", "addr", ln.Addr().String())

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		if errors.Is(runErr, http.ErrServerClosed) {
			runErr = nil
		}
	}
	d.Log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), d.ShutdownTimeout)
	defer cancel()
	cancelWork()
	_ = srv.Shutdown(sctx)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-sctx.Done():
		d.Log.Warn("workers did not stop in time", "timeout", d.ShutdownTimeout)
	}
	d.Log.Info("stopped")
	return runErr
}

func (d *Daemon) mux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		web.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", d.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{Registry: d.Registry}))
	if d.Handler != nil {
		mux.Handle("/", d.Handler)
	}
	return mux
}

// readyz probes every dependency concurrently and names those that are down.
func (d *Daemon) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), d.CheckTimeout)
	defer cancel()
	results := make(map[string]string, len(d.Checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range d.Checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status := "ok"
			if err := c.Ping(ctx); err != nil {
				status = err.Error()
			}
			mu.Lock()
			results[c.Name] = status
			mu.Unlock()
		}()
	}
	wg.Wait()
	down := []string{}
	for name, status := range results {
		if status != "ok" {
			down = append(down, name)
		}
	}
	sort.Strings(down)
	if len(down) > 0 {
		web.WriteError(w, boxoffice.Errorf(boxoffice.EUNAVAILABLE, "not ready: %s down", strings.Join(down, ", ")).
			With("down", down).With("checks", results))
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"status": "ready", "checks": results})
}

// Sleep waits d or until ctx ends; it reports false if ctx ended.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
