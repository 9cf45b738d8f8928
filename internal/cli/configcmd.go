package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"boxoffice/internal/config"
	"boxoffice/internal/webassets"
	"boxoffice/openresty"
)

const configUsage = "config check | config env | config nginx [-o FILE] | config app DIR"

// configCmd validates, documents or renders the configuration, or builds
// the web app the edge serves.
func configCmd(w io.Writer, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, configUsage)
	}
	switch args[0] {
	case "env":
		return config.WriteExample(w)
	case "check":
		cfg, err := config.Load()
		if err != nil {
			return err
		}
		if err := cfg.RequireAll(); err != nil {
			return err
		}
		fmt.Fprintln(w, "configuration OK")
		return nil
	case "nginx":
		cfg, err := config.Load()
		if err != nil {
			return err
		}
		return renderNginx(w, cfg, args[1:])
	case "app":
		if len(args) != 2 {
			return fmt.Errorf("%w: config app DIR (the app/ folder of the nginx prefix)", errUsage)
		}
		if _, err := webassets.Build(openresty.App(), args[1], "index.html"); err != nil {
			return err
		}
		fmt.Fprintln(w, "buyer app built in", args[1])
		return nil
	}
	return fmt.Errorf("%w: unknown config action %q", errUsage, args[0])
}

func renderNginx(w io.Writer, cfg *config.Config, args []string) error {
	if len(args) == 2 && args[0] == "-o" {
		var b strings.Builder
		if err := openresty.Render(&b, cfg); err != nil {
			return err
		}
		return os.WriteFile(args[1], []byte(b.String()), 0o644)
	}
	if len(args) != 0 {
		return fmt.Errorf("%w: config nginx [-o FILE]", errUsage)
	}
	return openresty.Render(w, cfg)
}
