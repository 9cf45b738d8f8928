package cli

import (
	"fmt"
	"io"
	"maps"
	"os"
	"strings"

	"boxoffice/internal/config"
	"boxoffice/internal/webassets"
	"boxoffice/openresty"
)

// configCmd validates, documents or renders the configuration, or builds
// a web app the edge serves.
func configCmd(w io.Writer, args []string) error {
	switch {
	case len(args) == 0:
		return fmt.Errorf("%w: name an action", errUsage)
	case args[0] == "nginx":
		return renderNginx(w, args[1:])
	case args[0] == "app" || args[0] == "panel":
		return buildSite(w, args[0], args[1:])
	case args[0] == "check":
		return checkConfig(w, args[1:])
	case len(args) > 1:
		return fmt.Errorf("%w: config %s takes no arguments", errUsage, args[0])
	case args[0] == "env":
		return config.WriteExample(w)
	}
	return fmt.Errorf("%w: unknown config action %q", errUsage, args[0])
}

// checkConfig validates the environment's settings or, given env files,
// only those the files set (later files win), as a service manager's
// EnvironmentFile= lines would pass them.
func checkConfig(w io.Writer, files []string) error {
	lookup := os.LookupEnv
	if len(files) > 0 {
		env := map[string]string{}
		for _, f := range files {
			kv, err := config.ReadEnvFile(f)
			if err != nil {
				return err
			}
			maps.Copy(env, kv)
		}
		lookup = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	}
	cfg, err := config.LoadFrom(lookup)
	if err != nil {
		return err
	}
	if err := cfg.RequireAll(); err != nil {
		return err
	}
	fmt.Fprintln(w, "configuration OK")
	return nil
}

// renderNginx renders the edge's nginx.conf to w, or with -o FILE to FILE.
func renderNginx(w io.Writer, args []string) error {
	if len(args) != 0 && (len(args) != 2 || args[0] != "-o") {
		return fmt.Errorf("%w: config nginx takes only -o FILE", errUsage)
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return openresty.Render(w, cfg)
	}
	var b strings.Builder
	if err := openresty.Render(&b, cfg); err != nil {
		return err
	}
	return os.WriteFile(args[1], []byte(b.String()), 0o644)
}

// buildSite builds the web app whose prefix folder is dir (app for the
// buyer app, panel for the admin panel) into DIR, that folder of the nginx
// prefix.
func buildSite(w io.Writer, dir string, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: config %s takes DIR (the %s/ folder of the nginx prefix)", errUsage, dir, dir)
	}
	for _, site := range openresty.Sites() {
		if site.Dir != dir {
			continue
		}
		if _, err := webassets.Build(site.Files, args[0], "index.html", site.Base); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s built in %s\n", site.Name, args[0])
	}
	return nil
}
