// Package paygw is the paygw daemon: a mock third-party payment gateway for
// dev and tests. It keeps payments in memory, serves a pay page and an API,
// and notifies the merchant of successful payments with signed,
// retried callbacks. Its test switches (decline, duplicates, delay) are
// process-wide.
package paygw

import (
	"boxoffice/internal/config"
	"boxoffice/internal/daemon"
)

// Main runs the daemon until SIGTERM.
func Main(cfg *config.Config, _ []string) error {
	if err := cfg.Require("BOXOFFICE_PAY_SECRET"); err != nil {
		return err
	}
	log := daemon.NewLogger(cfg.LogLevel, "paygw")
	reg := daemon.NewRegistry()
	n := NewNotifier(cfg.PaySecret, cfg.PaygwRetryBase, log, reg)
	s := NewServer(cfg.PaygwURL, cfg.PaySecret, n, log)
	d := &daemon.Daemon{
		Name: "paygw", Addr: cfg.PaygwAddr, Log: log, Registry: reg,
		CheckTimeout: cfg.DepTimeout, ShutdownTimeout: cfg.ShutdownTimeout,
		Checks:  []daemon.Check{},
		Handler: s.Handler(),
		Workers: []daemon.Worker{n.Run},
	}
	return d.Run()
}
