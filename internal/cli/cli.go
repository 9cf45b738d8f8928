// Package cli dispatches boxoffice's subcommands.
package cli

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"boxoffice/internal/config"
	"boxoffice/workers/api"
	"boxoffice/workers/devkafka"
	"boxoffice/workers/notify"
	"boxoffice/workers/orders"
	"boxoffice/workers/paygw"
	"boxoffice/workers/relay"
	"boxoffice/workers/timeouts"
)

type command struct {
	name  string
	args  string // what follows the name; "" for a command that takes none
	about string
	run   func(cfg *config.Config, args []string) error
}

// errUsage marks a command line that does not parse; it exits 2.
var errUsage = errors.New("usage")

func commands() []command {
	return []command{
		{"api", "", "serve the public and admin API", api.Main},
		{"relay", "", "relay sale events from the sale Redis to Kafka", relay.Main},
		{"orders", "", "write orders from sale events into MySQL", orders.Main},
		{"timeouts", "", "release expired holds; sweep and reconcile", timeouts.Main},
		{"notify", "", "push live seat and order updates over SSE", notify.Main},
		{"paygw", "", "mock payment gateway for dev and tests", paygw.Main},
		{"devkafka", "", "Kafka-protocol broker for dev and tests (its log in the run folder)", devkafka.Main},
		{"migrate", "", "apply database migrations", migrateCmd},
		{"seed", "", "load the demo data (idempotent)", seedCmd},
		{"admin", "create --email E --password P", "create an admin, or give an existing one a new password (8-72 bytes)", adminCmd},
		{"recover-sale", "--session N", "bring session N's sale Redis state back to MySQL's word after the sale Redis lost it, wholly or in part (refused while orders has lag)", recoverSaleCmd},
		{"config", "check [ENVFILE...] | env | nginx [-o FILE] | app DIR | panel DIR", "validate the settings (of the environment, or only of the env files named), print them with their defaults, render the edge's nginx.conf, or build the buyer app or the admin panel it serves into DIR", nil},
		{"edge", "[-p DIR]", "render the edge's nginx.conf, buyer app and admin panel into the nginx prefix DIR (default $BOXOFFICE_RUN_DIR/nginx) and run nginx there in the foreground, for a service manager", edgeCmd},
		{"bench", benchArgs, benchAbout, benchCmd},
		{"dev", "up | down | status | stop PART... | kill PART... | start PART...", "the local stack: start, stop or show it; or stop (SIGTERM), kill (SIGKILL, as a crash) or start some of its parts, by the names 'dev status' shows", devCmd},
	}
}

// Run executes the subcommand named by args[0], writing what it says
// about itself to stdout and stderr, and returns the exit code: 0, 1 when
// the command failed, 2 for a command line that does not parse.
// "--help" or "-h" anywhere prints the command's usage.
func Run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || isHelp(args[0]) || args[0] == "help" {
		usage(stdout)
		return 0
	}
	i := slices.IndexFunc(commands(), func(c command) bool { return c.name == args[0] })
	if i < 0 {
		fmt.Fprintf(stderr, "boxoffice: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	c, rest := commands()[i], args[1:]
	if slices.ContainsFunc(rest, isHelp) {
		c.help(stdout)
		return 0
	}
	return c.exit(stderr, c.start(stdout, rest))
}

func isHelp(arg string) bool { return arg == "-h" || arg == "--help" || arg == "-help" }

// start checks the command line, loads the settings and runs c.
func (c command) start(stdout io.Writer, args []string) error {
	if c.args == "" && len(args) > 0 {
		return fmt.Errorf("%w: %s takes no arguments, got %q", errUsage, c.name, args[0])
	}
	if c.name == "config" {
		return configCmd(stdout, args)
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	return c.run(cfg, args)
}

func (c command) exit(stderr io.Writer, err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "boxoffice %s: %v\n\n", c.name, err)
		c.help(stderr)
		return 2
	default:
		fmt.Fprintf(stderr, "boxoffice %s: %v\n", c.name, err)
		return 1
	}
}

// moreHelp is what --help says of a command beyond its about.
var moreHelp = map[string]string{"bench": benchMore}

// help prints the command's usage.
func (c command) help(w io.Writer) {
	fmt.Fprintf(w, "usage: boxoffice %s\n\n%s.\n", strings.TrimSpace(c.name+" "+c.args), c.about)
	if more := moreHelp[c.name]; more != "" {
		fmt.Fprintf(w, "\n%s\n", more)
	}
	fmt.Fprintln(w, "\nSettings come from BOXOFFICE_* environment variables; see 'boxoffice config env'.")
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: boxoffice <command> [args]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.about)
		if c.args != "" {
			fmt.Fprintf(w, "  %-12s   %s %s\n", "", c.name, c.args)
		}
	}
	fmt.Fprintln(w, "\n'boxoffice <command> --help' describes one command.")
	fmt.Fprintln(w, "Settings come from BOXOFFICE_* environment variables; see 'boxoffice config env'.")
}
