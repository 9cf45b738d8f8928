package catalog

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	loads         *prometheus.CounterVec
	hits          *prometheus.CounterVec
	misses        *prometheus.CounterVec
	redisErrors   prometheus.Counter
	invalidations prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	kind := []string{"kind"}
	m := &metrics{
		loads: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "boxoffice", Subsystem: "catalog",
			Name: "mysql_loads_total", Help: "Catalog reads loaded from MySQL, by kind (show, shows, session)."}, kind),
		hits: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "boxoffice", Subsystem: "catalog",
			Name: "cache_hits_total", Help: "Catalog reads answered by the cache Redis (L3), by kind."}, kind),
		misses: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "boxoffice", Subsystem: "catalog",
			Name: "cache_misses_total", Help: "Catalog reads the cache Redis (L3) could not answer, by kind."}, kind),
		redisErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "boxoffice", Subsystem: "catalog",
			Name: "cache_errors_total", Help: "Failed cache Redis calls (reads then go to MySQL)."}),
		invalidations: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "boxoffice", Subsystem: "catalog",
			Name: "invalidations_total", Help: "Catalog invalidations after admin writes."}),
	}
	for _, k := range []string{kindShow, kindShows, kindSession} {
		m.loads.WithLabelValues(k)
		m.hits.WithLabelValues(k)
		m.misses.WithLabelValues(k)
	}
	reg.MustRegister(m.loads, m.hits, m.misses, m.redisErrors, m.invalidations)
	return m
}
