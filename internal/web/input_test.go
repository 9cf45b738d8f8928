package web

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	for raw, want := range map[string]string{
		"2026-07-01T19:30:00+08:00":     "2026-07-01T11:30:00Z",
		"2026-07-01T19:30:00.1239Z":     "2026-07-01T19:30:00.123Z",
		"0001-01-01T00:00:00Z":          "0001-01-01T00:00:00Z",
		"9999-12-31T23:59:59.999+00:00": "9999-12-31T23:59:59.999Z",
	} {
		got, err := ParseTime(raw)
		if err != nil || got.Format(time.RFC3339Nano) != want {
			t.Errorf("ParseTime(%q) = %v, %v; want %s", raw, got, err, want)
		}
	}
	for _, raw := range []string{
		"0000-01-01T00:00:00Z",      // year 0
		"0001-01-01T00:00:00+01:00", // year 0 in UTC
		"9999-12-31T23:59:59-05:00", // year 10000 in UTC
		"2026-07-01 19:30:00Z", "2026-07-01", "", "2026-13-01T00:00:00Z",
	} {
		if got, err := ParseTime(raw); err == nil {
			t.Errorf("ParseTime(%q) = %v, want an error", raw, got)
		}
	}
}
