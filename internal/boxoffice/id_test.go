package boxoffice_test

import (
	"testing"

	"boxoffice/internal/boxoffice"
)

func TestParseID(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "42": 42, "9223372036854775807": 1<<63 - 1} {
		if got, ok := boxoffice.ParseID(in); !ok || got != want {
			t.Errorf("ParseID(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "0", "007", "+4", "-4", " 4", "4 ", "4.0", "1e3", "٤", "9223372036854775808",
		"99999999999999999999999"} {
		if got, ok := boxoffice.ParseID(in); ok || got != 0 {
			t.Errorf("ParseID(%q) = %d, want refused", in, got)
		}
	}
}
