package openresty

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"boxoffice/internal/config"
	"boxoffice/internal/webassets"
)

// Prepare makes prefix ready to run the edge: the folders nginx writes, the
// buyer app and admin panel it serves and nginx.conf rendered from cfg, checked by nginx -t
// with env (init_by_lua reads the secrets from it).
func Prepare(cfg *config.Config, prefix string, env []string) error {
	for _, d := range []string{"conf", "logs", "temp"} {
		if err := os.MkdirAll(filepath.Join(prefix, d), 0o755); err != nil {
			return err
		}
	}
	for _, site := range Sites() {
		if _, err := webassets.Build(site.Files, filepath.Join(prefix, site.Dir), "index.html", site.Base); err != nil {
			return fmt.Errorf("%s: %w", site.Name, err)
		}
	}
	var conf bytes.Buffer
	if err := Render(&conf, cfg); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(prefix, "conf", "nginx.conf"), conf.Bytes(), 0o644); err != nil {
		return err
	}
	check := exec.Command("nginx", append([]string{"-t", "-q"}, Args(prefix)...)...)
	check.Env = env
	if out, err := check.CombinedOutput(); err != nil {
		return fmt.Errorf("nginx rejects %s/conf/nginx.conf: %s", prefix, bytes.TrimSpace(out))
	}
	return nil
}

// Args are nginx's arguments to run the edge prepared in prefix.
func Args(prefix string) []string {
	return []string{"-p", prefix + "/", "-c", "conf/nginx.conf", "-e", "logs/error.log"}
}
