package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/auth"
	"boxoffice/internal/bench"
	"boxoffice/internal/config"
	"boxoffice/internal/mysql"
)

const benchArgs = "[--seats N] [--buyers N] [--conns N] [--duration D] [--mixes rush,distinct,sold-out,multi] [--cluster-env FILE] [--json]"

const benchAbout = "measure grabs per second and latency of the edge beside the limit and a conventional design, then check the sale's invariants"

// benchMore is what --help adds to benchAbout.
const benchMore = `Each mix (rush, distinct, sold-out) runs against the limit (hold.lua called
directly in the sale Redis, pipelined), the edge (the whole grab path through
nginx) and a conventional design (a conditional UPDATE in a MySQL transaction
behind a plain Go handler, on scratch tables the bench drops after). The bench
creates its own seats, buyers (tokens signed with BOXOFFICE_JWT_SECRET) and
sessions on the running stack, prints a progress line on stderr and a table per
mix on stdout (--json: the same as JSON), and exits 1 if an invariant failed.
Before each target it waits for the stack to rest (the sale Redis's AOF
rewritten first when one is due), and it refuses a sale Redis whose maxmemory
has no room for the target's session: the sessions stay, so run it on a fresh
stack (make bench does) once a stack is full.

The multi mix needs --cluster-env, the settings of a second stack whose sale
Redis is a cluster: every grab is of a free seat of one of 6 sessions (on a
cluster, as many on each master), run against the limit and the edge of each
stack, and the report gives the requests/s on the cluster over those on one
Redis.

  --seats N        seats of each session (default 50000)
  --buyers N       buyers who reserved each session (default 200000)
  --conns N        buyers grabbing at once, HTTP connections (default 1000)
  --duration D     most time per mix and target (default 10s)
  --mixes LIST     the mixes to run (default rush,distinct,sold-out, and multi
                   with --cluster-env)
  --cluster-env FILE  KEY=value settings of a stack whose sale Redis is a
                   cluster (BOXOFFICE_SALE_REDIS_CLUSTER), for the multi mix
  --rows-wait D    how long to wait for the order rows of the 201s (default 1m)
  --json           print the report as JSON`

type benchFlags struct {
	opts    bench.Options
	json    bool
	cluster string // the cluster stack's settings file
	serve   string // the conventional handler's address: serve it only
	table   string
}

func parseBenchFlags(args []string) (*benchFlags, error) {
	f := &benchFlags{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&f.opts.Seats, "seats", 50_000, "seats of each session")
	fs.IntVar(&f.opts.Buyers, "buyers", 200_000, "buyers who reserved each session")
	fs.IntVar(&f.opts.Conns, "conns", 1000, "buyers grabbing at once (HTTP connections)")
	fs.DurationVar(&f.opts.Duration, "duration", 10*time.Second, "most time per mix and target")
	fs.DurationVar(&f.opts.RowsWait, "rows-wait", time.Minute, "how long to wait for the order rows of the 201s")
	mixes := fs.String("mixes", "", "the mixes to run")
	fs.StringVar(&f.cluster, "cluster-env", "", "settings of a stack whose sale Redis is a cluster, for the multi mix")
	fs.BoolVar(&f.json, "json", false, "print the report as JSON")
	fs.StringVar(&f.serve, "serve-conventional", "", "only serve the conventional handler on this address (the bench starts it)")
	fs.StringVar(&f.table, "table", "", "the scratch tables' run tag, with --serve-conventional")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	f.opts.Mixes = bench.Mixes
	if f.cluster != "" {
		f.opts.Mixes = append(slices.Clone(bench.Mixes), bench.MixMulti)
	}
	if *mixes != "" {
		f.opts.Mixes = strings.Split(*mixes, ",")
	}
	all := append(slices.Clone(bench.Mixes), bench.MixMulti)
	for _, m := range f.opts.Mixes {
		if !slices.Contains(all, m) {
			return nil, fmt.Errorf("%w: unknown mix %q (mixes: %s)", errUsage, m, strings.Join(all, ", "))
		}
		if m == bench.MixMulti && f.cluster == "" {
			return nil, fmt.Errorf("%w: the multi mix needs --cluster-env", errUsage)
		}
	}
	if f.opts.Seats < 1 || f.opts.Buyers < 1 || f.opts.Conns < 1 || f.opts.Duration <= 0 || f.opts.Seats > 999_999 || f.opts.Buyers > 999_999 {
		return nil, fmt.Errorf("%w: --seats and --buyers must be 1 to 999999, --conns and --duration positive", errUsage)
	}
	return f, nil
}

// benchCmd runs the benchmark against the configured stack.
func benchCmd(cfg *config.Config, args []string) error {
	f, err := parseBenchFlags(args)
	if err != nil {
		return err
	}
	return withDB(cfg, func(ctx context.Context, db *sqlx.DB) error {
		keys := auth.NewKeys(cfg)
		if f.serve != "" {
			return bench.ServeConventional(ctx, db, keys, f.serve, f.table)
		}
		rdb := benchSale(cfg)
		defer rdb.Close()
		if f.cluster != "" {
			c, closeCluster, err := clusterStack(ctx, f.cluster)
			if err != nil {
				return err
			}
			defer closeCluster()
			f.opts.Cluster = c
		}
		f.opts.EdgeURL, f.opts.RunDir = "http://"+cfg.EdgeAddr, cfg.RunDir
		f.opts.Progress = os.Stderr
		if !f.json {
			f.opts.Mixed = func(rep *bench.Report, m bench.MixReport) { rep.WriteTable(os.Stdout, m) }
		}
		rep, err := bench.Run(ctx, bench.Deps{DB: db, Sale: rdb, Keys: keys, BloomFP: cfg.BloomFP}, f.opts)
		if err != nil {
			return err
		}
		if f.json {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(rep); err != nil {
				return err
			}
		}
		if failed := rep.Failed(); len(failed) > 0 {
			return fmt.Errorf("invariants failed:\n  %s", strings.Join(failed, "\n  "))
		}
		return nil
	})
}

// benchSale is the bench's client of the sale Redis of cfg, a cluster
// client for a cluster; patient, unlike the daemons' client: a loaded
// Redis is what it measures.
func benchSale(cfg *config.Config) goredis.UniversalClient {
	addrs := cfg.SaleRedisCluster
	if len(addrs) == 0 {
		addrs = []string{cfg.SaleRedisAddr}
	}
	return goredis.NewUniversalClient(&goredis.UniversalOptions{Addrs: addrs, IsClusterMode: len(cfg.SaleRedisCluster) > 0,
		Password: cfg.SaleRedisPassword, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, PoolTimeout: 30 * time.Second})
}

// clusterStack connects to the stack of the settings file path, whose
// sale Redis must be a cluster; close it with the returned function.
func clusterStack(ctx context.Context, path string) (*bench.Stack, func(), error) {
	vals, err := config.ReadEnvFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--cluster-env: %w", err)
	}
	cfg, err := config.LoadFrom(func(k string) (string, bool) { v, ok := vals[k]; return v, ok })
	if err != nil {
		return nil, nil, fmt.Errorf("--cluster-env %s: %w", path, err)
	}
	if len(cfg.SaleRedisCluster) == 0 {
		return nil, nil, fmt.Errorf("--cluster-env %s sets no BOXOFFICE_SALE_REDIS_CLUSTER", path)
	}
	db, err := mysql.Open(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("open the cluster stack's database: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("connect to the cluster stack's %s/%s: %w", cfg.MySQLAddr, cfg.MySQLDatabase, err)
	}
	rdb := benchSale(cfg)
	deps := bench.Deps{DB: db, Sale: rdb, Keys: auth.NewKeys(cfg), BloomFP: cfg.BloomFP}
	return &bench.Stack{Deps: deps, EdgeURL: "http://" + cfg.EdgeAddr, RunDir: cfg.RunDir},
		func() { rdb.Close(); db.Close() }, nil
}
