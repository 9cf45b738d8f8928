package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func cached(t *testing.T, body []byte, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	gin.SetMode(gin.TestMode)
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = httptest.NewRequest("GET", "/x", nil)
	c.Request.Header = header
	Cached(c, 5, ETag(body), body)
	c.Writer.WriteHeaderNow() // as gin does after a handler
	return w
}

func TestCachedGzip(t *testing.T) {
	big := []byte(`{"seats":[` + strings.Repeat(`{"id":1,"x":0,"y":0},`, 200) + `{}]}`)
	etag := ETag(big)
	t.Run("Gzipped", func(t *testing.T) {
		w := cached(t, big, http.Header{"Accept-Encoding": {"br, gzip;q=0.8"}})
		if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" || w.Header().Get("ETag") != gzipETag(etag) {
			t.Fatalf("got %d %v, want gzip with its own ETag", w.Code, w.Header())
		}
		zr, err := gzip.NewReader(w.Body)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := io.ReadAll(zr); !bytes.Equal(got, big) {
			t.Errorf("gunzipped body differs: %.60s", got)
		}
		if w := cached(t, big, http.Header{"Accept-Encoding": {"gzip"}, "If-None-Match": {gzipETag(etag)}}); w.Code != 304 {
			t.Errorf("If-None-Match of the gzip ETag = %d, want 304", w.Code)
		}
	})
	for name, h := range map[string]http.Header{
		"NotAccepted": {},
		"Refused":     {"Accept-Encoding": {"gzip;q=0, identity"}},
	} {
		t.Run(name, func(t *testing.T) {
			w := cached(t, big, h)
			if w.Code != 200 || w.Header().Get("Content-Encoding") != "" || w.Header().Get("ETag") != etag || !bytes.Equal(w.Body.Bytes(), big) {
				t.Errorf("got %d %v, want the plain body and ETag", w.Code, w.Header())
			}
		})
	}
	t.Run("Small", func(t *testing.T) {
		w := cached(t, []byte(`{}`), http.Header{"Accept-Encoding": {"gzip"}})
		if w.Header().Get("Content-Encoding") != "" || w.Body.String() != `{}` {
			t.Errorf("a small body was compressed: %v", w.Header())
		}
	})
}
