package web

import (
	"errors"
	"time"
	"unicode/utf8"
)

// ParseTime parses an RFC 3339 time and returns it in UTC to the
// millisecond (the columns' precision). The time in UTC must fall in the
// years 1 to 9999, which both RFC 3339 and a DATETIME column hold.
func ParseTime(raw string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		return time.Time{}, errors.New("must be an RFC 3339 time such as 2026-07-01T19:30:00+08:00")
	}
	t = t.UTC().Truncate(time.Millisecond)
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, errors.New("must fall in the years 0001 to 9999 once converted to UTC")
	}
	return t, nil
}

// ValidUTF8 fails with bad_request unless body is valid UTF-8. Check it
// before decoding JSON: encoding/json turns invalid bytes into U+FFFD.
func ValidUTF8(body []byte) error {
	if !utf8.Valid(body) {
		return Invalid("body is not valid UTF-8")
	}
	return nil
}
