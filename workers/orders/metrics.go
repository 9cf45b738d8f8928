package orders

import (
	"github.com/prometheus/client_golang/prometheus"

	"boxoffice/internal/integrity"
)

// Metrics are the orders daemon's Prometheus metrics.
type Metrics struct {
	Events      *prometheus.CounterVec // by type and outcome
	DeadLetters prometheus.Counter
	Retries     *prometheus.CounterVec // by kind: transient (MySQL down, deadlock) or failed
	BatchSize   prometheus.Histogram
	Batch       prometheus.Histogram
	Lag         prometheus.Histogram
	Parked      prometheus.Gauge       // messages waiting for their seats to be freed
	Conflicts   *prometheus.CounterVec // by kind
}

// NewMetrics registers the orders daemon's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "boxoffice_orders_events_total",
			Help: "Sale events handled, by type and outcome (inserted, updated, unchanged, dead_lettered)."},
			[]string{"type", "outcome"}),
		DeadLetters: prometheus.NewCounter(prometheus.CounterOpts{Name: "boxoffice_orders_dead_letters_total",
			Help: "Messages sent to the dead-letter topic."}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "boxoffice_orders_db_retries_total",
			Help: "Failed MySQL transactions retried, by kind: transient (MySQL down, deadlock) or failed."},
			[]string{"kind"}),
		BatchSize: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "boxoffice_orders_batch_size",
			Help: "Messages per batch.", Buckets: prometheus.ExponentialBuckets(1, 2, 14)}),
		Batch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "boxoffice_orders_batch_seconds",
			Help:    "Time from fetching a batch to committing its offsets.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		Lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "boxoffice_orders_hold_lag_seconds",
			Help:    "Time from a hold (hold.created's at) to the commit of its order row.",
			Buckets: []float64{.01, .025, .05, .1, .2, .3, .5, .75, 1, 1.5, 2, 3, 5, 10, 30, 60}}),
		Parked: prometheus.NewGauge(prometheus.GaugeOpts{Name: "boxoffice_orders_parked",
			Help: "Sale events waiting for their seats to be freed by another order's release."}),
		Conflicts: integrity.NewCounter(),
	}
	reg.MustRegister(m.Events, m.DeadLetters, m.Retries, m.BatchSize, m.Batch, m.Lag, m.Parked, m.Conflicts)
	return m
}
