//go:build integration

package bench_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"boxoffice/internal/bench"
	"boxoffice/internal/testenv"
)

// run runs boxoffice bench small against the test stack and returns its
// stdout and stderr.
func run(t *testing.T, args ...string) (string, string) {
	t.Helper()
	cmd := testenv.Command(t, nil, append([]string{"bench", "--seats", "200", "--buyers", "500", "--conns", "20",
		"--duration", "1s"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

// The JSON report has every mix against every target, with outcomes,
// latencies, the ratios and invariants that all hold.
func TestBenchJSON(t *testing.T) {
	out, progress := run(t, "--json")
	var rep bench.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	if !strings.Contains(progress, "requests in") {
		t.Errorf("no progress line on stderr:\n%s", progress)
	}
	if rep.Seats != 200 || rep.Buyers != 500 || rep.Conns != 20 || rep.CPUs < 1 {
		t.Errorf("report settings = %+v", rep)
	}
	var mixes []string
	for _, m := range rep.Mixes {
		mixes = append(mixes, m.Mix)
		if m.EdgeToLimit <= 0 || m.EdgeToConventional <= 0 {
			t.Errorf("%s: ratios edge/limit %v, edge/conventional %v", m.Mix, m.EdgeToLimit, m.EdgeToConventional)
		}
		var targets []string
		for _, tr := range m.Targets {
			targets = append(targets, tr.Target)
			checkTarget(t, m.Mix, tr)
		}
		if want := []string{bench.TargetLimit, bench.TargetEdge, bench.TargetConventional}; !slices.Equal(targets, want) {
			t.Errorf("%s: targets %v, want %v", m.Mix, targets, want)
		}
	}
	if !slices.Equal(mixes, bench.Mixes) {
		t.Errorf("mixes %v, want %v", mixes, bench.Mixes)
	}
	if failed := rep.Failed(); len(failed) > 0 {
		t.Errorf("invariants failed: %v", failed)
	}
}

func checkTarget(t *testing.T, mix string, tr bench.TargetReport) {
	t.Helper()
	total := 0
	for _, n := range tr.Outcomes {
		total += n
	}
	if tr.Requests == 0 || total != tr.Requests || tr.PerSecond <= 0 {
		t.Errorf("%s against %s: %d requests, outcomes %v, %v/s", mix, tr.Target, tr.Requests, tr.Outcomes, tr.PerSecond)
	}
	if !(0 < tr.P50 && tr.P50 <= tr.P99 && tr.P99 <= tr.Max) {
		t.Errorf("%s against %s: p50 %v, p99 %v, max %v ms", mix, tr.Target, tr.P50, tr.P99, tr.Max)
	}
	if tr.GeneratorCPU <= 0 || tr.GeneratorCPU > 1 {
		t.Errorf("%s against %s: generator CPU share %v", mix, tr.Target, tr.GeneratorCPU)
	}
	if tr.CPUPerAnswer["all"] <= 0 || tr.CPUPerAnswer[bench.GeneratorPart] <= 0 {
		t.Errorf("%s against %s: CPU per answer %v", mix, tr.Target, tr.CPUPerAnswer)
	}
	want := 3 // no seat in two holds, counters, order rows
	if tr.Target == bench.TargetConventional {
		want = 1
	} else if tr.HoldToRow == nil {
		t.Errorf("%s against %s: no hold → row lag", mix, tr.Target)
	}
	if len(tr.Invariants) != want {
		t.Errorf("%s against %s: %d invariants checked, want %d", mix, tr.Target, len(tr.Invariants), want)
	}
	if mix == bench.MixDistinct && tr.Outcomes["201"] == 0 {
		t.Errorf("distinct against %s: no grab held a seat: %v", tr.Target, tr.Outcomes)
	}
}

// The table names each target with its outcomes, the ratios and the
// invariants it checked.
func TestBenchTable(t *testing.T) {
	out, _ := run(t, "--mixes", "rush")
	for _, want := range []string{"rush: 200 seats, 500 buyers", "| target | requests/s | p50 ms | p99 ms | max ms | outcomes | generator CPU |",
		"| limit |", "| edge |", "| conventional |", "edge/limit ", "ok     no seat in two holds", "ok     counters equal seat states",
		"ok     every 201 has its order row", "hold → order row: p50", "CPU per answer: "} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FAILED") || strings.Contains(out, "distinct") {
		t.Errorf("table:\n%s", out)
	}
}
