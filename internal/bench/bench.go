// Package bench is `boxoffice bench`: the same grab mixes, in one run,
// against the limit (hold.lua called directly in the sale Redis), the edge
// (the whole grab path through nginx) and a conventional design (a
// conditional UPDATE in a MySQL transaction behind a plain Go handler),
// with the sale's invariants checked after each.
package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/auth"
	"boxoffice/internal/invariants"
)

// Targets are what each mix runs against, in this order.
const (
	TargetLimit        = "limit"
	TargetEdge         = "edge"
	TargetConventional = "conventional"
)

// Options are a run's settings.
type Options struct {
	Seats    int
	Buyers   int
	Conns    int           // concurrent buyers (HTTP connections)
	Duration time.Duration // most time per mix and target
	Mixes    []string
	EdgeURL  string        // base URL of the edge
	RunDir   string        // the stack's run folder, whose pid files name the parts to profile
	RowsWait time.Duration // how long to wait for order rows after a load
	Progress io.Writer
	Mixed    func(*Report, MixReport) // called with each mix as it ends
	Cluster  *Stack                   // the stack whose sale Redis is a cluster, for the multi mix
}

// Stack is a stack the bench grabs on: its parts, its edge and its run folder.
type Stack struct {
	Deps    Deps
	EdgeURL string
	RunDir  string
}

// Deps are the stack's parts the bench talks to.
type Deps struct {
	DB      *sqlx.DB
	Sale    goredis.UniversalClient
	Keys    *auth.Keys
	BloomFP float64
}

// Report is a run's result.
type Report struct {
	Seats    int         `json:"seats"`
	Buyers   int         `json:"buyers"`
	Conns    int         `json:"connections"`
	Duration string      `json:"duration_per_target"`
	CPUs     int         `json:"cpus"`
	Mixes    []MixReport `json:"mixes"`
}

// MixReport is one mix against every target.
type MixReport struct {
	Mix                string         `json:"mix"`
	Targets            []TargetReport `json:"targets"`
	EdgeToLimit        float64        `json:"edge_to_limit,omitempty"`
	EdgeToConventional float64        `json:"edge_to_conventional,omitempty"`
	// ClusterToSingle is, for the multi mix, each target's requests/s on
	// the cluster over those on the one Redis.
	ClusterToSingle map[string]float64 `json:"cluster_to_single,omitempty"`
}

// TargetReport is one mix against one target.
type TargetReport struct {
	Target       string              `json:"target"`
	Session      int64               `json:"session_id,omitempty"`
	Sessions     []int64             `json:"session_ids,omitempty"` // the multi mix's
	SaleRedis    string              `json:"sale_redis,omitempty"`  // the multi mix's: one Redis or a cluster
	Requests     int                 `json:"requests"`
	Seconds      float64             `json:"seconds"`
	PerSecond    float64             `json:"requests_per_second"`
	P50          float64             `json:"p50_ms"`
	P99          float64             `json:"p99_ms"`
	Max          float64             `json:"max_ms"`
	Outcomes     map[string]int      `json:"outcomes"`
	GeneratorCPU float64             `json:"generator_cpu_share"`
	Invariants   []invariants.Result `json:"invariants"`
	HoldToRow    *invariants.Lag     `json:"hold_to_row,omitempty"`
	Profile      Profile             `json:"profile"`
	// CPUPerAnswer is each part's CPU time per answer (µs), the generator's
	// and all of theirs ("all") included.
	CPUPerAnswer map[string]float64 `json:"cpu_us_per_answer,omitempty"`
}

// runner runs the mixes of one run.
type runner struct {
	d               Deps
	o               Options
	f               *fixture
	conventionalURL string
	pids            map[string]int // the parts of the stack to profile
}

// Run creates the bench's buyers, seats and sessions and runs every mix.
func Run(ctx context.Context, d Deps, o Options) (*Report, error) {
	// The first target's room, before the fixture: each target checks its own.
	if err := roomFor(ctx, d.Sale, sessionBytes(o.Seats, o.Buyers)); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Progress, "creating %d seats and %d buyers\n", o.Seats, o.Buyers)
	f, err := newFixture(ctx, d.DB, d.Keys, o.Seats, o.Buyers, d.BloomFP)
	if err != nil {
		return nil, err
	}
	if err := createScratch(ctx, d.DB, f.tag); err != nil {
		return nil, err
	}
	defer dropScratch(context.Background(), d.DB, f.tag)
	r := &runner{d: d, o: o, f: f, pids: stackPIDs(o.RunDir)}
	var stop func()
	if r.conventionalURL, r.pids[TargetConventional], stop, err = startConventional(ctx, f.tag); err != nil {
		return nil, err
	}
	defer stop()
	rep := &Report{Seats: o.Seats, Buyers: o.Buyers, Conns: o.Conns, Duration: o.Duration.String(), CPUs: runtime.NumCPU()}
	for _, mix := range o.Mixes {
		m, err := r.runMix(ctx, mix)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", mix, err)
		}
		rep.Mixes = append(rep.Mixes, *m)
		if o.Mixed != nil {
			o.Mixed(rep, *m)
		}
	}
	return rep, nil
}

// runMix runs one mix against the limit, the edge and the conventional
// design, each on a session (or scratch table) of its own.
func (r *runner) runMix(ctx context.Context, mix string) (*MixReport, error) {
	if mix == MixMulti {
		return r.runMulti(ctx)
	}
	m := &MixReport{Mix: mix}
	for _, name := range []string{TargetLimit, TargetEdge, TargetConventional} {
		tr, err := r.runTarget(ctx, mix, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		m.Targets = append(m.Targets, *tr)
	}
	limit, edge, conv := m.Targets[0].PerSecond, m.Targets[1].PerSecond, m.Targets[2].PerSecond
	if limit > 0 {
		m.EdgeToLimit = edge / limit
	}
	if conv > 0 {
		m.EdgeToConventional = edge / conv
	}
	return m, nil
}

func (r *runner) runTarget(ctx context.Context, mix, name string) (*TargetReport, error) {
	d, o, f := r.d, r.o, r.f
	fmt.Fprintf(o.Progress, "%s against %s: setting up\n", mix, name)
	l := &load{mix: mix, seats: f.seats, buyers: f.buyers, conns: o.Conns, duration: o.Duration,
		progress: o.Progress, label: mix + " against " + name}
	tr := &TargetReport{Target: name}
	if name == TargetConventional {
		if err := resetScratch(ctx, d.DB, f.tag, f.seats, mix == MixSoldOut); err != nil {
			return nil, err
		}
		h := newHTTP(func(int64) string { return r.conventionalURL + "/holds" }, o.Conns)
		defer h.close()
		if err := h.warm(r.conventionalURL+"/healthz", o.Conns); err != nil {
			return nil, err
		}
		l.t = h
		m, err := measure(ctx, l, d.Sale, r.pids, &tr.Profile)
		if err != nil {
			return nil, err
		}
		tr.fill(m)
		tr.Invariants = []invariants.Result{conventionalHeld(ctx, d.DB, f.tag, tr.Outcomes["201"])}
		return tr, nil
	}
	if err := roomFor(ctx, d.Sale, sessionBytes(len(f.seats), len(f.buyers))); err != nil {
		return nil, err
	}
	sid, err := f.session(ctx, d.DB, d.Sale)
	if err != nil {
		return nil, err
	}
	tr.Session, l.sessions = sid, []int64{sid}
	limit, err := newLimit(ctx, d.Sale, l.sessions)
	if err != nil {
		return nil, err
	}
	defer limit.close()
	if mix == MixSoldOut {
		if err := sellOut(ctx, d, o, f, limit, sid); err != nil {
			return nil, err
		}
	}
	l.t = limit
	if name == TargetEdge {
		edge := newHTTP(grabURL(o.EdgeURL), o.Conns)
		defer edge.close()
		if mix == MixSoldOut {
			if err := edgeKnowsSoldOut(ctx, edge, f, sid); err != nil {
				return nil, err
			}
		}
		if err := edge.warm(o.EdgeURL+"/healthz", o.Conns); err != nil {
			return nil, err
		}
		l.t = edge
	}
	m, err := measure(ctx, l, d.Sale, r.pids, &tr.Profile)
	if err != nil {
		return nil, err
	}
	tr.fill(m)
	fmt.Fprintf(o.Progress, "%s against %s: checking the invariants\n", mix, name)
	rows, lag := invariants.OrderRows(ctx, d.DB, sid, m.Orders[sid], o.RowsWait)
	tr.Invariants = []invariants.Result{invariants.SeatsInOneHold(ctx, d.Sale, sid),
		invariants.CountersMatchSeats(ctx, d.Sale, sid), rows}
	tr.HoldToRow = &lag
	return tr, nil
}

// measure runs the load and profiles the stack meanwhile: its parts of
// pids and its sale Redis rdb.
func measure(ctx context.Context, l *load, rdb goredis.UniversalClient, pids map[string]int, p *Profile) (Measured, error) {
	// A target's holds write to the AOF about what its session takes.
	room := 2 * int64(len(l.sessions)) * sessionBytes(len(l.seats), len(l.buyers))
	if err := settle(ctx, rdb, room, l.progress, l.label); err != nil {
		return Measured{}, err
	}
	if err := rest(ctx, pids, l.progress, l.label); err != nil {
		return Measured{}, err
	}
	before := snapshot(ctx, rdb, pids)
	m := l.run(ctx)
	*p = before.since(ctx, rdb, pids)
	return m, nil
}

// grabURL is the edge's grab URL of a session.
func grabURL(edge string) func(sid int64) string {
	return func(sid int64) string { return fmt.Sprintf("%s/api/sale/sessions/%d/holds", edge, sid) }
}

func (tr *TargetReport) fill(m Measured) {
	tr.Requests, tr.Seconds, tr.Outcomes, tr.GeneratorCPU = m.Requests, m.Elapsed.Seconds(), m.Outcomes, m.CPU
	tr.CPUPerAnswer = cpuPerAnswer(tr.Profile, m, runtime.NumCPU())
	if m.Elapsed > 0 {
		tr.PerSecond = float64(m.Requests) / m.Elapsed.Seconds()
	}
	if len(m.Latencies) > 0 {
		at := func(q float64) float64 { return ms(m.Latencies[int(q*float64(len(m.Latencies)-1))]) }
		tr.P50, tr.P99, tr.Max = at(0.50), at(0.99), ms(m.Latencies[len(m.Latencies)-1])
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// sellOut takes every seat of session sid through the limit, seatLimit
// seats per buyer, and waits for the order rows: the sold-out flood comes
// after the last seat, with the pipeline behind it idle.
func sellOut(ctx context.Context, d Deps, o Options, f *fixture, limit *limitTarget, sid int64) error {
	if len(f.buyers)*seatLimit < len(f.seats) {
		return fmt.Errorf("%d buyers cannot buy %d seats at %d each; give more --buyers", len(f.buyers), len(f.seats), seatLimit)
	}
	n := (len(f.seats) + seatLimit - 1) / seatLimit
	replies := make([]reply, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range o.Conns {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				seats := f.seats[i*seatLimit : min((i+1)*seatLimit, len(f.seats))]
				// A grab that got no answer is asked again with its key.
				for try := 0; try < 5 && replies[i].status == 0; try++ {
					replies[i] = limit.grab(grab{sid: sid, buyer: &f.buyers[i], key: "sellout", seats: seats})
				}
			}
		})
	}
	wg.Wait()
	orders := make([]string, 0, n)
	for _, r := range replies {
		if r.status != http.StatusCreated {
			return fmt.Errorf("selling out session %d: a grab got %d", sid, r.status)
		}
		orders = append(orders, r.orderNo)
	}
	if res, _ := invariants.OrderRows(ctx, d.DB, sid, orders, o.RowsWait); !res.OK {
		return fmt.Errorf("selling out session %d: %s", sid, res.Detail)
	}
	return nil
}

// edgeKnowsSoldOut waits until the edge answers a grab 410 from its copy
// of the sold-out flag (refreshed every few tenths of a second).
func edgeKnowsSoldOut(ctx context.Context, edge *httpTarget, f *fixture, sid int64) error {
	deadline := time.Now().Add(15 * time.Second)
	for i := 0; ; i++ {
		r := edge.grab(grab{sid: sid, buyer: &f.buyers[i%len(f.buyers)], key: fmt.Sprintf("w%d", i), seats: f.seats[:1]})
		if r.status == http.StatusGone {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the edge still answers %d, not 410, to a grab of a sold-out session", r.status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// conventionalHeld checks the scratch tables: every 201 has its order row,
// and the HELD seats are exactly those of the orders.
func conventionalHeld(ctx context.Context, db *sqlx.DB, tag string, created int) invariants.Result {
	const name = "every 201 has its row; held seats are the orders' seats"
	var c struct {
		Orders int `db:"orders"`
		Owned  int `db:"owned"`
		Stray  int `db:"stray"`
	}
	err := db.GetContext(ctx, &c, `SELECT (SELECT COUNT(*) FROM `+ordersTable(tag)+`) AS orders,
		(SELECT COUNT(DISTINCT order_id) FROM `+seatsTable(tag)+` WHERE state = 'HELD' AND order_id IS NOT NULL) AS owned,
		(SELECT COUNT(*) FROM `+seatsTable(tag)+` WHERE state = 'AVAILABLE' AND order_id IS NOT NULL) AS stray`)
	switch {
	case err != nil:
		return invariants.Result{Name: name, Detail: err.Error()}
	case c.Orders != created || c.Owned != created || c.Stray != 0:
		return invariants.Result{Name: name, Detail: fmt.Sprintf("%d answers 201, %d order rows, %d orders own seats, %d free seats with an order",
			created, c.Orders, c.Owned, c.Stray)}
	}
	return invariants.Result{Name: name, OK: true, Detail: fmt.Sprintf("%d rows", c.Orders)}
}
