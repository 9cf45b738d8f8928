package testenv

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/invariants"
	"boxoffice/internal/mysql"
	"boxoffice/internal/sale"
)

// Settle is how long asynchronous effects (the stack's relay, orders and
// timeouts daemons, payment notifications) may take on a busy machine.
const Settle = 20 * time.Second

// Eventually polls cond every 50 ms until it reports done, failing the
// test after within with what it waited for and what cond last saw.
func Eventually(tb testing.TB, within time.Duration, what string, cond func() (done bool, seen string)) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after %v still waiting for %s; last seen: %s", within, what, seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// APIMetric reads one sample of the api daemon's /metrics, e.g.
// boxoffice_catalog_mysql_loads_total{kind="show"}; 0 while it is absent
// (a counter not yet incremented).
func APIMetric(tb testing.TB, sample string) float64 {
	tb.Helper()
	return Metric(tb, Config(tb).APIAddr, sample)
}

// Metric reads one sample of the /metrics of the daemon at addr, as
// APIMetric does.
func Metric(tb testing.TB, addr, sample string) float64 {
	tb.Helper()
	n, err := invariants.Metric(context.Background(), "http://"+addr, sample)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// Hold reads the hold of order no from the sale Redis.
func Hold(tb testing.TB, rdb goredis.UniversalClient, no string) *boxoffice.Hold {
	tb.Helper()
	h, err := sale.GetHold(context.Background(), rdb, no)
	if err != nil {
		tb.Fatalf("hold %s: %v", no, err)
	}
	return h
}

// Expire ends hold no's hold time now, as if it had passed: a LOCKED hold
// becomes due, a PAYING one stays until its payment deadline. Tests give
// holds a long hold time and call it, so nothing expires before they mean
// it to, however slow the machine.
func Expire(tb testing.TB, rdb goredis.UniversalClient, no string) {
	tb.Helper()
	rewriteHold(tb, rdb, no, boxoffice.HoldLocked, boxoffice.HoldPaying, func(h *boxoffice.Hold, past int64) { h.ExpiresAt = past })
}

// ExpirePayment ends the PAYING hold no's payment deadline now: it is due.
func ExpirePayment(tb testing.TB, rdb goredis.UniversalClient, no string) {
	tb.Helper()
	rewriteHold(tb, rdb, no, boxoffice.HoldPaying, boxoffice.HoldPaying, func(h *boxoffice.Hold, past int64) { h.PayDeadline = past })
}

// rewriteHold applies change to hold no's record, which must be in state a
// or b, and moves its expiry queue entry, if it has one, to when the hold
// is now due. Nothing else may change the hold meanwhile.
func rewriteHold(tb testing.TB, rdb goredis.UniversalClient, no, a, b string, change func(h *boxoffice.Hold, past int64)) {
	tb.Helper()
	ctx := context.Background()
	h := Hold(tb, rdb, no)
	if h.State != a && h.State != b {
		tb.Fatalf("hold %s is %s, want %s or %s", no, h.State, a, b)
	}
	change(h, time.Now().Add(-time.Second).UnixMilli())
	raw, err := sale.EncodeHold(*h)
	if err != nil {
		tb.Fatal(err)
	}
	due := h.ExpiresAt
	if h.State == boxoffice.HoldPaying {
		due = h.PayDeadline
	}
	k := sale.KeysFor(h.SessionID)
	if _, err := rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.HSet(ctx, k.Key("holds"), no, raw)
		p.ZAddXX(ctx, k.Key("expiry"), goredis.Z{Score: float64(due), Member: no})
		return nil
	}); err != nil {
		tb.Fatalf("rewrite hold %s: %v", no, err)
	}
}

// Payments reads the payment rows of order no.
func Payments(tb testing.TB, db *sqlx.DB, no string) []boxoffice.Payment {
	tb.Helper()
	rows, err := mysql.PaymentsOf(context.Background(), db, no)
	if err != nil {
		tb.Fatal(err)
	}
	return rows
}

// OrderStatus reads order no's status in MySQL, "" while it has no row.
func OrderStatus(tb testing.TB, db *sqlx.DB, no string) string {
	tb.Helper()
	var s string
	err := db.Get(&s, `SELECT status FROM orders WHERE order_no = ?`, no)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		tb.Fatal(err)
	}
	return s
}
