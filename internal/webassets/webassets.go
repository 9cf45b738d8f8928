// Package webassets builds a static web app for the edge to serve: every
// file gets a content-hashed name (cached for ever), and the entry page
// (never cached) gets an import map from each module's URL to its hashed
// URL, so the modules' own imports, relative or not, load hashed files too.
package webassets

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// Marker is the comment in the entry page that the import map replaces.
const Marker = "<!-- importmap -->"

// MapHash in the entry page (in its Content-Security-Policy) becomes the
// import map's hash source ('sha256-…'), so a policy without
// 'unsafe-inline' lets that one inline script run.
const MapHash = "'importmap-hash'"

// hashLen is how many hex digits of the SHA-256 a hashed name carries.
const hashLen = 10

// Hashed matches a URL path that Build gave a content-hashed name: the
// edge serves those as immutable.
var Hashed = regexp.MustCompile(`\.[0-9a-f]{10}\.[A-Za-z0-9]+$`)

// attrURL finds src="/..." and href="/..." in the entry page.
var attrURL = regexp.MustCompile(`\b(src|href)="(/[^"]*)"`)

// Build writes the app in src, served at the URL path base ("/",
// "/admin/"), to dst: each file but entry under its hashed name, then entry
// with the import map in place of Marker and its own src/href URLs
// rewritten. Files of an earlier build that this one does not have are
// removed. It returns the URL map (/js/app.js → /js/app.<hash>.js).
func Build(src fs.FS, dst, entry, base string) (map[string]string, error) {
	urls := map[string]string{}
	keep := map[string]bool{entry: true}
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == entry {
			return err
		}
		data, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		out := hashedName(p, data)
		if err := write(filepath.Join(dst, filepath.FromSlash(out)), data); err != nil {
			return err
		}
		urls[base+p], keep[out] = base+out, true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web assets: %w", err)
	}
	page, err := fs.ReadFile(src, entry)
	if err != nil {
		return nil, fmt.Errorf("web assets: entry page: %w", err)
	}
	page, err = entryPage(page, urls)
	if err != nil {
		return nil, fmt.Errorf("web assets: %s: %w", entry, err)
	}
	if err := write(filepath.Join(dst, filepath.FromSlash(entry)), page); err != nil {
		return nil, fmt.Errorf("web assets: %w", err)
	}
	return urls, prune(dst, keep)
}

// hashedName is p with the content hash before its extension.
func hashedName(p string, data []byte) string {
	sum := sha256.Sum256(data)
	ext := path.Ext(p)
	return strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:])[:hashLen] + ext
}

// entryPage puts the import map of the JavaScript modules in place of
// Marker and points the page's own src and href at the hashed files.
func entryPage(page []byte, urls map[string]string) ([]byte, error) {
	if !bytes.Contains(page, []byte(Marker)) {
		return nil, fmt.Errorf("no %s marker for the import map", Marker)
	}
	imports := map[string]string{}
	for from, to := range urls {
		if strings.HasSuffix(from, ".js") {
			imports[from] = to
		}
	}
	m, err := json.Marshal(map[string]any{"imports": imports})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(m)
	page = bytes.ReplaceAll(page, []byte(MapHash), []byte("'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'"))
	page = bytes.Replace(page, []byte(Marker), []byte(`<script type="importmap">`+string(m)+`</script>`), 1)
	return attrURL.ReplaceAllFunc(page, func(a []byte) []byte {
		sub := attrURL.FindSubmatch(a)
		if to, ok := urls[string(sub[2])]; ok {
			return []byte(string(sub[1]) + `="` + to + `"`)
		}
		return a
	}), nil
}

// write writes data to name through a temporary file, so a reader never
// sees half a file.
func write(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// prune removes the files under dst that keep does not name.
func prune(dst string, keep map[string]bool) error {
	return filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dst, p)
		if err != nil || keep[filepath.ToSlash(rel)] {
			return err
		}
		return os.Remove(p)
	})
}
