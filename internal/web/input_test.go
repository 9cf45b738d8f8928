package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"boxoffice/internal/boxoffice"
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

func TestValidUTF8(t *testing.T) {
	if err := ValidUTF8([]byte(`{"name":"Zoë 🎵"}`)); err != nil {
		t.Errorf("valid UTF-8 refused: %v", err)
	}
	for _, b := range []string{"{\"name\":\"\xff\"}", "{\"name\":\"\xc3\"}", "{\"name\":\"\xed\xa0\x80\"}"} {
		if err := ValidUTF8([]byte(b)); err == nil {
			t.Errorf("ValidUTF8(%q) = nil, want an error", b)
		}
	}
}

func TestBindJSONRefusesInvalidUTF8(t *testing.T) {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest("POST", "/", strings.NewReader("{\"name\":\"caf\xe9\"}"))
	c.Request.Header.Set("Content-Type", "application/json")
	var v struct{ Name string }
	if err := BindJSON(c, 1024, &v); boxoffice.ErrorCode(err) != boxoffice.EINVALID {
		t.Errorf("BindJSON = %v (name %q), want bad_request", err, v.Name)
	}
}
