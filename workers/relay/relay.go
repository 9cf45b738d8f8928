// Package relay is the relay daemon: it relays sale events from the sessions' outbox streams in the sale Redis to Kafka.
package relay

import (
	"fmt"
	"os"

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
	events := kafka.NewWriter(cfg.KafkaBrokers, cfg.KafkaTopic, log)
	defer events.Close()
	dlq := kafka.NewWriter(cfg.KafkaBrokers, cfg.KafkaDLQTopic, log)
	defer dlq.Close()
	reg := daemon.NewRegistry()
	durable := Durable{RDB: sale, Mode: cfg.SaleDurability}
	r := &Relay{RDB: sale, Events: events, DLQ: dlq, Consumer: ConsumerName(), Batch: cfg.RelayBatch,
		Log: log, Metrics: NewMetrics(reg), Durable: durable}
	d := &daemon.Daemon{
		Name: "relay", Addr: cfg.RelayAddr, Log: log, Registry: reg,
		CheckTimeout: cfg.DepTimeout, ShutdownTimeout: cfg.ShutdownTimeout,
		Checks: []daemon.Check{
			{Name: "sale_redis", Ping: redis.Ping(sale)},
			{Name: "sale_redis_durability", Ping: durable.Check},
			{Name: "kafka", Ping: kafka.Ping(cfg.KafkaBrokers)},
		},
		Workers: []daemon.Worker{r.Run},
	}
	return d.Run()
}

// ConsumerName is this process's name in the outbox consumer groups,
// hostname-pid, so several relays share a stream.
func ConsumerName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "relay"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}
