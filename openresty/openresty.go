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

	"boxoffice/admin/panel"
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

// Site is a web app the edge serves: its source, the folder of the nginx
// prefix internal/webassets builds it into, and its URL path.
type Site struct {
	Name  string
	Files fs.FS
	Dir   string
	Base  string
}

// Sites are the buyer app at / and the admin panel at /admin/. The panel
// gets the buyer app's modules too (under buyer/), so its seat map preview
// is the buyer's own drawing.
func Sites() []Site {
	modules, err := fs.Sub(App(), "js")
	if err != nil {
		panic(err) // cannot happen: the app is embedded
	}
	return []Site{
		{Name: "buyer app", Files: App(), Dir: "app", Base: "/"},
		{Name: "admin panel", Files: mount{FS: panel.Files(), at: "buyer", sub: modules}, Dir: "panel", Base: "/admin/"},
	}
}

// mount is FS with sub seen as its folder at (one level deep).
type mount struct {
	fs.FS
	at  string
	sub fs.FS
}

// inSub is name's path in sub, if name is in the mounted folder.
func (m mount) inSub(name string) (string, bool) {
	if name == m.at {
		return ".", true
	}
	return strings.CutPrefix(name, m.at+"/")
}

func (m mount) Open(name string) (fs.File, error) {
	if rest, ok := m.inSub(name); ok {
		return m.sub.Open(rest)
	}
	return m.FS.Open(name)
}

func (m mount) ReadDir(name string) ([]fs.DirEntry, error) {
	if rest, ok := m.inSub(name); ok {
		return fs.ReadDir(m.sub, rest)
	}
	list, err := fs.ReadDir(m.FS, name)
	if name == "." && err == nil {
		list = append(list, folder(m.at))
	}
	return list, err
}

// folder is the directory entry of a mounted folder.
type folder string

func (f folder) Name() string               { return string(f) }
func (f folder) IsDir() bool                { return true }
func (f folder) Type() fs.FileMode          { return fs.ModeDir }
func (f folder) Info() (fs.FileInfo, error) { return nil, fs.ErrNotExist }

var tmpl = template.Must(template.New("nginx.conf").Option("missingkey=error").Parse(confTmpl))

// Env names the settings Lua reads from nginx's environment: the secrets,
// which never go into nginx.conf.
var Env = []string{"BOXOFFICE_JWT_SECRET", "BOXOFFICE_JWT_KID", "BOXOFFICE_JWT_PREVIOUS_KEYS",
	"BOXOFFICE_SALE_REDIS_PASSWORD", "BOXOFFICE_CACHE_REDIS_PASSWORD"}

// Params are the values the template uses.
type Params struct {
	Env      []string
	User     string
	Workers  string
	EdgeAddr string
	APIAddr  string
	// The notify daemon's SSE streams.
	NotifyAddr string
	LuaDir     string
	// The cache Redis, read by the catalog edge cache: an IP address (Lua
	// cosockets would need a resolver directive for a name). Its password
	// reaches nginx through the environment (env directive), never this file.
	CacheRedisHost string
	CacheRedisPort string
	// The sale Redis of the grab path, likewise.
	SaleRedisHost string
	SaleRedisPort string
	// The sale Redis Cluster's nodes (ip:port) to read its slot map from,
	// if it is one.
	SaleRedisCluster []string
	RedisTimeoutMS   int64
	RedisPool        int
	RedisBacklog     int
	StateRefresh     float64 // seconds between sale state refreshes
	SeatsTTL         float64 // seconds a seat map copy is current
	RateIPPerSec     float64 // the grab limit per client IP, counted in Lua before anything else
	BurstIP          int
	RateUser         string
	BurstUser        int
	RealIPFrom       []string
}

// ParamsFor derives the template values from the configuration. When run as
// root, workers run as root too so they can read a checkout anywhere; a
// production unit runs nginx as its own user instead.
func ParamsFor(cfg *config.Config) (Params, error) {
	lua, err := filepath.Abs(cfg.LuaDir)
	if err != nil {
		return Params{}, fmt.Errorf("BOXOFFICE_LUA_DIR: %w", err)
	}
	host, port, err := resolve(cfg.CacheRedisAddr)
	if err != nil {
		return Params{}, fmt.Errorf("BOXOFFICE_CACHE_REDIS_ADDR: %w", err)
	}
	saleHost, salePort, err := resolve(cfg.SaleRedisAddr)
	if err != nil {
		return Params{}, fmt.Errorf("BOXOFFICE_SALE_REDIS_ADDR: %w", err)
	}
	cluster, err := resolveAll(cfg.SaleRedisCluster)
	if err != nil {
		return Params{}, fmt.Errorf("BOXOFFICE_SALE_REDIS_CLUSTER: %w", err)
	}
	p := Params{Env: Env, SaleRedisCluster: cluster, Workers: cfg.EdgeWorkers, EdgeAddr: cfg.EdgeAddr, APIAddr: cfg.APIAddr, NotifyAddr: cfg.NotifyAddr, LuaDir: lua,
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

// resolveAll resolves each host:port of addrs.
func resolveAll(addrs []string) ([]string, error) {
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		ip, port, err := resolve(a)
		if err != nil {
			return nil, err
		}
		out = append(out, net.JoinHostPort(ip, port))
	}
	return out, nil
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
