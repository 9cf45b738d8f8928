// Package devstack runs the whole boxoffice stack on one machine for
// development and tests: private MariaDB and Redis servers on their own
// ports, the dev Kafka broker, the daemons and the edge, all under the run
// folder. It starts only what is not already running and stops only what it
// started.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/config"
	"boxoffice/internal/mysql"
	"boxoffice/internal/recovery"
	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/internal/seed"
	"boxoffice/openresty"
	"boxoffice/workers/devkafka"
)

// Stack is the dev stack described by one configuration.
type Stack struct {
	cfg    *config.Config
	run    string // absolute run folder
	bin    string // the boxoffice binary the daemons run
	env    []string
	out    io.Writer
	exited map[string]<-chan struct{}
}

// New prepares a stack; bin is the boxoffice binary to run the daemons with.
func New(cfg *config.Config, bin string, out io.Writer) (*Stack, error) {
	run, err := filepath.Abs(cfg.RunDir)
	if err != nil {
		return nil, err
	}
	return &Stack{cfg: cfg, run: run, bin: bin, out: out, env: os.Environ(),
		exited: map[string]<-chan struct{}{}}, nil
}

// Up starts whatever is not running, in dependency order, and loads the
// schema and the demo data. Re-running it is safe.
func (s *Stack) Up(ctx context.Context) (*seed.Summary, error) {
	if err := s.prepare(); err != nil {
		return nil, err
	}
	if err := s.checkPorts(s.all()); err != nil {
		return nil, err
	}
	if err := s.startAll(ctx, s.infra()); err != nil {
		return nil, err
	}
	if err := s.formCluster(ctx); err != nil {
		return nil, err
	}
	if err := s.mariadbBootstrap(ctx); err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	if err := s.startAll(ctx, s.services()); err != nil {
		return nil, err
	}
	return s.seed(ctx)
}

// prepare makes the run folder and secrets and reloads the settings, so
// that they and every child see the generated secrets.
func (s *Stack) prepare() error {
	for _, d := range []string{"logs", "pids"} {
		if err := os.MkdirAll(filepath.Join(s.run, d), 0o755); err != nil {
			return err
		}
	}
	secretsFile := filepath.Join(s.run, "secrets.env")
	if s.cfg.SecretsFile != "" {
		secretsFile = s.cfg.SecretsFile
	}
	secrets, err := ensureSecrets(secretsFile)
	if err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	for k, v := range secrets {
		if _, set := os.LookupEnv(k); !set {
			s.env = append(s.env, k+"="+v)
		}
	}
	s.env = append(s.env, "BOXOFFICE_RUN_DIR="+s.run, "BOXOFFICE_SECRETS_FILE="+secretsFile)
	cfg, err := config.LoadFrom(s.lookup)
	if err != nil {
		return err
	}
	s.cfg = cfg
	return nil
}

// lookup reads a variable from the children's environment.
func (s *Stack) lookup(name string) (string, bool) {
	for i := len(s.env) - 1; i >= 0; i-- {
		if k, v, _ := strings.Cut(s.env[i], "="); k == name {
			return v, true
		}
	}
	return "", false
}

// checkPorts reports every port that a part needs and another program holds.
func (s *Stack) checkPorts(parts []*part) error {
	var taken []string
	for _, p := range parts {
		if p.pid() != 0 {
			continue
		}
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			taken = append(taken, fmt.Sprintf("port %s (%s) is in use by another program; set %s to move it",
				config.Port(p.addr), p.name, p.addrVar))
			continue
		}
		ln.Close()
	}
	if len(taken) > 0 {
		return errors.New(strings.Join(taken, "\n"))
	}
	return nil
}

// startAll starts the parts that are not running, then waits for all of them.
func (s *Stack) startAll(ctx context.Context, parts []*part) error {
	for _, p := range parts {
		if err := s.ensure(p); err != nil {
			return err
		}
	}
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.waitReady(ctx, p) }()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ensure starts p unless it runs; a daemon older than the binary restarts,
// and a running edge reloads its re-rendered config.
func (s *Stack) ensure(p *part) error {
	if pid := p.pid(); pid != 0 {
		switch {
		case p.daemon && s.binaryNewer(p):
			fmt.Fprintf(s.out, "restarting %s (binary changed)\n", p.name)
			if err := p.stop(s.cfg.ShutdownTimeout + 5*time.Second); err != nil {
				return err
			}
		case p.name == "edge":
			if err := openresty.Prepare(s.cfg, s.edgePrefix(), s.env); err != nil {
				return err
			}
			return p.signal(syscall.SIGHUP)
		default:
			return nil
		}
	}
	cmd, err := p.command()
	if err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	fmt.Fprintf(s.out, "starting %s on %s (log: %s)\n", p.name, p.addr, s.rel(p.logFile))
	exited, err := p.start(cmd)
	if err != nil {
		return err
	}
	s.exited[p.name] = exited
	return nil
}

func (s *Stack) binaryNewer(p *part) bool {
	st, err := os.Stat(s.bin)
	return err == nil && st.ModTime().After(p.started())
}

// waitReady polls p until it is ready, it exits, or its time is up.
func (s *Stack) waitReady(ctx context.Context, p *part) error {
	deadline := time.Now().Add(p.wait)
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		err := p.ready(cctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited[p.name]:
			return fmt.Errorf("%s exited while starting; see %s:\n%s", p.name, s.rel(p.logFile), s.tail(p.logFile))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not become ready within %s (%v); see %s:\n%s",
				p.name, p.wait, err, s.rel(p.logFile), s.tail(p.logFile))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *Stack) migrate(ctx context.Context) error {
	db, err := mysql.Open(s.cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := mysql.Migrate(ctx, db)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if len(applied) > 0 {
		fmt.Fprintf(s.out, "applied %d migrations\n", len(applied))
	}
	return nil
}

func (s *Stack) seed(ctx context.Context) (*seed.Summary, error) {
	db, err := mysql.Open(s.cfg)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	sum, err := seed.Demo(ctx, db, s.cfg.DemoPassword, time.Now())
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	return sum, s.loadDemoSale(ctx, db, sum.SessionID)
}

// loadDemoSale puts the demo session, on sale in MySQL, into the sale Redis
// unless it is there: the same rebuild recover-sale does.
func (s *Stack) loadDemoSale(ctx context.Context, db *sqlx.DB, id int64) error {
	rdb := redis.NewSale(s.cfg)
	defer rdb.Close()
	if _, err := sale.LiveStats(ctx, rdb, id); boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
		return err
	}
	if _, err := recovery.Session(ctx, db, rdb, id, s.cfg.BloomFP); err != nil {
		return fmt.Errorf("demo sale: %w", err)
	}
	fmt.Fprintf(s.out, "loaded demo session %d into the sale Redis\n", id)
	return nil
}

// Down stops every part this stack started, last started first.
func (s *Stack) Down() error {
	parts := s.all()
	var errs []error
	for i := len(parts) - 1; i >= 0; i-- {
		p := parts[i]
		if p.pid() == 0 {
			_ = os.Remove(p.pidFile)
			continue
		}
		fmt.Fprintf(s.out, "stopping %s\n", p.name)
		errs = append(errs, p.stop(s.cfg.ShutdownTimeout+5*time.Second))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// The broker's log lives as long as the stack: the next up starts empty.
	return os.RemoveAll(devkafka.DataDir(s.run))
}

// Stop stops the named parts only (SIGTERM, then SIGKILL after the grace).
func (s *Stack) Stop(names ...string) error {
	return s.each(names, func(p *part) error { return p.stop(s.cfg.ShutdownTimeout + 5*time.Second) })
}

// Kill ends the named parts at once with SIGKILL, as a crash would, and
// waits until they are gone.
func (s *Stack) Kill(names ...string) error {
	return s.each(names, func(p *part) error { return p.stop(0) })
}

// Start starts the named parts unless they run and waits until they are
// ready; unlike Up it neither migrates nor seeds.
func (s *Stack) Start(ctx context.Context, names ...string) error {
	parts, err := s.named(names)
	if err != nil {
		return err
	}
	if err := s.prepare(); err != nil {
		return err
	}
	return s.startAll(ctx, parts)
}

// each runs act on every named part in turn.
func (s *Stack) each(names []string, act func(*part) error) error {
	parts, err := s.named(names)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if err := act(p); err != nil {
			return err
		}
	}
	return nil
}

// named returns the parts called names, refusing none or an unknown one.
func (s *Stack) named(names []string) ([]*part, error) {
	if len(names) == 0 {
		return nil, errors.New("name at least one part (" + strings.Join(s.names(), ", ") + ")")
	}
	byName := map[string]*part{}
	for _, p := range s.all() {
		byName[p.name] = p
	}
	var out []*part
	for _, n := range names {
		p, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("no part %q (parts: %s)", n, strings.Join(s.names(), ", "))
		}
		out = append(out, p)
	}
	return out, nil
}

// Status prints each part, its address, pid and readiness.
func (s *Stack) Status() error {
	fmt.Fprintf(s.out, "%-12s %-22s %-8s %s\n", "PART", "ADDRESS", "PID", "STATE")
	for _, p := range s.all() {
		state, pid := "stopped", "-"
		if n := p.pid(); n != 0 {
			pid = fmt.Sprint(n)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			state = "ready"
			if err := p.ready(ctx); err != nil {
				state = "running, not ready: " + err.Error()
			}
			cancel()
		}
		fmt.Fprintf(s.out, "%-12s %-22s %-8s %s\n", p.name, p.addr, pid, state)
	}
	return nil
}

func (s *Stack) names() []string {
	var out []string
	for _, p := range s.all() {
		out = append(out, p.name)
	}
	return out
}

func (s *Stack) rel(path string) string {
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
	}
	return path
}

func (s *Stack) tail(path string) string {
	b, _ := os.ReadFile(path)
	return lastLines(b, 8)
}
