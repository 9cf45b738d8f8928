package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/invariants"
	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
)

// multiSessions is how many sessions the multi mix grabs in at once.
const multiSessions = 6

// side is one stack of the multi mix, with its fixture.
type side struct {
	Stack
	f     *fixture
	pids  map[string]int
	redis string // what its sale Redis is, for the report
}

// runMulti runs the multi mix against the limit and the edge, each on the
// run's stack (one sale Redis) and on the cluster's stack, and compares
// the two.
func (r *runner) runMulti(ctx context.Context) (*MixReport, error) {
	c := r.o.Cluster
	if c == nil {
		return nil, errors.New("the multi mix needs a second stack whose sale Redis is a cluster (--cluster-env)")
	}
	fmt.Fprintf(r.o.Progress, "creating %d seats and %d buyers on the cluster's stack\n", r.o.Seats, r.o.Buyers)
	cf, err := newFixture(ctx, c.Deps.DB, c.Deps.Keys, r.o.Seats, r.o.Buyers, c.Deps.BloomFP)
	if err != nil {
		return nil, err
	}
	sides := []side{{Stack: Stack{Deps: r.d, EdgeURL: r.o.EdgeURL, RunDir: r.o.RunDir}, f: r.f, pids: r.pids},
		{Stack: *c, f: cf, pids: stackPIDs(c.RunDir)}}
	for i := range sides {
		if sides[i].redis, err = describe(ctx, sides[i].Deps.Sale); err != nil {
			return nil, err
		}
	}
	m := &MixReport{Mix: MixMulti, ClusterToSingle: map[string]float64{}}
	for _, name := range []string{TargetLimit, TargetEdge} {
		var rates []float64
		for _, s := range sides {
			tr, err := r.runSide(ctx, s, name)
			if err != nil {
				return nil, fmt.Errorf("%s on %s: %w", name, s.redis, err)
			}
			m.Targets = append(m.Targets, *tr)
			rates = append(rates, tr.PerSecond)
		}
		if rates[0] > 0 {
			m.ClusterToSingle[name] = rates[1] / rates[0]
		}
	}
	return m, nil
}

// runSide runs the multi mix against one target of one stack, on sessions
// of their own, and checks the invariants of each session.
func (r *runner) runSide(ctx context.Context, s side, name string) (*TargetReport, error) {
	o := r.o
	label := fmt.Sprintf("%s against %s on %s", MixMulti, name, s.redis)
	fmt.Fprintf(o.Progress, "%s: setting up\n", label)
	if err := roomFor(ctx, s.Deps.Sale, multiSessions*sessionBytes(len(s.f.seats), len(s.f.buyers))); err != nil {
		return nil, err
	}
	sids, err := s.sessions(ctx, multiSessions)
	if err != nil {
		return nil, err
	}
	tr := &TargetReport{Target: name, Sessions: sids, SaleRedis: s.redis}
	limit, err := newLimit(ctx, s.Deps.Sale, sids)
	if err != nil {
		return nil, err
	}
	defer limit.close()
	l := &load{mix: MixMulti, t: limit, sessions: sids, seats: s.f.seats, buyers: s.f.buyers, conns: o.Conns,
		duration: o.Duration, progress: o.Progress, label: label}
	if name == TargetEdge {
		edge := newHTTP(grabURL(s.EdgeURL), o.Conns)
		defer edge.close()
		if err := edge.warm(s.EdgeURL+"/healthz", o.Conns); err != nil {
			return nil, err
		}
		l.t = edge
	}
	m, err := measure(ctx, l, s.Deps.Sale, s.pids, &tr.Profile)
	if err != nil {
		return nil, err
	}
	tr.fill(m)
	fmt.Fprintf(o.Progress, "%s: checking the invariants\n", label)
	var held, counted, rows []invariants.Result
	for _, sid := range sids {
		row, _ := invariants.OrderRows(ctx, s.Deps.DB, sid, m.Orders[sid], o.RowsWait)
		held = append(held, invariants.SeatsInOneHold(ctx, s.Deps.Sale, sid))
		counted = append(counted, invariants.CountersMatchSeats(ctx, s.Deps.Sale, sid))
		rows = append(rows, row)
	}
	tr.Invariants = []invariants.Result{everySession(sids, held), everySession(sids, counted), everySession(sids, rows)}
	return tr, nil
}

// everySession is one invariant over all the sessions: it holds if it
// holds in each; the detail names each session's.
func everySession(sids []int64, rs []invariants.Result) invariants.Result {
	out := invariants.Result{Name: rs[0].Name, OK: true}
	details := make([]string, len(rs))
	for i, res := range rs {
		out.OK = out.OK && res.OK
		details[i] = fmt.Sprintf("session %d: %s", sids[i], res.Detail)
	}
	out.Detail = strings.Join(details, "; ")
	return out
}

// sessions creates and opens n sessions, as many on each master of a
// cluster: a session whose master has its share is deleted before it is
// armed, and the next one tried.
func (s side) sessions(ctx context.Context, n int) ([]int64, error) {
	masters, err := countMasters(ctx, s.Deps.Sale)
	if err != nil {
		return nil, err
	}
	share, on := (n+masters-1)/masters, map[string]int{}
	var sids []int64
	for tries := 0; len(sids) < n; tries++ {
		if tries >= 50*n {
			return nil, fmt.Errorf("no %d sessions spread over %d masters in %d tries", n, masters, tries)
		}
		sid, err := s.f.insertSession(ctx, s.Deps.DB)
		if err != nil {
			return nil, err
		}
		master, err := masterOf(ctx, s.Deps.Sale, sid)
		if err != nil {
			return nil, err
		}
		if on[master] >= share {
			if _, err := s.Deps.DB.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, sid); err != nil {
				return nil, err
			}
			continue
		}
		on[master]++
		if err := s.f.open(ctx, s.Deps.DB, s.Deps.Sale, sid); err != nil {
			return nil, err
		}
		sids = append(sids, sid)
	}
	return sids, nil
}

// countMasters is how many masters a cluster client's cluster has: 1 for
// one Redis.
func countMasters(ctx context.Context, rdb goredis.UniversalClient) (int, error) {
	var n atomic.Int64
	err := redis.ForEachMaster(ctx, rdb, func(context.Context, *goredis.Client) error { n.Add(1); return nil })
	return int(n.Load()), err
}

// masterOf is the address of the master that holds session sid's keys.
func masterOf(ctx context.Context, rdb goredis.UniversalClient, sid int64) (string, error) {
	c, ok := rdb.(*goredis.ClusterClient)
	if !ok {
		return "", nil
	}
	m, err := c.MasterForKey(ctx, sale.KeysFor(sid).Key("meta"))
	if err != nil {
		return "", err
	}
	return m.Options().Addr, nil
}

// describe names the sale Redis for the report.
func describe(ctx context.Context, rdb goredis.UniversalClient) (string, error) {
	n, err := countMasters(ctx, rdb)
	if _, ok := rdb.(*goredis.ClusterClient); !ok || err != nil {
		return "one Redis", err
	}
	return fmt.Sprintf("a cluster of %d masters", n), nil
}
