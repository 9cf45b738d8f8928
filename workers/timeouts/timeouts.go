// Package timeouts is the timeouts daemon: it releases expired holds, sweeps MySQL for overdue orders, reconciles holds with orders and watches the sale Redis's memory.
//
// Three workers, each a loop of passes: the expiry scan (every session's
// expiry queue, one session at a time under that session's lease, so
// several processes split the sessions), the backstop sweep of overdue
// MySQL orders and the reconciler re-emitting the events of holds that have
// no order row (each under one global lease). Every change goes through
// the idempotent sale scripts or conditional MySQL updates, so two
// processes doing the same work at once are harmless; the leases only
// avoid the double work.
package timeouts

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/config"
	"boxoffice/internal/daemon"
	"boxoffice/internal/integrity"
	"boxoffice/internal/mysql"
	"boxoffice/internal/payments"
	"boxoffice/internal/redis"
)

// Main runs the daemon until SIGTERM.
func Main(cfg *config.Config, _ []string) error {
	log := daemon.NewLogger(cfg.LogLevel, "timeouts")
	db, err := mysql.Open(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	sale := redis.NewSale(cfg)
	defer sale.Close()
	reg := daemon.NewRegistry()
	gw := payments.NewGateway(cfg.PaygwURL, cfg.PaySecret, cfg.DepTimeout)
	svc := New(SettingsFrom(cfg), db, sale, gw, log, reg)
	d := &daemon.Daemon{
		Name: "timeouts", Addr: cfg.TimeoutsAddr, Log: log, Registry: reg,
		CheckTimeout: cfg.DepTimeout, ShutdownTimeout: cfg.ShutdownTimeout,
		Checks: []daemon.Check{
			{Name: "sale_redis", Ping: redis.Ping(sale)},
			{Name: "mysql", Ping: mysql.Ping(db)},
		},
		Workers: svc.Workers(),
	}
	return d.Run()
}

// Settings tune the daemon's passes.
type Settings struct {
	ScanEvery      time.Duration // expiry scan (BOXOFFICE_TIMEOUTS_INTERVAL)
	SweepEvery     time.Duration // backstop sweep (BOXOFFICE_SWEEP_INTERVAL)
	SweepGrace     time.Duration // how overdue an order must be before the sweep looks, so the scan goes first
	ReconcileEvery time.Duration // reconciler (BOXOFFICE_RECONCILE_INTERVAL)
	ReconcileGrace time.Duration // age of a hold before a missing order row counts (BOXOFFICE_RECONCILE_GRACE)
	RecoverEvery   time.Duration // loss check: the sale Redis's change sequences against MySQL's
	MemoryEvery    time.Duration // the sale Redis's memory (WatchMemory)
	BloomFP        float64       // for a session rebuilt from nothing (BOXOFFICE_BLOOM_FP)
}

// SettingsFrom reads the settings from the configuration.
func SettingsFrom(cfg *config.Config) Settings {
	return Settings{ScanEvery: cfg.TimeoutsInterval, SweepEvery: cfg.SweepInterval, SweepGrace: 2 * time.Second,
		ReconcileEvery: cfg.ReconcileInterval, ReconcileGrace: cfg.ReconcileGrace,
		RecoverEvery: time.Second, MemoryEvery: 5 * time.Second, BloomFP: cfg.BloomFP}
}

// Gateway is what the daemon asks the payment gateway: to cancel an
// order's pending payment, answering its latest payment (or ENOTFOUND).
type Gateway interface {
	Cancel(ctx context.Context, orderNo string) (*payments.Payment, error)
}

// Service does the daemon's work; Scan, Sweep and Reconcile are one pass
// each, and Workers runs them in loops.
type Service struct {
	set    Settings
	db     *sqlx.DB
	rdb    goredis.UniversalClient
	gw     Gateway
	log    *slog.Logger
	m      *metrics
	leases *leases
	emits  *emitted
	agreed *agreed // the reconciler's holds that agreed with MySQL
	// conflicts raises the reconciler's integrity conflicts.
	conflicts *integrity.Recorder

	mu        sync.Mutex
	gwDownTil time.Time // after a gateway failure, PAYING holds wait until then

	memory memoryState // the last alarm state of the sale Redis's memory (WatchMemory)
}

// New returns a service over the sale Redis rdb, MySQL db and the gateway
// gw, registering its metrics on reg.
func New(set Settings, db *sqlx.DB, rdb goredis.UniversalClient, gw Gateway, log *slog.Logger, reg prometheus.Registerer) *Service {
	m := newMetrics(reg)
	return &Service{set: set, db: db, rdb: rdb, gw: gw, log: log, m: m,
		leases: newLeases(rdb), emits: &emitted{last: map[string]emitRecord{}}, agreed: newAgreed(),
		conflicts: &integrity.Recorder{DB: db, RDB: rdb, Log: log, Count: m.conflicts}}
}

// Workers returns the expiry scan, the sweep, the reconciler, the loss
// check (recovery.go) and the memory watch (memory.go) as daemon workers.
// Each finishes the order in hand when stopped and gives its leases back.
func (s *Service) Workers() []daemon.Worker {
	return []daemon.Worker{
		s.loop("scan", s.set.ScanEvery, s.Scan),
		s.loop("sweep", s.set.SweepEvery, s.Sweep),
		s.loop("reconcile", s.set.ReconcileEvery, s.Reconcile),
		s.loop("recover", s.set.RecoverEvery, s.Recover),
		s.loop("memory", s.set.MemoryEvery, s.WatchMemory),
	}
}

// loop runs pass every interval until ctx ends. Failing passes are
// counted and logged, at most every 10 s while they keep failing.
func (s *Service) loop(name string, every time.Duration, pass func(context.Context) error) daemon.Worker {
	return func(ctx context.Context) error {
		defer s.releaseGlobal(name)
		t := time.NewTicker(every)
		defer t.Stop()
		var logged time.Time
		for {
			err := pass(ctx)
			if err == nil {
				s.m.passes.WithLabelValues(name).Inc()
			}
			if err != nil && ctx.Err() == nil {
				s.m.passErrors.WithLabelValues(name).Inc()
				if time.Since(logged) > 10*time.Second {
					s.log.Warn("pass failed", "worker", name, "err", err)
					logged = time.Now()
				}
			}
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	}
}

// globalLease is the key of a lease for work done by one process at a time.
func globalLease(name string) string { return "{sale}:lease:timeouts:" + name }

// holdGlobal takes or renews the global lease of a worker for three of its
// intervals. The holder keeps it from pass to pass (the reconciler's memory
// of what it re-emitted stays useful), until it stops or dies.
func (s *Service) holdGlobal(ctx context.Context, name string, every time.Duration) (*lease, bool, error) {
	l, ok, err := s.leases.take(ctx, globalLease(name), 3*every)
	if err == nil && !ok {
		s.m.contention.WithLabelValues(name).Inc()
	}
	return l, ok, err
}

// releaseGlobal gives a worker's global lease back, if this process holds
// it (the scan's leases are per session, the memory watch takes none).
func (s *Service) releaseGlobal(name string) {
	if name != "scan" && name != "memory" {
		(&lease{ls: s.leases, key: globalLease(name)}).release()
	}
}

// gatewayDown reports whether the gateway failed recently; markGatewayDown
// records a failure, so a pass does not wait on a dead gateway per order.
func (s *Service) gatewayDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Before(s.gwDownTil)
}

func (s *Service) markGatewayDown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gwDownTil = time.Now().Add(max(s.set.ScanEvery, time.Second))
}
