// Package orders is the orders daemon: it writes orders from the sale events on Kafka into MySQL.
package orders

import (
	"context"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/config"
	"boxoffice/internal/daemon"
	"boxoffice/internal/integrity"
	"boxoffice/internal/kafka"
	"boxoffice/internal/mysql"
	"boxoffice/internal/redis"
)

// Group is the Kafka consumer group of the orders daemons.
const Group = "boxoffice-orders"

// Main runs the daemon until SIGTERM.
func Main(cfg *config.Config, _ []string) error {
	log := daemon.NewLogger(cfg.LogLevel, "orders")
	db, err := mysql.Open(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	rdb := redis.NewSale(cfg)
	defer rdb.Close()
	dlq := kafka.NewWriter(cfg.KafkaBrokers, cfg.KafkaDLQTopic, log)
	defer dlq.Close()
	reg := daemon.NewRegistry()
	m := NewMetrics(reg)
	c := &Consumer{
		Reader: kafka.NewReader(cfg.KafkaBrokers, cfg.KafkaTopic, Group, log),
		DLQ:    dlq,
		Apply: func(ctx context.Context, events []boxoffice.SaleEvent) ([]string, error) {
			return mysql.ApplySaleEvents(ctx, db, events)
		},
		Ping:     mysql.Ping(db),
		Flag:     (&integrity.Recorder{DB: db, RDB: rdb, Log: log, Count: m.Conflicts}).Raise,
		Batch:    cfg.OrdersBatch,
		MaxTries: cfg.OrdersMaxTries,
		Log:      log,
		Metrics:  m,
	}
	d := &daemon.Daemon{
		Name: "orders", Addr: cfg.OrdersAddr, Log: log, Registry: reg,
		CheckTimeout: cfg.DepTimeout, ShutdownTimeout: cfg.ShutdownTimeout,
		Checks: []daemon.Check{
			{Name: "mysql", Ping: mysql.Ping(db)},
			{Name: "kafka", Ping: kafka.Ping(cfg.KafkaBrokers)},
		},
		Workers: []daemon.Worker{c.Run},
	}
	return d.Run()
}
