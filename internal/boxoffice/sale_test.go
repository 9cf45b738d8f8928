package boxoffice_test

import (
	"testing"
	"time"

	"boxoffice/internal/boxoffice"
)

func TestOrderSession(t *testing.T) {
	for no, want := range map[string]int64{"B12-1763720000123-5": 12, "B1-1-1": 1} {
		if got, err := boxoffice.OrderSession(no); got != want || err != nil {
			t.Errorf("OrderSession(%q) = %d, %v", no, got, err)
		}
	}
	for _, no := range []string{"", "12-1-1", "Bx-1-1", "B-1", "B0-1-1"} {
		if _, err := boxoffice.OrderSession(no); err == nil {
			t.Errorf("OrderSession(%q) accepted", no)
		}
	}
}

func TestOrderHeldAt(t *testing.T) {
	if got, want := boxoffice.OrderHeldAt("B12-1763720000123-5"), time.UnixMilli(1763720000123).UTC(); !got.Equal(want) {
		t.Errorf("OrderHeldAt = %v, want %v", got, want)
	}
	for _, no := range []string{"", "B12", "B12-x-5"} {
		if got := boxoffice.OrderHeldAt(no); !got.IsZero() {
			t.Errorf("OrderHeldAt(%q) = %v, want zero", no, got)
		}
	}
}
