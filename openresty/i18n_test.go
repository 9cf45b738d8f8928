package openresty_test

import (
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"boxoffice/openresty"
)

// textKey matches an entry of a translation file: its key and, for a
// function, its parameters.
var textKey = regexp.MustCompile(`(?m)^  '?([A-Za-z_.]+)'?: (?:\(([^)]*)\) =>)?`)

// texts reads a translation file of the buyer app: key → its parameters
// ("" for a plain string).
func texts(t *testing.T, name string) map[string]string {
	t.Helper()
	src, err := fs.ReadFile(openresty.App(), "i18n/"+name)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range textKey.FindAllStringSubmatch(string(src), -1) {
		out[m[1]] = m[2]
	}
	return out
}

// TestTranslations checks that every translation has exactly the English
// keys, each taking the same arguments, and that the language switch
// (LANGUAGES in js/i18n.js) offers every translation file.
func TestTranslations(t *testing.T) {
	en := texts(t, "en.js")
	if len(en) < 100 {
		t.Fatalf("read %d keys from en.js: the file's layout changed?", len(en))
	}
	files, err := fs.Glob(openresty.App(), "i18n/*.js")
	if err != nil {
		t.Fatal(err)
	}
	i18n, err := fs.ReadFile(openresty.App(), "js/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	langs := regexp.MustCompile(`export const LANGUAGES = \{([^}]*)\}`).FindSubmatch(i18n)
	if langs == nil {
		t.Fatal("js/i18n.js has no LANGUAGES")
	}
	for _, f := range files {
		code := strings.TrimSuffix(strings.TrimPrefix(f, "i18n/"), ".js")
		if !regexp.MustCompile(`'?` + regexp.QuoteMeta(code) + `'?:`).Match(langs[1]) {
			t.Errorf("LANGUAGES in js/i18n.js does not offer %s", code)
		}
		if code == "en" {
			continue
		}
		tr := texts(t, code+".js")
		for _, k := range slices.Sorted(maps.Keys(en)) {
			if p, ok := tr[k]; !ok {
				t.Errorf("%s lacks %q", f, k)
			} else if p != en[k] {
				t.Errorf("%s: %q takes (%s), en.js (%s)", f, k, p, en[k])
			}
		}
		for k := range tr {
			if _, ok := en[k]; !ok {
				t.Errorf("%s has %q, which en.js lacks", f, k)
			}
		}
	}
}
