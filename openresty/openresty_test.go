package openresty_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"boxoffice/internal/config"
	"boxoffice/openresty"
)

func load(t *testing.T, kv map[string]string) *config.Config {
	t.Helper()
	kv["BOXOFFICE_RUN_DIR"] = t.TempDir()
	kv["BOXOFFICE_LUA_DIR"] = filepath.Join("..", "lua")
	cfg, err := config.LoadFrom(func(k string) (string, bool) { v, ok := kv[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestRenderCatalogCache(t *testing.T) {
	cfg := load(t, map[string]string{
		"BOXOFFICE_CACHE_REDIS_ADDR":     "10.1.2.3:7000",
		"BOXOFFICE_CACHE_REDIS_PASSWORD": "do-not-render-me",
	})
	var out bytes.Buffer
	if err := openresty.Render(&out, cfg); err != nil {
		t.Fatal(err)
	}
	conf := out.String()
	for _, want := range []string{
		"env BOXOFFICE_CACHE_REDIS_PASSWORD;",
		`host = "10.1.2.3", port = 7000,`,
		`proxy_cache_key "$catalog_version|$request_uri";`,
		"location ~ ^/api/(shows|shows/[^/]+|sessions/[^/]+)$ {",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("rendered nginx.conf lacks %q", want)
		}
	}
	if strings.Contains(conf, "do-not-render-me") {
		t.Error("rendered nginx.conf holds the cache Redis password")
	}
}

func TestRenderCacheHostResolved(t *testing.T) {
	cfg := load(t, map[string]string{"BOXOFFICE_CACHE_REDIS_ADDR": "localhost:6391"})
	p, err := openresty.ParamsFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p.CacheRedisHost != "127.0.0.1" && p.CacheRedisHost != "::1" {
		t.Errorf("CacheRedisHost = %q, want localhost's address", p.CacheRedisHost)
	}
}

func TestRenderErrBadCacheHost(t *testing.T) {
	// Not a domain name (the quote): refused without asking a DNS server.
	cfg := load(t, map[string]string{"BOXOFFICE_CACHE_REDIS_ADDR": `a"b.invalid:6391`})
	if err := openresty.Render(&bytes.Buffer{}, cfg); err == nil {
		t.Error("Render accepted a host that does not resolve; want an error")
	}
}

// TestRenderNginxAccepts checks the rendered file with nginx -t, where nginx
// with the Lua module is installed.
func TestRenderNginxAccepts(t *testing.T) {
	if _, err := os.Stat("/usr/lib/nginx/modules/ngx_http_lua_module.so"); err != nil {
		t.Skip("nginx with the Lua module is not installed")
	}
	cfg := load(t, map[string]string{"BOXOFFICE_EDGE_ADDR": "127.0.0.1:1"})
	prefix := t.TempDir()
	for _, d := range []string{"conf", "logs", "temp"} {
		if err := os.MkdirAll(filepath.Join(prefix, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := openresty.Render(&out, cfg); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(prefix, "conf", "nginx.conf"), out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("nginx", "-t", "-q", "-p", prefix+"/", "-c", "conf/nginx.conf", "-e", "logs/error.log")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, msg)
	}
}

// TestPanelSiteHasBuyerModules: the panel's files and, under buyer/, the
// buyer app's, walked as one tree.
func TestPanelSiteHasBuyerModules(t *testing.T) {
	var files []string
	err := fs.WalkDir(openresty.Sites()[1].Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"index.html", "js/seatmap.js", "buyer/seatmap.js", "buyer/seatstates.js"} {
		if !slices.Contains(files, want) {
			t.Errorf("the panel's files %v lack %s", files, want)
		}
	}
}
