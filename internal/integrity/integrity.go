// Package integrity records the conflicts between the sale Redis and
// MySQL: in MySQL (sale_conflicts, the record a repair rebuilds from) and
// in the sale Redis (the seats hold.lua keeps out of sale).
package integrity

import (
	"context"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
	"boxoffice/internal/sale"
)

// NewCounter is boxoffice_integrity_conflicts_total, for a Recorder.
func NewCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "boxoffice_integrity_conflicts_total",
		Help: "Disagreements between the sale Redis and MySQL found, by kind; their seats are kept out of sale."},
		[]string{"kind"})
}

// Recorder raises conflicts: Flag, and the new ones counted and logged.
type Recorder struct {
	DB    *sqlx.DB
	RDB   goredis.UniversalClient
	Log   *slog.Logger
	Count *prometheus.CounterVec // NewCounter, registered by the daemon
}

// Raise flags conflict c on seats of session sid; a new one is counted
// and logged with both sides.
func (r *Recorder) Raise(ctx context.Context, sid int64, c boxoffice.Conflict, seats []int64) error {
	fresh, err := Flag(ctx, r.DB, r.RDB, sid, c, seats)
	if err != nil || !fresh {
		return err
	}
	r.Count.WithLabelValues(c.Kind).Inc()
	r.Log.Error("integrity conflict: seats kept out of sale until an admin clears them", "kind", c.Kind,
		"session", sid, "order", c.OrderNo, "other_order", c.OtherOrderNo, "seats", seats, "detail", c.Detail)
	return nil
}

// Flag records conflict c on seats of session sid, MySQL first, and keeps
// those of its seats still open out of sale. It reports whether the
// conflict is new (a disagreement found again, or already cleared by an
// admin, is not), so callers count and log it once.
func Flag(ctx context.Context, db *sqlx.DB, rdb goredis.UniversalClient, sid int64, c boxoffice.Conflict, seats []int64) (bool, error) {
	if c.At == 0 {
		c.At = time.Now().UnixMilli()
	}
	added, open, err := mysql.RecordConflict(ctx, db, sid, c, seats)
	if err != nil {
		return false, err
	}
	return added > 0, sale.FlagConflict(ctx, rdb, sid, c, open)
}

// Clear puts a seat kept out of sale by conflicts back on sale: closed in
// MySQL, then dropped from the sale Redis (a retry after a failure of the
// second finishes it). ENOTFOUND if neither store has it flagged.
func Clear(ctx context.Context, db *sqlx.DB, rdb goredis.UniversalClient, sid, seat int64) error {
	closed, err := mysql.ClearConflicts(ctx, db, sid, seat)
	if err != nil {
		return err
	}
	dropped, err := sale.ClearConflict(ctx, rdb, sid, seat)
	if err != nil {
		return err
	}
	if !closed && !dropped {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "seat %d of session %d has no conflict", seat, sid)
	}
	return nil
}
