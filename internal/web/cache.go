package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// ETag is a strong validator for body.
func ETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
}

// gzipMin is the smallest body Cached compresses.
const gzipMin = 1024

// Cached writes a cacheable JSON body with its ETag, or 304 when the
// client's If-None-Match already names it. A body of gzipMin bytes or
// more is gzipped for a client that accepts it: the edge asks so, keeps
// the compressed copy in its cache and serves it to every buyer, so a
// large seat map is compressed once per edge cache fill, not per buyer.
func Cached(c *gin.Context, maxAge int, etag string, body []byte) {
	c.Header("Cache-Control", "public, max-age="+strconv.Itoa(maxAge))
	c.Header("Vary", "Accept-Encoding")
	zipped := len(body) >= gzipMin && acceptsGzip(c.GetHeader("Accept-Encoding"))
	if zipped {
		etag = gzipETag(etag) // other bytes, another strong validator
	}
	c.Header("ETag", etag)
	if match(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		return
	}
	if zipped {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write(body) // writes to memory do not fail
		_ = zw.Close()
		body = b.Bytes()
		c.Header("Content-Encoding", "gzip")
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

// gzipETag is the ETag of the gzipped form of the body tagged etag.
func gzipETag(etag string) string {
	return strings.TrimSuffix(etag, `"`) + `-gzip"`
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

func match(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
