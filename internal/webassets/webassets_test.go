package webassets

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func app() fstest.MapFS {
	return fstest.MapFS{
		"index.html":  {Data: []byte(`<head>` + Marker + `<link rel="stylesheet" href="/css/app.css"><script type="module" src="/js/main.js"></script><a href="/shows">x</a></head>`)},
		"css/app.css": {Data: []byte(`body{}`)},
		"js/main.js":  {Data: []byte(`import "./util.js";`)},
		"js/util.js":  {Data: []byte(`export const x = 1;`)},
		"i18n/en.js":  {Data: []byte(`export default {};`)},
	}
}

// entryOf reads the built entry page in dst and its import map's text.
func entryOf(t *testing.T, dst string) (page, importMap []byte) {
	t.Helper()
	page, err := os.ReadFile(filepath.Join(dst, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<script type="importmap">(.*?)</script>`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no import map in %s", page)
	}
	return page, m[1]
}

func TestBuild(t *testing.T) {
	dst := t.TempDir()
	urls, err := Build(app(), dst, "index.html", "/")
	if err != nil {
		t.Fatal(err)
	}
	if len(urls) != 4 {
		t.Fatalf("urls = %v, want 4 entries", urls)
	}
	for from, to := range urls {
		if !Hashed.MatchString(to) {
			t.Errorf("%s → %s: not a hashed name", from, to)
		}
		data, err := os.ReadFile(filepath.Join(dst, to))
		if err != nil {
			t.Fatalf("%s: %v", to, err)
		}
		if string(data) != string(app()[from[1:]].Data) {
			t.Errorf("%s holds %q, want the content of %s", to, data, from)
		}
	}
	page, importMap := entryOf(t, dst)
	var im struct{ Imports map[string]string }
	if err := json.Unmarshal(importMap, &im); err != nil {
		t.Fatal(err)
	}
	if len(im.Imports) != 3 || im.Imports["/js/util.js"] != urls["/js/util.js"] || im.Imports["/i18n/en.js"] != urls["/i18n/en.js"] {
		t.Errorf("import map = %v, want the three modules", im.Imports)
	}
	for _, want := range []string{`href="` + urls["/css/app.css"] + `"`, `src="` + urls["/js/main.js"] + `"`, `href="/shows"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("entry page lacks %s: %s", want, page)
		}
	}
}

func TestBuildHashFollowsContent(t *testing.T) {
	dst := t.TempDir()
	first, err := Build(app(), dst, "index.html", "/")
	if err != nil {
		t.Fatal(err)
	}
	changed := app()
	changed["js/util.js"] = &fstest.MapFile{Data: []byte(`export const x = 2;`)}
	second, err := Build(changed, dst, "index.html", "/")
	if err != nil {
		t.Fatal(err)
	}
	if first["/js/util.js"] == second["/js/util.js"] {
		t.Errorf("a changed file kept its name %s", first["/js/util.js"])
	}
	if first["/js/main.js"] != second["/js/main.js"] {
		t.Errorf("an unchanged file was renamed: %s → %s", first["/js/main.js"], second["/js/main.js"])
	}
	if _, err := os.Stat(filepath.Join(dst, first["/js/util.js"])); !os.IsNotExist(err) {
		t.Errorf("the old build's %s is still there (err %v)", first["/js/util.js"], err)
	}
}

func TestBuildNeedsMarker(t *testing.T) {
	a := app()
	a["index.html"] = &fstest.MapFile{Data: []byte(`<head></head>`)}
	if _, err := Build(a, t.TempDir(), "index.html", "/"); err == nil || !strings.Contains(err.Error(), Marker) {
		t.Fatalf("err = %v, want one naming the marker", err)
	}
}

// TestBuildUnderBase: an app served under /admin/ gets URLs under it, and
// its policy names the import map's hash.
func TestBuildUnderBase(t *testing.T) {
	src := fstest.MapFS{
		"index.html": {Data: []byte(`<head><meta http-equiv="Content-Security-Policy" content="script-src 'self' ` + MapHash + `">` +
			Marker + `<script type="module" src="/admin/js/app.js"></script></head>`)},
		"js/app.js": {Data: []byte(`import "./api.js";`)},
		"js/api.js": {Data: []byte(`export {};`)},
	}
	dst := t.TempDir()
	urls, err := Build(src, dst, "index.html", "/admin/")
	if err != nil {
		t.Fatal(err)
	}
	if to := urls["/admin/js/api.js"]; !strings.HasPrefix(to, "/admin/js/api.") || !Hashed.MatchString(to) {
		t.Fatalf("urls = %v, want /admin/js/api.<hash>.js", urls)
	}
	if _, err := os.Stat(filepath.Join(dst, strings.TrimPrefix(urls["/admin/js/api.js"], "/admin/"))); err != nil {
		t.Fatal(err)
	}
	page, importMap := entryOf(t, dst)
	sum := sha256.Sum256(importMap)
	hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	if !strings.Contains(string(page), `script-src 'self' `+hash+`"`) || strings.Contains(string(page), MapHash) {
		t.Errorf("entry page = %s, want the policy with %s", page, hash)
	}
	if !strings.Contains(string(page), `src="`+urls["/admin/js/app.js"]+`"`) {
		t.Errorf("entry page = %s, want the hashed app.js", page)
	}
}
