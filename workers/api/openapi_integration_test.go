//go:build integration

package api_test

import (
	"net/http"
	"strings"
	"testing"

	"boxoffice/internal/testenv"
)

func TestOpenAPIThroughEdge(t *testing.T) {
	c := testenv.Edge(t)
	r := c.Do(t, "GET", "/api/openapi.json", nil, nil)
	etag := r.Header.Get("ETag")
	t.Run("OK", func(t *testing.T) {
		if ct := r.Header.Get("Content-Type"); r.Status != http.StatusOK || !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("got %d %q, want 200 application/json", r.Status, ct)
		}
		if v, _ := r.JSON["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
			t.Errorf("openapi = %q, want 3.1.x", v)
		}
		if len(etag) < 3 || etag[0] != '"' {
			t.Errorf("ETag = %q, want a strong ETag", etag)
		}
	})
	t.Run("NotModified", func(t *testing.T) {
		r := c.Do(t, "GET", "/api/openapi.json", nil, http.Header{"If-None-Match": {etag}})
		if r.Status != http.StatusNotModified || len(r.Body) != 0 {
			t.Errorf("got %d with %d bytes, want 304 without a body", r.Status, len(r.Body))
		}
	})
	t.Run("OtherETag", func(t *testing.T) {
		r := c.Do(t, "GET", "/api/openapi.json", nil, http.Header{"If-None-Match": {`"other"`}})
		if r.Status != http.StatusOK || len(r.Body) == 0 {
			t.Errorf("got %d with %d bytes, want 200 with the document", r.Status, len(r.Body))
		}
	})
}
