package notify

import "github.com/prometheus/client_golang/prometheus"

// Stream kinds: a session's seat deltas, or one buyer's order updates.
// They are also the stream label of the metrics.
const (
	StreamSession = "session"
	StreamUser    = "user"
)

// Metrics are the notify daemon's Prometheus metrics.
type Metrics struct {
	Subscribers *prometheus.GaugeVec   // by stream
	FannedOut   *prometheus.CounterVec // by stream
	Dropped     *prometheus.CounterVec // by stream
	Rejected    prometheus.Counter
	Events      prometheus.Counter
	BadEvents   prometheus.Counter
}

// NewMetrics registers the notify daemon's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Subscribers: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "boxoffice_notify_subscribers",
			Help: "Open SSE streams, by stream kind (session, user)."}, []string{"stream"}),
		FannedOut: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "boxoffice_notify_fanned_out_total",
			Help: "Events queued to subscribers, by stream kind (one per subscriber reached)."}, []string{"stream"}),
		Dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "boxoffice_notify_dropped_total",
			Help: "Subscribers whose stream was closed because they fell too far behind, by stream kind."}, []string{"stream"}),
		Rejected: prometheus.NewCounter(prometheus.CounterOpts{Name: "boxoffice_notify_rejected_total",
			Help: "New streams refused (503) because BOXOFFICE_NOTIFY_MAX_CLIENTS streams were open."}),
		Events: prometheus.NewCounter(prometheus.CounterOpts{Name: "boxoffice_notify_events_total",
			Help: "Sale events read from Kafka and fanned out."}),
		BadEvents: prometheus.NewCounter(prometheus.CounterOpts{Name: "boxoffice_notify_bad_events_total",
			Help: "Kafka messages that are not sale events (skipped)."}),
	}
	for _, s := range []string{StreamSession, StreamUser} {
		m.Subscribers.WithLabelValues(s)
		m.FannedOut.WithLabelValues(s)
		m.Dropped.WithLabelValues(s)
	}
	reg.MustRegister(m.Subscribers, m.FannedOut, m.Dropped, m.Rejected, m.Events, m.BadEvents)
	return m
}
