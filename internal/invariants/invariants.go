// Package invariants checks, after a burst of grabs, that a session's sale
// state is whole: no seat in two live holds, counters that equal the seat
// states, and an order row in MySQL for every hold a buyer was given.
// Each check returns a Result that names what it found wrong.
package invariants

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/sale"
)

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

// SeatsInOneHold checks session sid in the sale Redis: every seat is in at
// most one live (not released) hold, and the seat hash names that hold as
// the seat's owner.
func SeatsInOneHold(ctx context.Context, rdb *goredis.Client, sid int64) Result {
	const name = "no seat in two holds"
	k := sale.KeysFor(sid)
	holds, err := rdb.HGetAll(ctx, k.Key(sale.KeyHolds)).Result()
	if err != nil {
		return Result{Name: name, Detail: err.Error()}
	}
	seats, err := rdb.HGetAll(ctx, k.Key(sale.KeySeats)).Result()
	if err != nil {
		return Result{Name: name, Detail: err.Error()}
	}
	owner := map[int64]string{}
	var problems []string
	live := 0
	for no, raw := range holds {
		h, err := sale.DecodeHold(no, raw)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if h.State == boxoffice.HoldReleased {
			continue
		}
		live++
		for _, seat := range h.SeatIDs {
			if other, ok := owner[seat]; ok {
				problems = append(problems, fmt.Sprintf("seat %d in %s and %s", seat, other, no))
			}
			owner[seat] = no
			if st := seats[fmt.Sprint(seat)]; len(st) < 2 || st[2:] != no {
				problems = append(problems, fmt.Sprintf("seat %d of %s is %q in the seat hash", seat, no, st))
			}
		}
	}
	return verdict(name, problems, fmt.Sprintf("%d live holds, %d seats", live, len(owner)))
}

// CountersMatchSeats checks that session sid's counters (available, locked
// and sold per tier, and available in all) equal the seat hash's states.
func CountersMatchSeats(ctx context.Context, rdb *goredis.Client, sid int64) Result {
	const name = "counters equal seat states"
	k := sale.KeysFor(sid)
	pipe := rdb.Pipeline()
	seatsCmd := pipe.HGetAll(ctx, k.Key(sale.KeySeats))
	tiersCmd := pipe.HGetAll(ctx, k.Key(sale.KeyTier))
	countsCmd := pipe.HGetAll(ctx, k.Key(sale.KeyCounts))
	if _, err := pipe.Exec(ctx); err != nil {
		return Result{Name: name, Detail: err.Error()}
	}
	tiers := tiersCmd.Val()
	want := map[string]int64{}
	for seat, st := range seatsCmd.Val() {
		kind := map[byte]string{'A': "avail", 'L': "locked", 'S': "sold"}[st[0]]
		want[kind+":"+tiers[seat]]++
		if kind == "avail" {
			want["avail"]++
		}
	}
	counts := countsCmd.Val()
	var problems []string
	for _, field := range sortedKeys(want, counts) {
		var got int64
		fmt.Sscan(counts[field], &got)
		if got != want[field] {
			problems = append(problems, fmt.Sprintf("%s is %d, the seats say %d", field, got, want[field]))
		}
	}
	return verdict(name, problems, fmt.Sprintf("%d seats, %d available", len(seatsCmd.Val()), want["avail"]))
}

func sortedKeys(a map[string]int64, b map[string]string) []string {
	var out []string
	for f := range a {
		out = append(out, f)
	}
	for f := range b {
		if _, ok := a[f]; !ok {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
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
