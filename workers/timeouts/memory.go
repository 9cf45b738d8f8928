package timeouts

import (
	"context"

	"boxoffice/internal/sale"
)

// memoryState is what the sale Redis's memory alarms on: nearly full, or
// set up to evict or grow without bound.
type memoryState struct{ full, unsafe bool }

// WatchMemory is one reading of the sale Redis's INFO memory, every
// MemoryEvery: it sets the used/maxmemory gauge and logs a warning when
// the memory crosses into an alarm (once per crossing, not every pass),
// and when it is back.
func (s *Service) WatchMemory(ctx context.Context) error {
	m, err := sale.ReadMemory(ctx, s.rdb)
	if err != nil {
		return err
	}
	s.m.memory.Set(m.Ratio())
	now := memoryState{full: m.Full(), unsafe: m.Unsafe()}
	if now == s.memory {
		return nil
	}
	s.memory = now
	if alarms := m.Alarms(); len(alarms) > 0 {
		s.log.Warn("sale Redis memory: "+alarms[0], "alarms", alarms, "used_bytes", m.Used, "maxmemory", m.Max,
			"policy", m.Policy)
	} else {
		s.log.Info("sale Redis memory is back under its alarm", "used_bytes", m.Used, "maxmemory", m.Max)
	}
	return nil
}
