package sale

import (
	"encoding/json"
	"slices"
)

// Codes of the packed seat map (KeyPacked): 2 bits per seat.
const (
	PackedAvailable = 0
	PackedLocked    = 1
	PackedSold      = 2
	PackedOut       = 3 // kept out of sale by an integrity conflict
)

// PackedCode is the code of a seat state ("A", "L:<order>", "S:<order>"),
// PackedOut for a seat in KeyConflict.
func PackedCode(state string, conflicted bool) byte {
	switch {
	case conflicted:
		return PackedOut
	case state == "":
		return PackedAvailable
	case state[0] == 'L':
		return PackedLocked
	case state[0] == 'S':
		return PackedSold
	}
	return PackedAvailable
}

// PackedAt reads the code of the seat at index i, as BITFIELD u2 #i does:
// four seats a byte, the first in the high bits.
func PackedAt(packed []byte, i int) byte {
	if i/4 >= len(packed) {
		return PackedAvailable
	}
	return packed[i/4] >> (6 - 2*(i%4)) & 3
}

// setPacked writes code at index i of packed.
func setPacked(packed []byte, i int, code byte) {
	shift := 6 - 2*(i%4)
	packed[i/4] = packed[i/4]&^(3<<shift) | code<<shift
}

// SeatOrder is a session's seats in their order: ascending id, as the
// session's seat map lists them.
func SeatOrder(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// orderRuns writes ordered ids as JSON runs of consecutive ids,
// [[first, count], ...] (KeyOrder).
func orderRuns(ordered []int64) string {
	runs := [][2]int64{}
	for _, id := range ordered {
		if n := len(runs); n > 0 && runs[n-1][0]+runs[n-1][1] == id {
			runs[n-1][1]++
			continue
		}
		runs = append(runs, [2]int64{id, 1})
	}
	out, _ := json.Marshal(runs)
	return string(out)
}
