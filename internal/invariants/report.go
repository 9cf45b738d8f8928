package invariants

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/sale"
)

// The checks below are single verdicts for a load test's report
// (boxoffice bench): they run on one session right after its load.

// Result is one check's verdict.
type Result struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

func verdict(name string, problems []string, fine string) Result {
	if len(problems) == 0 {
		return Result{Name: name, OK: true, Detail: fine}
	}
	more := ""
	if len(problems) > 3 {
		more = fmt.Sprintf(" (and %d more)", len(problems)-3)
	}
	return Result{Name: name, Detail: strings.Join(problems[:min(3, len(problems))], "; ") + more}
}

// SeatsInOneHold checks session sid in the sale Redis: no seat is in two
// live (not released) holds.
func SeatsInOneHold(ctx context.Context, rdb goredis.UniversalClient, sid int64) Result {
	const name = "no seat in two holds"
	holds, err := holdsOf(ctx, rdb, sid)
	if err != nil {
		return Result{Name: name, Detail: err.Error()}
	}
	return verdict(name, twice(sid, nil, holds), fmt.Sprintf("%d holds", len(holds)))
}

// CountersMatchSeats checks that session sid's counters equal the seat
// hash's states (sale.Audit).
func CountersMatchSeats(ctx context.Context, rdb goredis.UniversalClient, sid int64) Result {
	const name = "counters equal seat states"
	problems, err := sale.Audit(ctx, rdb, sid)
	if err != nil {
		return Result{Name: name, Detail: err.Error()}
	}
	return verdict(name, problems, "every counter matches")
}

// Lag is the time from a hold in the sale Redis to its order row in MySQL.
type Lag struct {
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// OrderRows waits up to wait for an order row of every order number in
// orderNos (holds a buyer was given), then checks that each has one. It
// also returns the hold → row lag: from the row's created_at (the hold's
// time, by the sale Redis clock) to its updated_at, which MySQL sets when
// the row is written and again at each change, so the lag is exact only
// for rows not changed since (no payment, release or sale yet).
func OrderRows(ctx context.Context, db *sqlx.DB, sid int64, orderNos []string, wait time.Duration) (Result, Lag) {
	const name = "every 201 has its order row"
	deadline := time.Now().Add(wait)
	var lags map[string]int64
	for {
		var err error
		if lags, err = rowLags(ctx, db, sid); err != nil {
			return Result{Name: name, Detail: err.Error()}, Lag{}
		}
		missing := slices.ContainsFunc(orderNos, func(no string) bool { _, ok := lags[no]; return !ok })
		if !missing || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	var problems []string
	var got []time.Duration
	for _, no := range orderNos {
		lag, ok := lags[no]
		if !ok {
			problems = append(problems, "no order row for "+no)
			continue
		}
		got = append(got, time.Duration(lag)*time.Microsecond)
	}
	slices.Sort(got)
	return verdict(name, problems, fmt.Sprintf("%d rows", len(got))), lagOf(got)
}

// rowLags returns the hold → row lag (µs) of session sid's order rows.
func rowLags(ctx context.Context, db *sqlx.DB, sid int64) (map[string]int64, error) {
	var rows []struct {
		OrderNo string `db:"order_no"`
		Lag     int64  `db:"lag_us"`
	}
	if err := db.SelectContext(ctx, &rows, `SELECT order_no, TIMESTAMPDIFF(MICROSECOND, created_at, updated_at) AS lag_us
		FROM orders WHERE session_id = ?`, sid); err != nil {
		return nil, err
	}
	lags := make(map[string]int64, len(rows))
	for _, r := range rows {
		lags[r.OrderNo] = r.Lag
	}
	return lags, nil
}

func lagOf(sorted []time.Duration) Lag {
	if len(sorted) == 0 {
		return Lag{}
	}
	at := func(q float64) time.Duration { return sorted[int(q*float64(len(sorted)-1))] }
	return Lag{P50: at(0.50), P99: at(0.99), Max: sorted[len(sorted)-1]}
}
