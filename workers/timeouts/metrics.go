package timeouts

import (
	"github.com/prometheus/client_golang/prometheus"

	"boxoffice/internal/integrity"
)

// metrics are the timeouts daemon's counters.
type metrics struct {
	released      *prometheus.CounterVec // source: scan, sweep
	confirmed     *prometheus.CounterVec // source, outcome of the settlement
	gatewayErrors prometheus.Counter
	swept         *prometheus.CounterVec // action: cancelled (hold lost), resolved
	reemitted     *prometheus.CounterVec // kind: order (no row), final (the row missed the end)
	contention    *prometheus.CounterVec // lease: session, sweep, reconcile
	passErrors    *prometheus.CounterVec // worker: scan, sweep, reconcile, recover
	passes        *prometheus.CounterVec // worker, as passErrors
	repaired      prometheus.Counter
	displaced     prometheus.Counter
	memory        prometheus.Gauge
	conflicts     *prometheus.CounterVec // kind: the reconciler's integrity conflicts
}

func newMetrics(reg prometheus.Registerer) *metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "boxoffice", Subsystem: "timeouts",
			Name: name, Help: help}, labels)
		reg.MustRegister(c)
		return c
	}
	m := &metrics{
		released: counter("released_total", "Holds released because they expired, by who found them (scan, sweep).", "source"),
		confirmed: counter("confirmed_total",
			"PAYING holds past their deadline that the gateway said were paid, by source and settlement outcome.", "source", "outcome"),
		gatewayErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "boxoffice", Subsystem: "timeouts",
			Name: "gateway_errors_total", Help: "Payment status queries the gateway did not answer; the hold waits for the next pass."}),
		swept: counter("swept_total",
			"Overdue MySQL orders the backstop sweep ended, by action (resolved as the scan would; cancelled: the sale Redis had lost the hold).", "action"),
		reemitted: counter("reemitted_total",
			"Orders whose sale events the reconciler wrote to the outbox again, by kind (order: no row; final: the row missed its end).", "kind"),
		contention: counter("lease_contention_total", "Leases another timeouts process held, by lease.", "lease"),
		passErrors: counter("pass_errors_total", "Passes that ended with an error, by worker.", "worker"),
		passes:     counter("passes_total", "Passes that ended without an error, by worker.", "worker"),
	}
	m.repaired = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "boxoffice", Subsystem: "timeouts",
		Name: "repaired_holds_total", Help: "Holds the sale Redis had lost (or knew older) brought back to MySQL's word."})
	m.displaced = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "boxoffice", Subsystem: "timeouts",
		Name: "displaced_holds_total", Help: "Holds made after a sale-Redis loss, released by the repair for a seat MySQL gave another order."})
	m.memory = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "boxoffice", Subsystem: "sale_redis",
		Name: "memory_used_ratio", Help: "The sale Redis's used memory over its maxmemory (0 without one), read every 5 s: " +
			"at 0.8 the admin dashboard alarms, at 1 every write is refused (noeviction)."})
	m.conflicts = integrity.NewCounter()
	reg.MustRegister(m.gatewayErrors, m.repaired, m.displaced, m.memory, m.conflicts)
	return m
}
