package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"boxoffice/internal/config"
	"boxoffice/openresty"
)

// edgeCmd prepares the edge's nginx prefix ($BOXOFFICE_RUN_DIR/nginx, or
// -p DIR) and becomes nginx, in the foreground, with the secrets Lua needs
// in its environment: what a service manager runs.
func edgeCmd(cfg *config.Config, args []string) error {
	prefix := filepath.Join(cfg.RunDir, "nginx")
	switch {
	case len(args) == 2 && args[0] == "-p":
		prefix = args[1]
	case len(args) != 0:
		return fmt.Errorf("%w: edge takes only -p DIR", errUsage)
	}
	prefix, err := filepath.Abs(prefix)
	if err != nil {
		return err
	}
	env, err := edgeEnv()
	if err != nil {
		return err
	}
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		return fmt.Errorf("nginx is not installed (Debian: apt install nginx libnginx-mod-http-lua): %w", err)
	}
	if err := openresty.Prepare(cfg, prefix, env); err != nil {
		return err
	}
	return syscall.Exec(nginx, append([]string{"nginx"}, openresty.Args(prefix)...), env)
}

// edgeEnv is this process's environment plus the secrets Lua reads that
// come from the secrets file.
func edgeEnv() ([]string, error) {
	get, err := config.WithSecretsFile(os.LookupEnv)
	if err != nil {
		return nil, err
	}
	env := os.Environ()
	for _, name := range openresty.Env {
		if _, set := os.LookupEnv(name); !set {
			if v, ok := get(name); ok {
				env = append(env, name+"="+v)
			}
		}
	}
	return env, nil
}
