package timeouts

import (
	"hash/maphash"
	"sync"

	"boxoffice/internal/boxoffice"
)

// recheckPasses is how many reconciler passes a hold that agreed with its
// order row may go without being looked up again while it does not change:
// each pass looks up the share of them whose turn it is, so what changes in
// MySQL alone (a restore from a backup) is still found.
const recheckPasses = 30

// agreed remembers, per session, the holds whose order row agreed with
// them when last looked up, by a hash of the hold as the sale Redis stores
// it: a pass decodes and looks up in MySQL only the holds that changed
// since, and those whose turn it is, not every hold of a long sale.
type agreed struct {
	mu       sync.Mutex
	seed     maphash.Seed
	sessions map[int64]*sessionMemo
}

func newAgreed() *agreed {
	return &agreed{seed: maphash.MakeSeed(), sessions: map[int64]*sessionMemo{}}
}

// sessionMemo is one session's agreed holds, by order number.
type sessionMemo struct {
	seed  maphash.Seed
	pass  uint64
	holds map[string]agreedHold
}

type agreedHold struct {
	sum     uint64 // the hold's stored value, hashed
	created int64  // Unix ms
	ended   int64  // Unix ms, 0 while in play
	final   bool   // MySQL's row is final
	seen    uint64 // the last pass that saw it
}

// begin starts a pass over session sid and returns its memo; only the
// sessions in active are kept.
func (a *agreed) begin(sid int64, active []int64) *sessionMemo {
	a.mu.Lock()
	defer a.mu.Unlock()
	keep := make(map[int64]bool, len(active))
	for _, id := range active {
		keep[id] = true
	}
	for id := range a.sessions {
		if !keep[id] {
			delete(a.sessions, id)
		}
	}
	m := a.sessions[sid]
	if m == nil {
		m = &sessionMemo{seed: a.seed, holds: map[string]agreedHold{}}
		a.sessions[sid] = m
	}
	m.pass++
	return m
}

// sum hashes a hold's stored value.
func (m *sessionMemo) sum(raw string) uint64 {
	return maphash.String(m.seed, raw)
}

// still returns what the memo knows of hold no whose stored value hashes
// to sum, when it agreed as it is and its turn to be looked up again has
// not come.
func (m *sessionMemo) still(no string, sum uint64) (agreedHold, bool) {
	h, ok := m.holds[no]
	if !ok || h.sum != sum || (m.pass+sum)%recheckPasses == 0 {
		return agreedHold{}, false
	}
	h.seen = m.pass
	m.holds[no] = h
	return h, true
}

// agree records that hold h, stored as hashed to sum, agrees with its
// order row (final: the row is final). A hold that ended while its row is
// live is not recorded: its end is on its way to MySQL, or is lost and
// must be re-sent once it is older than the grace.
func (m *sessionMemo) agree(h *boxoffice.Hold, sum uint64, final bool) {
	if h.EndedAt != 0 && !final {
		delete(m.holds, h.OrderNo)
		return
	}
	m.holds[h.OrderNo] = agreedHold{sum: sum, created: h.CreatedAt, ended: h.EndedAt, final: final, seen: m.pass}
}

// forget drops hold no: it did not agree, or has not been looked up.
func (m *sessionMemo) forget(no string) {
	delete(m.holds, no)
}

// prune drops the holds this pass did not see (the session's records
// were trimmed); call it only after a whole pass.
func (m *sessionMemo) prune() {
	for no, h := range m.holds {
		if h.seen != m.pass {
			delete(m.holds, no)
		}
	}
}
