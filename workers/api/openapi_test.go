package api_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"boxoffice/internal/config"
	"boxoffice/workers/api"
)

// methods are the keys of an OpenAPI path item that are operations.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// servedBy are the values of x-served-by: absent or "api" is the api
// daemon's router; "edge" is nginx+Lua; "daemon" the api daemon's own
// listener (health and metrics), outside the router; "notify" the notify
// daemon (SSE streams), which the edge routes to.
var servedBy = []string{"", "api", "edge", "daemon", "notify"}

// docOperation is what the tests read of an OpenAPI operation.
type docOperation struct {
	OperationID string                     `json:"operationId"`
	ServedBy    string                     `json:"x-served-by"`
	Parameters  []map[string]any           `json:"parameters"`
	Responses   map[string]json.RawMessage `json:"responses"`
	Security    []map[string][]string      `json:"security"`
}

// apiDoc is the document, raw and as the operations by "METHOD /path".
type apiDoc struct {
	raw map[string]any
	ops map[string]docOperation
}

// newRouter builds the api's router without dialing anything: the
// MySQL and Redis clients are nil and no handler runs but the document's.
func newRouter(t *testing.T) *gin.Engine {
	t.Helper()
	s := api.New(&config.Config{}, slog.New(slog.DiscardHandler), nil, nil, nil, prometheus.NewRegistry())
	t.Cleanup(s.Catalog.Close)
	return s.Router()
}

// serveGet serves GET path on r with the header.
func serveGet(r http.Handler, path string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

// mustDoc fetches /api/openapi.json from the router and decodes it.
func mustDoc(t *testing.T, r http.Handler) *apiDoc {
	t.Helper()
	w := serveGet(r, "/api/openapi.json", nil)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/openapi.json = %d %q, want 200 application/json", w.Code, w.Header().Get("Content-Type"))
	}
	s := &apiDoc{ops: map[string]docOperation{}}
	if err := json.Unmarshal(w.Body.Bytes(), &s.raw); err != nil {
		t.Fatalf("openapi.json is not a JSON object: %v", err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("openapi.json paths: %v", err)
	}
	for path, item := range doc.Paths {
		for _, m := range methods {
			if raw, ok := item[m]; ok {
				var op docOperation
				if err := json.Unmarshal(raw, &op); err != nil {
					t.Fatalf("%s %s: %v", m, path, err)
				}
				s.ops[strings.ToUpper(m)+" "+path] = op
			}
		}
	}
	return s
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// openAPIPath writes Gin's /a/:id as OpenAPI's /a/{id}.
func openAPIPath(ginPath string) string { return ginParam.ReplaceAllString(ginPath, "{$1}") }

// TestOpenAPIMatchesRouter checks the document describes exactly the routes
// Router serves, besides the operations served elsewhere.
func TestOpenAPIMatchesRouter(t *testing.T) {
	r := newRouter(t)
	s := mustDoc(t, r)
	routes := map[string]bool{}
	for _, rt := range r.Routes() {
		routes[rt.Method+" "+openAPIPath(rt.Path)] = true
	}
	documented := map[string]bool{}
	for key, op := range s.ops {
		switch {
		case !slices.Contains(servedBy, op.ServedBy):
			t.Errorf("%s: x-served-by %q, want one of %q", key, op.ServedBy, servedBy)
		case op.ServedBy == "" || op.ServedBy == "api":
			documented[key] = true
		case routes[key]:
			t.Errorf("%s is marked x-served-by: %s, but Router serves it", key, op.ServedBy)
		}
	}
	for _, key := range sortedKeys(routes) {
		if !documented[key] {
			t.Errorf("Router serves %s, which openapi.json does not document", key)
		}
	}
	for _, key := range sortedKeys(documented) {
		if !routes[key] {
			t.Errorf("openapi.json documents %s, which Router does not serve (mark it x-served-by if another server does)", key)
		}
	}
}

// TestOpenAPIOperations checks every operation has a unique operationId
// and at least one well-formed response, and that its security schemes
// exist.
func TestOpenAPIOperations(t *testing.T) {
	s := mustDoc(t, newRouter(t))
	if len(s.ops) == 0 {
		t.Fatal("openapi.json has no operations")
	}
	schemes := componentsOf(s.raw, "securitySchemes")
	ids := map[string]string{}
	for _, key := range sortedKeys(s.ops) {
		op := s.ops[key]
		if op.OperationID == "" {
			t.Errorf("%s has no operationId", key)
		} else if other, dup := ids[op.OperationID]; dup {
			t.Errorf("%s and %s share operationId %q", other, key, op.OperationID)
		}
		ids[op.OperationID] = key
		if len(op.Responses) == 0 {
			t.Errorf("%s has no responses", key)
		}
		for code := range op.Responses {
			if !statusKey(code) {
				t.Errorf("%s: response key %q is not a status code, NXX or default", key, code)
			}
		}
		for _, req := range op.Security {
			for name := range req {
				if _, ok := schemes[name]; !ok {
					t.Errorf("%s: security scheme %q is not in components/securitySchemes", key, name)
				}
			}
		}
	}
}

// statusKey reports whether code is a valid key of an OpenAPI responses
// object.
func statusKey(code string) bool {
	if code == "default" || (len(code) == 3 && code[0] >= '1' && code[0] <= '5' && code[1:] == "XX") {
		return true
	}
	n, err := strconv.Atoi(code)
	return err == nil && len(code) == 3 && n >= 100 && n <= 599
}

// TestOpenAPIDocument checks the document is OpenAPI 3.1, every $ref
// resolves, every component is used, and every path's template
// parameters are declared.
func TestOpenAPIDocument(t *testing.T) {
	s := mustDoc(t, newRouter(t))
	t.Run("Version", func(t *testing.T) {
		if v, _ := s.raw["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
			t.Errorf("openapi = %q, want 3.1.x", v)
		}
		info, _ := s.raw["info"].(map[string]any)
		if info["title"] == nil || info["version"] == nil {
			t.Errorf("info = %v, want a title and a version", info)
		}
	})
	refs := map[string]bool{}
	t.Run("RefsResolve", func(t *testing.T) {
		walkRefs(s.raw, func(ref string) {
			refs[ref] = true
			if _, err := resolveRef(s.raw, ref); err != "" {
				t.Errorf("$ref %q: %s", ref, err)
			}
		})
		if len(refs) == 0 {
			t.Error("no $ref at all: components are not reused")
		}
	})
	t.Run("ComponentsUsed", func(t *testing.T) {
		for _, kind := range []string{"schemas", "responses", "parameters", "headers", "requestBodies", "pathItems"} {
			for _, name := range sortedKeys(componentsOf(s.raw, kind)) {
				if ref := "#/components/" + kind + "/" + name; !refs[ref] {
					t.Errorf("%s is never referenced", ref)
				}
			}
		}
		used := map[string]bool{}
		for _, op := range s.ops {
			for _, req := range op.Security {
				for name := range req {
					used[name] = true
				}
			}
		}
		for _, name := range sortedKeys(componentsOf(s.raw, "securitySchemes")) {
			if !used[name] {
				t.Errorf("security scheme %q is never required", name)
			}
		}
	})
	t.Run("PathParameters", func(t *testing.T) {
		checkPathParameters(t, s)
	})
}

var templateParam = regexp.MustCompile(`\{([^}]+)\}`)

// checkPathParameters checks each operation declares, at its level or
// its path's, exactly the parameters its path template names, as
// required.
func checkPathParameters(t *testing.T, s *apiDoc) {
	t.Helper()
	paths, _ := s.raw["paths"].(map[string]any)
	for _, key := range sortedKeys(s.ops) {
		path := strings.SplitN(key, " ", 2)[1]
		want := map[string]bool{}
		for _, m := range templateParam.FindAllStringSubmatch(path, -1) {
			want[m[1]] = true
		}
		item, _ := paths[path].(map[string]any)
		params := s.ops[key].Parameters
		if shared, ok := item["parameters"].([]any); ok {
			for _, p := range shared {
				pm, _ := p.(map[string]any)
				params = append(params, pm)
			}
		}
		got := map[string]bool{}
		for _, p := range params {
			if ref, ok := p["$ref"].(string); ok {
				v, _ := resolveRef(s.raw, ref)
				p, _ = v.(map[string]any)
			}
			if p["in"] != "path" {
				continue
			}
			name, _ := p["name"].(string)
			got[name] = true
			if p["required"] != true {
				t.Errorf("%s: path parameter %q is not required: true", key, name)
			}
		}
		for name := range want {
			if !got[name] {
				t.Errorf("%s: path parameter {%s} is not declared", key, name)
			}
		}
		for name := range got {
			if !want[name] {
				t.Errorf("%s: declares path parameter %q that the path does not name", key, name)
			}
		}
	}
}

// TestOpenAPIServed checks the document's HTTP caching: a strong ETag, a
// short public max-age, and 304 for If-None-Match.
func TestOpenAPIServed(t *testing.T) {
	r := newRouter(t)
	w := serveGet(r, "/api/openapi.json", nil)
	etag := w.Header().Get("ETag")
	t.Run("OK", func(t *testing.T) {
		if w.Code != http.StatusOK || len(etag) < 3 || etag[0] != '"' {
			t.Fatalf("got %d ETag %q, want 200 with a strong ETag", w.Code, etag)
		}
		if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=60" {
			t.Errorf("Cache-Control = %q, want public, max-age=60", cc)
		}
	})
	t.Run("NotModified", func(t *testing.T) {
		w := serveGet(r, "/api/openapi.json", http.Header{"If-None-Match": {etag}})
		if w.Code != http.StatusNotModified || w.Body.Len() != 0 {
			t.Errorf("got %d with %d bytes, want 304 without a body", w.Code, w.Body.Len())
		}
	})
}

// walkRefs calls fn with every $ref string in v.
func walkRefs(v any, fn func(ref string)) {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok {
			fn(ref)
		}
		for _, e := range x {
			walkRefs(e, fn)
		}
	case []any:
		for _, e := range x {
			walkRefs(e, fn)
		}
	}
}

// resolveRef follows a local JSON pointer ref in doc; it returns a problem
// when it does not resolve.
func resolveRef(doc any, ref string) (any, string) {
	ptr, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, "not a local reference (#/...)"
	}
	cur := doc
	for _, tok := range strings.Split(ptr, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, "path goes through a non-object before " + strconv.Quote(tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, "no " + strconv.Quote(tok)
		}
	}
	return cur, ""
}

// componentsOf returns components/<kind> of doc, or nil.
func componentsOf(doc map[string]any, kind string) map[string]any {
	c, _ := doc["components"].(map[string]any)
	m, _ := c[kind].(map[string]any)
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
