package boxoffice_test

import (
	"testing"

	"boxoffice/internal/boxoffice"
)

func TestParsePhone(t *testing.T) {
	ok := map[string]string{
		"13800138000":     "13800138000",
		"+8613800138000":  "13800138000",
		"138 0013 8000":   "13800138000",
		"+447700900123":   "+447700900123",
		"+1-415-555-2671": "+14155552671",
		"19912345678":     "19912345678",
	}
	for in, want := range ok {
		if got, err := boxoffice.ParsePhone(in); err != nil || got != want {
			t.Errorf("ParsePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "12800138000", "1380013800", "138001380000", "+0123456789", "+12", "abc", "+86 12345", "1380013800x", "++8613800138000",
		"+86+8613800138000", "+86 +86 138 0013 8000", "+86+447700900123", "+86+86+8613800138000"} {
		if _, err := boxoffice.ParsePhone(in); boxoffice.ErrorCode(err) != boxoffice.EINVALID {
			t.Errorf("ParsePhone(%q) = %v, want bad_request", in, err)
		}
	}
}
