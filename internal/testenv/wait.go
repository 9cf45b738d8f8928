package testenv

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
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
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				tb.Fatalf("metric %s: %v", sample, err)
			}
			return n
		}
	}
	return 0
}

// Hold reads the hold of order no from the sale Redis.
func Hold(tb testing.TB, rdb *goredis.Client, no string) *boxoffice.Hold {
	tb.Helper()
	h, err := sale.GetHold(context.Background(), rdb, no)
	if err != nil {
		tb.Fatalf("hold %s: %v", no, err)
	}
	return h
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
