package seed_test

import (
	"testing"

	"boxoffice/internal/seed"
)

func TestLayout(t *testing.T) {
	seats := seed.Layout()
	t.Run("count", func(t *testing.T) {
		if got, want := len(seats), 2000; got != want {
			t.Errorf("len(Layout()) = %d, want %d", got, want)
		}
	})
	t.Run("unique places", func(t *testing.T) {
		type place struct {
			section, row string
			number       int
		}
		seen := map[place]bool{}
		for _, s := range seats {
			p := place{s.Section, s.Row, s.Number}
			if seen[p] {
				t.Fatalf("duplicate seat %+v", p)
			}
			seen[p] = true
		}
	})
	t.Run("unique coordinates", func(t *testing.T) {
		seen := map[[2]int]bool{}
		for _, s := range seats {
			xy := [2]int{s.X, s.Y}
			if seen[xy] {
				t.Fatalf("two seats at %v", xy)
			}
			seen[xy] = true
			if s.X < 0 || s.Y <= 0 {
				t.Fatalf("seat %+v is off the map", s)
			}
		}
	})
	t.Run("tiers", func(t *testing.T) {
		got := map[string]int{}
		for _, s := range seats {
			got[s.Tier]++
		}
		want := map[string]int{seed.TierVIP: 240, seed.TierA: 920, seed.TierB: 840}
		if len(got) != len(want) {
			t.Fatalf("tiers = %v, want %v", got, want)
		}
		for code, n := range want {
			if got[code] != n {
				t.Errorf("tier %s has %d seats, want %d", code, got[code], n)
			}
		}
	})
	t.Run("rows and sections", func(t *testing.T) {
		sections, rows := map[string]bool{}, map[string]bool{}
		for _, s := range seats {
			sections[s.Section] = true
			rows[s.Row] = true
			if s.Row == "I" || s.Row == "O" {
				t.Errorf("row %q is used; want I and O skipped", s.Row)
			}
		}
		if len(sections) != 3 || len(rows) != 20 {
			t.Errorf("got %d sections and %d rows, want 3 and 20", len(sections), len(rows))
		}
	})
}
