// Package orders is the orders daemon: it writes orders from the sale events on Kafka into MySQL.
package orders

import (
	"boxoffice/internal/config"
	"boxoffice/internal/daemon"
	"boxoffice/internal/kafka"
	"boxoffice/internal/mysql"
)

// Main runs the daemon until SIGTERM.
func Main(cfg *config.Config, _ []string) error {
	log := daemon.NewLogger(cfg.LogLevel, "orders")
	db, err := mysql.Open(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	d := &daemon.Daemon{
		Name: "orders", Addr: cfg.OrdersAddr, Log: log, Registry: daemon.NewRegistry(),
		CheckTimeout: cfg.DepTimeout, ShutdownTimeout: cfg.ShutdownTimeout,
		Checks: []daemon.Check{
			{Name: "mysql", Ping: mysql.Ping(db)},
			{Name: "kafka", Ping: kafka.Ping(cfg.KafkaBrokers)},
		},
	}
	return d.Run()
}
