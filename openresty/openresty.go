// Package openresty renders the edge's nginx configuration from the settings.
package openresty

import (
	_ "embed"
	"fmt"
	"io"
	"os/user"
	"path/filepath"
	"text/template"

	"boxoffice/internal/config"
)

//go:embed nginx.conf.tmpl
var confTmpl string

var tmpl = template.Must(template.New("nginx.conf").Option("missingkey=error").Parse(confTmpl))

// Params are the values the template uses.
type Params struct {
	User     string
	Workers  string
	EdgeAddr string
	APIAddr  string
	LuaDir   string
}

// ParamsFor derives the template values from the configuration. When run as
// root, workers run as root too so they can read a checkout anywhere; a
// production unit runs nginx as its own user instead.
func ParamsFor(cfg *config.Config) (Params, error) {
	lua, err := filepath.Abs(cfg.LuaDir)
	if err != nil {
		return Params{}, fmt.Errorf("BOXOFFICE_LUA_DIR: %w", err)
	}
	p := Params{Workers: cfg.EdgeWorkers, EdgeAddr: cfg.EdgeAddr, APIAddr: cfg.APIAddr, LuaDir: lua}
	if u, err := user.Current(); err == nil && u.Uid == "0" {
		p.User = "root"
	}
	return p, nil
}

// Render writes nginx.conf for cfg.
func Render(w io.Writer, cfg *config.Config) error {
	p, err := ParamsFor(cfg)
	if err != nil {
		return err
	}
	return tmpl.Execute(w, p)
}
