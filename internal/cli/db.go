package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"

	"boxoffice/internal/config"
	"boxoffice/internal/mysql"
	"boxoffice/internal/seed"
)

// withDB opens the configured database, pings it and runs fn, stopping on
// SIGINT or SIGTERM.
func withDB(cfg *config.Config, fn func(ctx context.Context, db *sqlx.DB) error) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := mysql.Open(cfg)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("connect to %s/%s: %w", cfg.MySQLAddr, cfg.MySQLDatabase, err)
	}
	return fn(ctx, db)
}

// migrateCmd applies pending migrations and lists them.
func migrateCmd(cfg *config.Config, args []string) error {
	return withDB(cfg, func(ctx context.Context, db *sqlx.DB) error {
		applied, err := mysql.Migrate(ctx, db)
		for _, name := range applied {
			fmt.Printf("applied %s\n", name)
		}
		if err == nil && len(applied) == 0 {
			fmt.Println("schema up to date")
		}
		return err
	})
}

// seedCmd loads the demo data; the schema must be migrated already.
func seedCmd(cfg *config.Config, args []string) error {
	if err := cfg.Require("BOXOFFICE_DEMO_PASSWORD"); err != nil {
		return err
	}
	return withDB(cfg, func(ctx context.Context, db *sqlx.DB) error {
		sum, err := seed.Demo(ctx, db, cfg.DemoPassword, time.Now())
		if err != nil {
			return fmt.Errorf("%w (run 'boxoffice migrate' first if the tables are missing)", err)
		}
		printSummary(os.Stdout, sum)
		return nil
	})
}

func printSummary(w io.Writer, s *seed.Summary) {
	fmt.Fprintln(w, "demo data loaded:")
	fmt.Fprintf(w, "  venue    %s (id %d, %d seats)\n", seed.VenueName, s.VenueID, s.SeatCount)
	fmt.Fprintf(w, "  show     %s (id %d)\n", seed.ShowTitle, s.ShowID)
	fmt.Fprintf(w, "  session  id %d\n", s.SessionID)
	fmt.Fprintf(w, "  admin    %s\n", s.AdminEmail)
	fmt.Fprintf(w, "  buyers   %s (reserved for session %d)\n", strings.Join(s.BuyerPhones, ", "), s.SessionID)
	fmt.Fprintln(w, "  password BOXOFFICE_DEMO_PASSWORD")
}

// adminCmd runs "admin create --email E --password P".
func adminCmd(cfg *config.Config, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("%w: the only action is create", errUsage)
	}
	email, password, err := parseAdminFlags(args[1:])
	if err != nil {
		return err
	}
	return withDB(cfg, func(ctx context.Context, db *sqlx.DB) error {
		id, created, err := mysql.UpsertAdmin(ctx, db, email, password)
		if err != nil {
			return err
		}
		verb := "updated"
		if created {
			verb = "created"
		}
		fmt.Printf("admin %s %s (id %d)\n", strings.ToLower(strings.TrimSpace(email)), verb, id)
		return nil
	})
}

func parseAdminFlags(args []string) (email, password string, err error) {
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	fs.StringVar(&email, "email", "", "the admin's email (login)")
	fs.StringVar(&password, "password", "", "the admin's password, 8-72 bytes")
	if err := parseFlags(fs, args); err != nil {
		return "", "", err
	}
	if email == "" || password == "" {
		return "", "", fmt.Errorf("%w: --email and --password are required", errUsage)
	}
	return email, password, nil
}

// parseFlags parses args with fs; a bad flag or a leftover argument is a
// usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected %q", errUsage, fs.Arg(0))
	}
	return nil
}
