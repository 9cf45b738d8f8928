// Package recovery brings a session's sale Redis state back to MySQL's
// word after the sale Redis lost changes: the one path behind recover-sale,
// the dev stack's demo sale and the timeouts daemon's automatic repair.
package recovery

import (
	"context"

	"github.com/jmoiron/sqlx"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/mysql"
	"boxoffice/internal/sale"
)

// Session reads session id's snapshot and open conflicts from MySQL and
// recovers them into the sale Redis (sale.Recover): rebuilt if Redis lost
// it wholly, repaired if in part; then grabs resume, and the loss MySQL
// found (a sequence given twice) is cleared unless another came since.
func Session(ctx context.Context, db *sqlx.DB, rdb goredis.UniversalClient, id int64, fp float64) (*sale.Recovered, error) {
	run, err := sale.RunID(ctx, rdb, id) // before MySQL: a restart after it is found by the next check
	if err != nil {
		return nil, err
	}
	plan, holds, applied, err := mysql.RecoverySnapshot(ctx, db, id)
	if err != nil {
		return nil, err
	}
	conflicts, err := mysql.OpenConflicts(ctx, db, id)
	if err != nil {
		return nil, err
	}
	rec, err := sale.Recover(ctx, rdb, plan, holds, conflicts, applied.Seq, run, fp)
	if err != nil {
		return nil, err
	}
	return rec, mysql.Repaired(ctx, db, id, applied.Lost)
}
