package bench

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// WriteTable writes one mix as a Markdown table, with the ratios, the
// invariants and the profiles under it.
func (r *Report) WriteTable(w io.Writer, m MixReport) {
	fmt.Fprintf(w, "\n%s: %d seats, %d buyers, %d connections, at most %s per target, %d CPUs\n\n",
		m.Mix, r.Seats, r.Buyers, r.Conns, r.Duration, r.CPUs)
	fmt.Fprintln(w, "| target | requests/s | p50 ms | p99 ms | max ms | outcomes | generator CPU |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|---:|")
	for _, t := range m.Targets {
		fmt.Fprintf(w, "| %s | %.0f | %.1f | %.1f | %.1f | %s | %.0f%% |\n", t.label(), t.PerSecond, t.P50, t.P99, t.Max,
			outcomes(t.Outcomes), 100*t.GeneratorCPU)
	}
	if m.ClusterToSingle != nil {
		fmt.Fprintf(w, "\ncluster/one Redis: limit %.2f, edge %.2f\n", m.ClusterToSingle[TargetLimit], m.ClusterToSingle[TargetEdge])
	} else {
		fmt.Fprintf(w, "\nedge/limit %.2f, edge/conventional %.1f\n", m.EdgeToLimit, m.EdgeToConventional)
	}
	for _, t := range m.Targets {
		fmt.Fprintf(w, "invariants, %s", t.label())
		if t.Session != 0 {
			fmt.Fprintf(w, " (session %d)", t.Session)
		}
		if len(t.Sessions) > 0 {
			fmt.Fprintf(w, " (sessions %s)", strings.Trim(fmt.Sprint(t.Sessions), "[]"))
		}
		fmt.Fprintln(w, ":")
		for _, c := range t.Invariants {
			verdict := "ok"
			if !c.OK {
				verdict = "FAILED"
			}
			fmt.Fprintf(w, "  %-6s %s: %s\n", verdict, c.Name, c.Detail)
		}
		fmt.Fprintf(w, "  profile: CPU %s", ranked(t.Profile.CPU, 0, func(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) }))
		if p := t.Profile; p.EvalshaCalls > 0 {
			fmt.Fprintf(w, "; EVALSHA %d calls, %d failed, %.0f µs each in Redis", p.EvalshaCalls, p.EvalshaFailed, p.EvalshaUsPerCall)
		}
		fmt.Fprintln(w)
		if all, ok := t.CPUPerAnswer["all"]; ok {
			fmt.Fprintf(w, "  CPU per answer: %.0f µs (%s)\n", all, ranked(t.CPUPerAnswer, 0.5, func(v float64) string { return fmt.Sprintf("%.0f", v) }))
		}
		if t.HoldToRow != nil {
			fmt.Fprintf(w, "  hold → order row: p50 %s, p99 %s, max %s\n", t.HoldToRow.P50.Round(time.Millisecond),
				t.HoldToRow.P99.Round(time.Millisecond), t.HoldToRow.Max.Round(time.Millisecond))
		}
	}
}

// label names the target, and for the multi mix its sale Redis.
func (t TargetReport) label() string {
	if t.SaleRedis == "" {
		return t.Target
	}
	return t.Target + ", " + t.SaleRedis
}

// ranked lists the parts' values, largest first, each as value formats
// it; those under min and "all" are left out.
func ranked(m map[string]float64, min float64, value func(float64) string) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if k != "all" && v >= min {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(m[b], m[a]) })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + value(m[k])
	}
	return strings.Join(parts, ", ")
}

// outcomes lists the statuses and their counts, statuses in order.
func outcomes(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// Failed lists the invariants that did not hold.
func (r *Report) Failed() []string {
	var out []string
	for _, m := range r.Mixes {
		for _, t := range m.Targets {
			for _, c := range t.Invariants {
				if !c.OK {
					out = append(out, fmt.Sprintf("%s against %s: %s: %s", m.Mix, t.Target, c.Name, c.Detail))
				}
			}
		}
	}
	return out
}
