package timeouts

import (
	"testing"

	"boxoffice/internal/boxoffice"
)

// A hold that agreed is skipped while its stored value is the same, looked
// up again once in every recheckPasses passes, and at once when it changes.
func TestAgreedHoldSkippedUntilItChangesOrItsTurn(t *testing.T) {
	a := newAgreed()
	h := &boxoffice.Hold{OrderNo: "B1-1-1", CreatedAt: 100, State: boxoffice.HoldLocked}
	raw := `{"state":"LOCKED"}`
	m := a.begin(1, []int64{1})
	m.agree(h, m.sum(raw), false)

	skipped := 0
	for range recheckPasses {
		m = a.begin(1, []int64{1})
		got, ok := m.still(h.OrderNo, m.sum(raw))
		if !ok {
			m.agree(h, m.sum(raw), false) // looked up again, still agrees
			continue
		}
		skipped++
		if got.created != 100 || got.final {
			t.Fatalf("still = %+v, want created 100, not final", got)
		}
	}
	if skipped != recheckPasses-1 {
		t.Errorf("skipped %d of %d passes, want all but one", skipped, recheckPasses)
	}
	if _, ok := m.still(h.OrderNo, m.sum(`{"state":"SOLD"}`)); ok {
		t.Error("a hold whose value changed was skipped")
	}
}

// A hold that ended while its row is live is not remembered: its end must
// reach MySQL, or be re-sent.
func TestEndedHoldWithLiveRowNotRemembered(t *testing.T) {
	a := newAgreed()
	m := a.begin(1, []int64{1})
	h := &boxoffice.Hold{OrderNo: "B1-1-2", CreatedAt: 100, EndedAt: 200, State: boxoffice.HoldSold}
	m.agree(h, m.sum("x"), false)
	if _, ok := m.holds[h.OrderNo]; ok {
		t.Error("an ended hold with a live row was remembered")
	}
	m.agree(h, m.sum("x"), true)
	if got, ok := m.holds[h.OrderNo]; !ok || !got.final || got.ended != 200 {
		t.Errorf("an ended hold with a final row = %+v, %v; want remembered as final", got, ok)
	}
}

// Holds no longer stored, and sessions no longer active, are dropped.
func TestAgreedPruned(t *testing.T) {
	a := newAgreed()
	m := a.begin(1, []int64{1, 2})
	m.agree(&boxoffice.Hold{OrderNo: "gone", CreatedAt: 1}, 1, true)
	a.begin(2, []int64{1, 2})
	m = a.begin(1, []int64{1, 2})
	m.prune()
	if len(m.holds) != 0 {
		t.Errorf("holds after a pass that saw none: %v", m.holds)
	}
	a.begin(1, []int64{1})
	if _, ok := a.sessions[2]; ok {
		t.Error("a session no longer active is still remembered")
	}
}
