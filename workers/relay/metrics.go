package relay

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the relay's Prometheus metrics.
type Metrics struct {
	Relayed       prometheus.Counter
	PublishErrors prometheus.Counter
	DeadLetters   prometheus.Counter
	Reclaimed     prometheus.Counter
	Batch         prometheus.Histogram
	Lag           prometheus.Histogram
	Sessions      prometheus.Gauge
	Durable       prometheus.Gauge
}

// NewMetrics registers the relay's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Relayed: prometheus.NewCounter(prometheus.CounterOpts{Name: "boxoffice_relay_events_total",
			Help: "Outbox entries published to Kafka and acknowledged."}),
		PublishErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "boxoffice_relay_publish_errors_total",
			Help: "Failed Kafka writes of a batch (each is retried)."}),
		DeadLetters: prometheus.NewCounter(prometheus.CounterOpts{Name: "boxoffice_relay_dead_letters_total",
			Help: "Outbox entries that could not be decoded, sent to the dead-letter topic."}),
		Reclaimed: prometheus.NewCounter(prometheus.CounterOpts{Name: "boxoffice_relay_reclaimed_total",
			Help: "Pending outbox entries taken over from an idle consumer (XAUTOCLAIM)."}),
		Batch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "boxoffice_relay_batch_seconds",
			Help:    "Time from reading a batch of outbox entries to acknowledging it.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		Lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "boxoffice_relay_event_lag_seconds",
			Help:    "Time from an event (its at) to Kafka acknowledging it.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}),
		Sessions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "boxoffice_relay_sessions",
			Help: "Session outbox streams the relay reads."}),
		Durable: prometheus.NewGauge(prometheus.GaugeOpts{Name: "boxoffice_relay_durable",
			Help: "1 while the sale Redis matches BOXOFFICE_SALE_DURABILITY; 0 while the relay refuses to publish."}),
	}
	reg.MustRegister(m.Relayed, m.PublishErrors, m.DeadLetters, m.Reclaimed, m.Batch, m.Lag, m.Sessions, m.Durable)
	return m
}
