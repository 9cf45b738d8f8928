// Package openresty renders the edge's nginx configuration from the settings.
package openresty

import (
	"embed"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"

	"boxoffice/internal/config"
)

//go:embed nginx.conf.tmpl
var confTmpl string

//go:embed app
var app embed.FS

// App is the buyer web app's source (index.html, js/, css/, i18n/), for
// internal/webassets to build into <nginx prefix>/app.
func App() fs.FS {
	sub, err := fs.Sub(app, "app")
	if err != nil {
		panic(err) // cannot happen: app is embedded
	}
	return sub
}

var tmpl = template.Must(template.New("nginx.conf").Option("missingkey=error").Parse(confTmpl))

// Params are the values the template uses.
type Params struct {
	User     string
	Workers  string
	EdgeAddr string
	APIAddr  string
	// The notify daemon's SSE streams.
	NotifyAddr string
	LuaDir     string
	// The admin panel's static files.
	PanelDir string
	// The cache Redis, read by the catalog edge cache: an IP address (Lua
	// cosockets would need a resolver directive for a name). Its password
	// reaches nginx through the environment (env directive), never this file.
	CacheRedisHost string
	CacheRedisPort string
	// The sale Redis of the grab path, likewise.
	SaleRedisHost  string
	SaleRedisPort  string
	RedisTimeoutMS int64
	RedisPool      int
	RedisBacklog   int
	StateRefresh   float64 // seconds between sale state refreshes
	SeatsTTL       float64 // seconds a seat map copy is current
	RateIPPerSec   float64 // the grab limit per client IP, counted in Lua before anything else
	BurstIP        int
	RateUser       string
	BurstUser      int
	RealIPFrom     []string
}

// ParamsFor derives the template values from the configuration. When run as
// root, workers run as root too so they can read a checkout anywhere; a
// production unit runs nginx as its own user instead.
func ParamsFor(cfg *config.Config) (Params, error) {
	lua, err := filepath.Abs(cfg.LuaDir)
	if err != nil {
		return Params{}, fmt.Errorf("BOXOFFICE_LUA_DIR: %w", err)
	}
	panel, err := filepath.Abs(cfg.PanelDir)
	if err != nil {
		return Params{}, fmt.Errorf("BOXOFFICE_PANEL_DIR: %w", err)
	}
	host, port, err := resolve(cfg.CacheRedisAddr)
	if err != nil {
		return Params{}, fmt.Errorf("BOXOFFICE_CACHE_REDIS_ADDR: %w", err)
	}
	saleHost, salePort, err := resolve(cfg.SaleRedisAddr)
	if err != nil {
		return Params{}, fmt.Errorf("BOXOFFICE_SALE_REDIS_ADDR: %w", err)
	}
	p := Params{Workers: cfg.EdgeWorkers, EdgeAddr: cfg.EdgeAddr, APIAddr: cfg.APIAddr, NotifyAddr: cfg.NotifyAddr, LuaDir: lua, PanelDir: panel,
		CacheRedisHost: host, CacheRedisPort: port, SaleRedisHost: saleHost, SaleRedisPort: salePort,
		RedisTimeoutMS: cfg.EdgeRedisTimeout.Milliseconds(), RedisPool: cfg.EdgeRedisPool, RedisBacklog: cfg.EdgeRedisBacklog,
		StateRefresh: cfg.EdgeStateRefresh.Seconds(), SeatsTTL: cfg.EdgeSeatsTTL.Seconds(),
		RateIPPerSec: perSecond(cfg.EdgeRateIP), BurstIP: cfg.EdgeBurstIP, RateUser: cfg.EdgeRateUser, BurstUser: cfg.EdgeBurstUser,
		RealIPFrom: cfg.EdgeRealIPFrom}
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

// resolve splits host:port and turns a host name into its first address,
// once, at render time (as nginx does for upstream servers).
func resolve(addr string) (ip, port string, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", "", err
	}
	if net.ParseIP(host) != nil {
		return host, port, nil
	}
	ips, err := net.LookupHost(host)
	if err != nil || len(ips) == 0 {
		return "", "", fmt.Errorf("cannot resolve %q: %v", host, err)
	}
	return ips[0], port, nil
}

// perSecond reads a checked rate such as 50r/s or 600r/m as requests per second.
func perSecond(rate string) float64 {
	n, unit, _ := strings.Cut(rate, "r/")
	v, _ := strconv.ParseFloat(n, 64)
	if unit == "m" {
		return v / 60
	}
	return v
}
