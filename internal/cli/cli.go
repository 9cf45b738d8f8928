// Package cli dispatches boxoffice's subcommands.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"boxoffice/internal/config"
	"boxoffice/internal/devstack"
	"boxoffice/workers/api"
	"boxoffice/workers/devkafka"
	"boxoffice/workers/notify"
	"boxoffice/workers/orders"
	"boxoffice/workers/paygw"
	"boxoffice/workers/relay"
	"boxoffice/workers/timeouts"
)

type command struct {
	name, usage string
	run         func(cfg *config.Config, args []string) error
}

// errUsage marks a command line that does not parse; it exits 2.
var errUsage = errors.New("usage")

func commands() []command {
	return []command{
		{"api", "serve the public and admin API", api.Main},
		{"relay", "relay sale events from the sale Redis to Kafka", relay.Main},
		{"orders", "write orders from sale events into MySQL", orders.Main},
		{"timeouts", "release expired holds; sweep and reconcile", timeouts.Main},
		{"notify", "push live seat and order updates over SSE", notify.Main},
		{"paygw", "mock payment gateway for dev and tests", paygw.Main},
		{"devkafka", "in-memory Kafka-protocol broker for dev and tests", devkafka.Main},
		{"migrate", "apply database migrations", migrateCmd},
		{"seed", "load the demo data (idempotent)", seedCmd},
		{"admin", "manage admins: admin create --email E --password P", adminCmd},
		{"recover-sale", "rebuild a session's sale Redis state from MySQL: recover-sale --session N", recoverSaleCmd},
		{"config", configUsage, nil},
		{"dev", "local stack: dev up | down | status", devstack.Main},
	}
}

// Run executes the subcommand named by args[0] and returns the exit code.
func Run(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(os.Stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		if c.name == "config" {
			return exit(c.name, configCmd(os.Stdout, args[1:]))
		}
		cfg, err := config.Load()
		if err != nil {
			return exit(c.name, err)
		}
		return exit(c.name, c.run(cfg, args[1:]))
	}
	fmt.Fprintf(os.Stderr, "boxoffice: unknown command %q\n\n", args[0])
	usage(os.Stderr)
	return 2
}

func exit(name string, err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "boxoffice %s: %v\n", name, err)
		return 2
	default:
		fmt.Fprintf(os.Stderr, "boxoffice %s: %v\n", name, err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: boxoffice <command> [args]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nSettings come from BOXOFFICE_* environment variables; see 'boxoffice config env'.")
}
