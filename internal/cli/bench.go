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
)

const benchArgs = "[--seats N] [--buyers N] [--conns N] [--duration D] [--mixes rush,distinct,sold-out] [--json]"

const benchAbout = "measure grabs per second and latency of the edge beside the limit and a conventional design, then check the sale's invariants"

// benchMore is what --help adds to benchAbout.
const benchMore = `Each mix (rush, distinct, sold-out) runs against the limit (hold.lua called
directly in the sale Redis, pipelined), the edge (the whole grab path through
nginx) and a conventional design (a conditional UPDATE in a MySQL transaction
behind a plain Go handler, on scratch tables the bench drops after). The bench
creates its own seats, buyers (tokens signed with BOXOFFICE_JWT_SECRET) and
sessions on the running stack, prints a progress line on stderr and a table per
mix on stdout (--json: the same as JSON), and exits 1 if an invariant failed.

  --seats N        seats of each session (default 50000)
  --buyers N       buyers who reserved each session (default 200000)
  --conns N        buyers grabbing at once, HTTP connections (default 1000)
  --duration D     most time per mix and target (default 10s)
  --mixes LIST     the mixes to run (default rush,distinct,sold-out)
  --rows-wait D    how long to wait for the order rows of the 201s (default 1m)
  --json           print the report as JSON`

type benchFlags struct {
	opts  bench.Options
	json  bool
	serve string // the conventional handler's address: serve it only
	table string
}

func parseBenchFlags(args []string) (*benchFlags, error) {
	f := &benchFlags{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&f.opts.Seats, "seats", 50_000, "seats of each session")
	fs.IntVar(&f.opts.Buyers, "buyers", 200_000, "buyers who reserved each session")
	fs.IntVar(&f.opts.Conns, "conns", 1000, "buyers grabbing at once (HTTP connections)")
	fs.DurationVar(&f.opts.Duration, "duration", 10*time.Second, "most time per mix and target")
	fs.DurationVar(&f.opts.RowsWait, "rows-wait", time.Minute, "how long to wait for the order rows of the 201s")
	mixes := fs.String("mixes", strings.Join(bench.Mixes, ","), "the mixes to run")
	fs.BoolVar(&f.json, "json", false, "print the report as JSON")
	fs.StringVar(&f.serve, "serve-conventional", "", "only serve the conventional handler on this address (the bench starts it)")
	fs.StringVar(&f.table, "table", "", "the scratch tables' run tag, with --serve-conventional")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	f.opts.Mixes = strings.Split(*mixes, ",")
	for _, m := range f.opts.Mixes {
		if !slices.Contains(bench.Mixes, m) {
			return nil, fmt.Errorf("%w: unknown mix %q (mixes: %s)", errUsage, m, strings.Join(bench.Mixes, ", "))
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
		// Patient, unlike the daemons' client: a loaded Redis is what it measures.
		rdb := goredis.NewClient(&goredis.Options{Addr: cfg.SaleRedisAddr, Password: cfg.SaleRedisPassword,
			ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, PoolTimeout: 30 * time.Second})
		defer rdb.Close()
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
