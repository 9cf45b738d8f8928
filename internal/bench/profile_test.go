package bench

import (
	"math"
	"testing"
	"time"
)

// Each part's share of all CPUs over its seconds becomes µs per answer,
// the generator's too, and "all" is their sum.
func TestCPUPerAnswer(t *testing.T) {
	p := Profile{Seconds: 10, CPU: map[string]float64{"edge": 0.5, "sale-redis": 0.1}}
	m := Measured{Requests: 100000, Elapsed: 8 * time.Second, CPU: 0.25}
	got := cpuPerAnswer(p, m, 2)
	// edge: 0.5 × 10 s × 2 CPUs = 10 s over 100,000 answers = 100 µs.
	want := map[string]float64{"edge": 100, "sale-redis": 20, GeneratorPart: 40, "all": 160}
	for k, v := range want {
		if math.Abs(got[k]-v) > 1e-9 {
			t.Errorf("%s: %v µs, want %v (all: %v)", k, got[k], v, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("parts %v, want %v", got, want)
	}
	if got := cpuPerAnswer(p, Measured{}, 2); got != nil {
		t.Errorf("no answers: %v, want nil", got)
	}
}

// A Redis whose rewrite is due within the room is rewritten first; one
// that is busy, has no AOF or no automatic rewrite is not.
func TestRewriteDue(t *testing.T) {
	const mb = 1 << 20
	on := persistence{aof: true, autoPercent: 100, autoMinLen: 64 * mb}
	for _, c := range []struct {
		name          string
		p             persistence
		current, base int64
		due           bool
	}{
		{"far from double its base", on, 300 * mb, 200 * mb, false},
		{"near double its base", on, 350 * mb, 200 * mb, true},
		{"near the minimum size", on, 10 * mb, 0, true},
		{"small and far from the minimum", persistence{aof: true, autoPercent: 100, autoMinLen: 256 * mb}, 10 * mb, 0, false},
		{"already rewriting", persistence{aof: true, busy: true, autoPercent: 100}, 350 * mb, 200 * mb, false},
		{"no AOF", persistence{autoPercent: 100}, 350 * mb, 200 * mb, false},
		{"no automatic rewrite", persistence{aof: true}, 390 * mb, 200 * mb, false},
	} {
		c.p.current, c.p.base = c.current, c.base
		if got := c.p.rewriteDue(64 * mb); got != c.due {
			t.Errorf("%s: due %v, want %v", c.name, got, c.due)
		}
	}
}
