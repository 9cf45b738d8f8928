// Package web is the HTTP mapping every server shares: error codes to
// statuses and the JSON error shape (for Gin and plain net/http handlers),
// strict JSON binding, paging, authentication and cache validators.
package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/mysql"
)

// Error writes err in the JSON error shape. Internal errors are logged and
// shown to the user only as "internal error".
func Error(c *gin.Context, log *slog.Logger, err error) {
	if mapped := unavailable(err); mapped != err {
		log.Warn("dependency unavailable", "method", c.Request.Method, "path", c.FullPath(), "err", err)
		err = mapped
	}
	status, body := Body(err)
	if status >= 500 && boxoffice.ErrorCode(err) == boxoffice.EINTERNAL {
		log.Error("request failed", "method", c.Request.Method, "path", c.FullPath(), "err", err)
	}
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		wait := "1"
		if s, ok := body["retry_after"].(int64); ok {
			wait = strconv.FormatInt(s, 10)
		}
		c.Header("Retry-After", wait)
	}
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, body)
}

// Invalid is shorthand for a bad_request error.
func Invalid(format string, args ...any) error {
	return boxoffice.Errorf(boxoffice.EINVALID, format, args...)
}

// BindJSON decodes the request body into v strictly: one JSON value, no
// unknown fields, at most limit bytes.
func BindJSON(c *gin.Context, limit int64, v any) error {
	if ct := c.ContentType(); ct != "application/json" {
		return Invalid("want Content-Type application/json, got %q", ct)
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, limit+1))
	if err != nil {
		return Invalid("could not read the body: %v", err)
	}
	if int64(len(body)) > limit {
		return Invalid("body is larger than %d bytes", limit)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Invalid("body is not valid JSON for this request: %s", jsonProblem(err))
	}
	if dec.More() {
		return Invalid("body has data after the JSON value")
	}
	return nil
}

func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Sprintf("field %q must be %s", typeErr.Field, typeErr.Type)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// ID parses the path parameter name as a positive int64.
func ID(c *gin.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, Invalid("%s must be a positive integer, got %q", name, c.Param(name))
	}
	return id, nil
}

// Page is a page request: 1-based page number and page size.
type Page struct {
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

// Offset is the number of rows before the page.
func (p Page) Offset() int { return (p.Page - 1) * p.PerPage }

// MaxPerPage is the largest page size a list accepts.
const MaxPerPage = 100

// Paging reads ?page= and ?per_page= (defaults 1 and 20).
func Paging(c *gin.Context) (Page, error) {
	p := Page{Page: 1, PerPage: 20}
	if err := intQuery(c, "page", 1, 1_000_000, &p.Page); err != nil {
		return p, err
	}
	return p, intQuery(c, "per_page", 1, MaxPerPage, &p.PerPage)
}

func intQuery(c *gin.Context, name string, lo, hi int, dst *int) error {
	raw, ok := c.GetQuery(name)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return Invalid("%s must be an integer from %d to %d, got %q", name, lo, hi, raw)
	}
	*dst = n
	return nil
}

// List is the JSON shape of every paged list.
type List[T any] struct {
	Items   []T `json:"items"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
	Total   int `json:"total"`
}

// NotFound answers unknown routes and methods in the JSON error shape.
func NotFound(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(http.StatusNotFound, gin.H{"error": boxoffice.ENOTFOUND,
		"message": "no such route: " + c.Request.Method + " " + c.Request.URL.Path})
}

// unavailable turns an error of reaching a dependency (a refused or broken
// connection, a timeout) into EUNAVAILABLE, so that a database or Redis
// that is down answers a quick 503 rather than a 500.
func unavailable(err error) error {
	var be *boxoffice.Error
	if errors.As(err, &be) || !mysql.Unavailable(err) {
		return err
	}
	return boxoffice.Errorf(boxoffice.EUNAVAILABLE, "a dependency is unavailable; try again shortly")
}

// MethodNotAllowed answers a known route called with the wrong method.
func MethodNotAllowed(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(http.StatusMethodNotAllowed, gin.H{"error": boxoffice.EMETHOD,
		"message": c.Request.Method + " is not allowed on " + c.Request.URL.Path})
}
