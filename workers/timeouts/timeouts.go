// Package timeouts is the timeouts daemon: it releases expired holds, sweeps MySQL for overdue orders and reconciles holds with orders.
package timeouts

import (
	"boxoffice/internal/config"
	"boxoffice/internal/daemon"
	"boxoffice/internal/mysql"
	"boxoffice/internal/redis"
)

// Main runs the daemon until SIGTERM.
func Main(cfg *config.Config, _ []string) error {
	log := daemon.NewLogger(cfg.LogLevel, "timeouts")
	db, err := mysql.Open(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	sale := redis.NewSale(cfg)
	defer sale.Close()
	d := &daemon.Daemon{
		Name: "timeouts", Addr: cfg.TimeoutsAddr, Log: log, Registry: daemon.NewRegistry(),
		CheckTimeout: cfg.DepTimeout, ShutdownTimeout: cfg.ShutdownTimeout,
		Checks: []daemon.Check{
			{Name: "sale_redis", Ping: redis.Ping(sale)},
			{Name: "mysql", Ping: mysql.Ping(db)},
		},
	}
	return d.Run()
}
