// Package relay is the relay daemon: it relays sale events from the sessions' outbox streams in the sale Redis to Kafka.
package relay

import (
	"boxoffice/internal/config"
	"boxoffice/internal/daemon"
	"boxoffice/internal/kafka"
	"boxoffice/internal/redis"
)

// Main runs the daemon until SIGTERM.
func Main(cfg *config.Config, _ []string) error {
	log := daemon.NewLogger(cfg.LogLevel, "relay")
	sale := redis.NewSale(cfg)
	defer sale.Close()
	d := &daemon.Daemon{
		Name: "relay", Addr: cfg.RelayAddr, Log: log, Registry: daemon.NewRegistry(),
		CheckTimeout: cfg.DepTimeout, ShutdownTimeout: cfg.ShutdownTimeout,
		Checks: []daemon.Check{
			{Name: "sale_redis", Ping: redis.Ping(sale)},
			{Name: "kafka", Ping: kafka.Ping(cfg.KafkaBrokers)},
		},
	}
	return d.Run()
}
