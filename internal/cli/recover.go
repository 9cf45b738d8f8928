package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/config"
	"boxoffice/internal/mysql"
	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
)

// recoverSaleCmd rebuilds a session's sale Redis state from MySQL after
// the sale Redis lost it.
func recoverSaleCmd(cfg *config.Config, args []string) error {
	id, err := parseRecoverFlags(args)
	if err != nil {
		return err
	}
	return withDB(cfg, func(ctx context.Context, db *sqlx.DB) error {
		plan, holds, err := mysql.RecoverySnapshot(ctx, db, id)
		if err != nil {
			return err
		}
		rdb := redis.NewSale(cfg)
		defer rdb.Close()
		rec, err := sale.Recover(ctx, rdb, plan, holds, plan.Session.State, cfg.BloomFP)
		if err != nil {
			return err
		}
		printRecovered(os.Stdout, id, rec)
		return nil
	})
}

func parseRecoverFlags(args []string) (int64, error) {
	fs := flag.NewFlagSet("recover-sale", flag.ContinueOnError)
	id := fs.Int64("session", 0, "the session to rebuild")
	if err := parseFlags(fs, args); err != nil {
		return 0, err
	}
	if *id <= 0 {
		return 0, fmt.Errorf("%w: --session must be a session id", errUsage)
	}
	return *id, nil
}

func printRecovered(w io.Writer, id int64, r *sale.Recovered) {
	fmt.Fprintf(w, "session %d recovered into the sale Redis, state %s (arm version %d)\n", id, r.State, r.Armed.Version)
	fmt.Fprintf(w, "  seats  %d available, %d locked, %d sold\n", r.Seats[boxoffice.SeatAvailable], r.Seats[boxoffice.SeatLocked], r.Seats[boxoffice.SeatSold])
	fmt.Fprintf(w, "  holds  %d locked, %d paying, %d sold\n", r.Holds[boxoffice.HoldLocked], r.Holds[boxoffice.HoldPaying], r.Holds[boxoffice.HoldSold])
	fmt.Fprintf(w, "  reservations %d\n", r.Armed.Reserved)
}
