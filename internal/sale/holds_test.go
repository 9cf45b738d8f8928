package sale_test

import (
	"testing"
	"time"

	"boxoffice/internal/sale"
)

func TestSessionOf(t *testing.T) {
	for no, want := range map[string]int64{"B12-1763720000123-5": 12, "B1-1-1": 1} {
		if got, err := sale.SessionOf(no); got != want || err != nil {
			t.Errorf("SessionOf(%q) = %d, %v", no, got, err)
		}
	}
	for _, no := range []string{"", "12-1-1", "Bx-1-1", "B-1", "B0-1-1"} {
		if _, err := sale.SessionOf(no); err == nil {
			t.Errorf("SessionOf(%q) accepted", no)
		}
	}
}

func TestHeldAt(t *testing.T) {
	if got, want := sale.HeldAt("B12-1763720000123-5"), time.UnixMilli(1763720000123).UTC(); !got.Equal(want) {
		t.Errorf("HeldAt = %v, want %v", got, want)
	}
	for _, no := range []string{"", "B12", "B12-x-5"} {
		if got := sale.HeldAt(no); !got.IsZero() {
			t.Errorf("HeldAt(%q) = %v, want zero", no, got)
		}
	}
}
