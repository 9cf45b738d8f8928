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
	"boxoffice/internal/kafka"
	"boxoffice/internal/recovery"
	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
	"boxoffice/workers/orders"
)

// recoverSaleCmd brings a session's sale Redis state back to MySQL's word
// after the sale Redis lost it, wholly or in part. It refuses while the
// orders consumer group has events left to write: MySQL would not have
// its final word yet.
func recoverSaleCmd(cfg *config.Config, args []string) error {
	id, err := parseRecoverFlags(args)
	if err != nil {
		return err
	}
	return withDB(cfg, func(ctx context.Context, db *sqlx.DB) error {
		lag, err := kafka.GroupLag(ctx, cfg.KafkaBrokers, orders.Group, cfg.KafkaTopic)
		if err != nil {
			return boxoffice.Errorf(boxoffice.EUNAVAILABLE, "cannot tell whether orders has written every sale event: %v", err)
		}
		if lag > 0 {
			return boxoffice.Errorf(boxoffice.ECONFLICT, "the orders consumer group %s has %d sale events of %s not yet "+
				"written into MySQL; run recover-sale again once orders has caught up", orders.Group, lag, cfg.KafkaTopic)
		}
		rdb := redis.NewSale(cfg)
		defer rdb.Close()
		rec, err := recovery.Session(ctx, db, rdb, id, cfg.BloomFP)
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
	if r.Armed != nil {
		fmt.Fprintf(w, "session %d rebuilt in the sale Redis, state %s (arm version %d)\n", id, r.State, r.Armed.Version)
		fmt.Fprintf(w, "  seats  %d available, %d locked, %d sold\n", r.Seats[boxoffice.SeatAvailable], r.Seats[boxoffice.SeatLocked], r.Seats[boxoffice.SeatSold])
		fmt.Fprintf(w, "  reservations %d\n", r.Armed.Reserved)
	} else {
		fmt.Fprintf(w, "session %d repaired in the sale Redis, state %s\n", id, r.State)
		fmt.Fprintf(w, "  repaired %d holds, released %d newer holds, %d seats sold twice: %v\n", r.Repaired, r.Displaced, len(r.Conflicts), r.Conflicts)
	}
	fmt.Fprintf(w, "  holds  %d locked, %d paying, %d sold, %d released (MySQL)\n", r.Holds[boxoffice.HoldLocked], r.Holds[boxoffice.HoldPaying], r.Holds[boxoffice.HoldSold], r.Holds[boxoffice.HoldReleased])
	fmt.Fprintf(w, "  change sequence %d\n", r.Seq)
}
