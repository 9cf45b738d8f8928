package admin

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"boxoffice/internal/boxoffice"
)

// fields checks input fields in order and keeps the first problem as a
// bad_request error that names the field.
type fields struct {
	at  string // where the fields are, e.g. "seats[3]." or "line 5: "
	err error
}

func (f *fields) fail(field, format string, args ...any) {
	if f.err == nil {
		msg := f.at + field + " " + fmt.Sprintf(format, args...)
		f.err = boxoffice.Errorf(boxoffice.EINVALID, "%s", msg).With("field", field)
	}
}

// text trims *s and checks it is valid UTF-8 of at most max characters,
// and not empty when required.
func (f *fields) text(field string, s *string, max int, required bool) {
	*s = strings.TrimSpace(*s)
	switch {
	case required && *s == "":
		f.fail(field, "is required")
	case !utf8.ValidString(*s):
		f.fail(field, "is not valid UTF-8")
	case utf8.RuneCountInString(*s) > max:
		f.fail(field, "is longer than %d characters", max)
	}
}

// between checks lo <= v <= hi.
func (f *fields) between(field string, v, lo, hi int64) {
	if v < lo || v > hi {
		f.fail(field, "must be from %d to %d, got %d", lo, hi, v)
	}
}

// optional checks *v like between when it is set and returns it, or 0.
func (f *fields) optional(field string, v *int, lo, hi int64) int {
	if v == nil {
		return 0
	}
	f.between(field, int64(*v), lo, hi)
	return *v
}

// id checks a required reference to another object.
func (f *fields) id(field string, v int64) {
	if v <= 0 {
		f.fail(field, "must be a positive id, got %d", v)
	}
}

// oneOf checks that s is one of allowed, or empty when allowEmpty.
func (f *fields) oneOf(field, s string, allowEmpty bool, allowed ...string) {
	if !(allowEmpty && s == "") && !slices.Contains(allowed, s) {
		f.fail(field, "must be one of %s, got %q", strings.Join(allowed, ", "), s)
	}
}

// tierCodeRE is the shape of a price tier code: upper-case letters, digits,
// _ and -, starting with a letter or digit (the column is VARCHAR(16)).
var tierCodeRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{0,15}$`)

// tierCode trims *s and checks the tier code shape.
func (f *fields) tierCode(field string, s *string) {
	*s = strings.TrimSpace(*s)
	if !tierCodeRE.MatchString(*s) {
		f.fail(field, "must be 1 to 16 of A-Z, 0-9, _ and - starting with a letter or digit, got %q", *s)
	}
}

// httpURL checks an empty or absolute http(s) URL of at most max bytes.
func (f *fields) httpURL(field string, s *string, max int) {
	*s = strings.TrimSpace(*s)
	if *s == "" {
		return
	}
	u, err := url.Parse(*s)
	switch {
	case len(*s) > max:
		f.fail(field, "is longer than %d characters", max)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		f.fail(field, "must be an http:// or https:// URL, got %q", *s)
	}
}

// time parses a required RFC 3339 time, returned in UTC to the
// millisecond (the columns' precision).
func (f *fields) time(field, raw string) time.Time {
	if raw == "" {
		f.fail(field, "is required (RFC 3339, e.g. 2026-07-01T19:30:00+08:00)")
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		f.fail(field, "must be an RFC 3339 time such as 2026-07-01T19:30:00+08:00, got %q", raw)
	}
	return t.UTC().Truncate(time.Millisecond)
}

// ordered checks that each time is not before the one before it (strictly
// after it where strict[i] is set for times[i]).
func (f *fields) ordered(names []string, times []time.Time, strict []bool) {
	for i := 1; i < len(times); i++ {
		if times[i].Before(times[i-1]) || (strict[i] && times[i].Equal(times[i-1])) {
			rel := "at or after"
			if strict[i] {
				rel = "after"
			}
			f.fail(names[i], "must be %s %s (%s), got %s", rel, names[i-1],
				times[i-1].Format(time.RFC3339Nano), times[i].Format(time.RFC3339Nano))
		}
	}
}

// query reads list filters from the query string with the same checks.
type query struct {
	fields
	c *gin.Context
}

func newQuery(c *gin.Context) *query { return &query{fields: fields{at: "query parameter "}, c: c} }

// id reads an optional positive id.
func (q *query) id(name string) int64 {
	raw := q.c.Query(name)
	if raw == "" {
		return 0
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n <= 0 {
		q.fail(name, "must be a positive integer, got %q", raw)
	}
	return n
}

// time reads an optional RFC 3339 time.
func (q *query) time(name string) *time.Time {
	raw := q.c.Query(name)
	if raw == "" {
		return nil
	}
	t := q.fields.time(name, raw)
	return &t
}

// oneOf reads an optional value from allowed.
func (q *query) oneOf(name string, allowed ...string) string {
	raw := q.c.Query(name)
	q.fields.oneOf(name, raw, true, allowed...)
	return raw
}

// text reads an optional search text of at most max characters.
func (q *query) text(name string, max int) string {
	raw := q.c.Query(name)
	q.fields.text(name, &raw, max, false)
	return raw
}
