package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The mixes: what each buyer does.
const (
	MixRush     = "rush"     // most buyers aim at the best 5 % of seats; on 409 they try another seat
	MixDistinct = "distinct" // every grab a free seat
	MixSoldOut  = "sold-out" // the flood after the last seat
	MixMulti    = "multi"    // every grab a free seat of one of several sessions, on one Redis and on a cluster
)

// Mixes are every mix in the order a run takes them.
var Mixes = []string{MixRush, MixDistinct, MixSoldOut}

const (
	rushTries = 10   // grabs a rush buyer makes before giving up
	rushHot   = 0.90 // share of rush grabs aimed at the best seats
)

// load is one mix against one target.
type load struct {
	mix      string
	t        target
	sessions []int64 // one, but for the multi mix
	seats    []int64
	buyers   []buyer
	conns    int
	duration time.Duration
	progress io.Writer
	label    string

	next atomic.Int64 // the next buyer (or grab, for sold-out)
	sent atomic.Int64
}

// tally is one worker's record, merged when the load ends.
type tally struct {
	latencies []time.Duration
	outcomes  map[string]int
	orders    map[int64][]string // by session
}

func (t *tally) add(sid int64, r reply, took time.Duration) {
	t.latencies = append(t.latencies, took)
	key := strconv.Itoa(r.status)
	if r.status == 0 {
		key = "error"
	}
	t.outcomes[key]++
	if r.orderNo != "" {
		t.orders[sid] = append(t.orders[sid], r.orderNo)
	}
}

// Measured is what a load saw.
type Measured struct {
	Requests  int
	Elapsed   time.Duration
	Latencies []time.Duration // sorted
	Outcomes  map[string]int
	Orders    map[int64][]string // order numbers of the 201s, by session
	CPU       float64            // the generator's share of the machine's CPU time
}

// run sends the mix with conns workers until the work or the time is out.
func (l *load) run(ctx context.Context) Measured {
	ctx, cancel := context.WithTimeout(ctx, l.duration)
	defer cancel()
	before := cpuTime()
	began := time.Now()
	tallies := make([]*tally, l.conns)
	var wg sync.WaitGroup
	for i := range tallies {
		tallies[i] = &tally{outcomes: map[string]int{}, orders: map[int64][]string{}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), uint64(began.UnixNano())))
			for ctx.Err() == nil && l.step(rng, tallies[i]) {
			}
		}()
	}
	stopProgress := l.report(began)
	wg.Wait()
	elapsed := time.Since(began)
	stopProgress()
	m := Measured{Elapsed: elapsed, Outcomes: map[string]int{}, Orders: map[int64][]string{}}
	for _, t := range tallies {
		m.Latencies = append(m.Latencies, t.latencies...)
		for sid, orders := range t.orders {
			m.Orders[sid] = append(m.Orders[sid], orders...)
		}
		for k, v := range t.outcomes {
			m.Outcomes[k] += v
		}
	}
	slices.Sort(m.Latencies)
	m.Requests = len(m.Latencies)
	m.CPU = (cpuTime() - before).Seconds() / (elapsed.Seconds() * float64(runtime.NumCPU()))
	return m
}

// step serves one buyer of the mix; false when no work is left.
func (l *load) step(rng *rand.Rand, t *tally) bool {
	i := int(l.next.Add(1) - 1)
	var sid int64 // none for the conventional design
	if len(l.sessions) > 0 {
		sid = l.sessions[0]
	}
	switch l.mix {
	case MixRush:
		if i >= len(l.buyers) {
			return false
		}
		for try := 0; try < rushTries; try++ {
			seat := l.seats[rng.IntN(len(l.seats))]
			if rng.Float64() < rushHot {
				seat = l.seats[rng.IntN(hot(len(l.seats)))]
			}
			if l.send(t, grab{sid: sid, buyer: &l.buyers[i], key: fmt.Sprintf("r%d-%d", i, try), seats: []int64{seat}}) != 409 {
				break
			}
		}
	case MixDistinct:
		if i >= min(len(l.buyers), len(l.seats)) {
			return false
		}
		l.send(t, grab{sid: sid, buyer: &l.buyers[i], key: "d" + strconv.Itoa(i), seats: []int64{l.seats[i]}})
	case MixSoldOut:
		b := &l.buyers[i%len(l.buyers)]
		l.send(t, grab{sid: sid, buyer: b, key: "s" + strconv.Itoa(i), seats: []int64{l.seats[rng.IntN(len(l.seats))]}})
	case MixMulti:
		// Buyer i grabs in session i mod n the seat i div n: the sessions
		// take turns, and every grab is of a free seat.
		n := len(l.sessions)
		if i >= min(len(l.buyers), len(l.seats)*n) {
			return false
		}
		l.send(t, grab{sid: l.sessions[i%n], buyer: &l.buyers[i], key: "m" + strconv.Itoa(i), seats: []int64{l.seats[i/n]}})
	}
	return true
}

func (l *load) send(t *tally, g grab) int {
	began := time.Now()
	r := l.t.grab(g)
	t.add(g.sid, r, time.Since(began))
	l.sent.Add(1)
	return r.status
}

// report prints a progress line every second until the returned stop.
func (l *load) report(began time.Time) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(l.progress, "\r\033[K")
				return
			case <-tick.C:
				s := time.Since(began).Seconds()
				n := l.sent.Load()
				fmt.Fprintf(l.progress, "\r\033[K%s: %d requests in %.0f s, %.0f/s", l.label, n, s, float64(n)/s)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
