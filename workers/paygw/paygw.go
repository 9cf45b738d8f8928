// Package paygw is the paygw daemon: it is a mock third-party payment gateway for dev and tests.
package paygw

import (
	"boxoffice/internal/config"
	"boxoffice/internal/daemon"
)

// Main runs the daemon until SIGTERM.
func Main(cfg *config.Config, _ []string) error {
	log := daemon.NewLogger(cfg.LogLevel, "paygw")

	d := &daemon.Daemon{
		Name: "paygw", Addr: cfg.PaygwAddr, Log: log, Registry: daemon.NewRegistry(),
		CheckTimeout: cfg.DepTimeout, ShutdownTimeout: cfg.ShutdownTimeout,
		Checks: []daemon.Check{},
	}
	return d.Run()
}
