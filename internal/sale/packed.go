package sale

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/lua"
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

var packRebuild = lua.Script("pack_rebuild")

// Unpacked returns the sessions of sids that have no seat order, so no
// packed seat map the edge can read: armed by a version without them.
func Unpacked(ctx context.Context, rdb *goredis.Client, sids []int64) ([]int64, error) {
	if len(sids) == 0 {
		return nil, nil
	}
	pipe := rdb.Pipeline()
	have := make([]*goredis.IntCmd, len(sids))
	for i, sid := range sids {
		have[i] = pipe.Exists(ctx, KeysFor(sid).Key(KeyOrder))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, unavailable(err)
	}
	var out []int64
	for i, sid := range sids {
		if have[i].Val() == 0 {
			out = append(out, sid)
		}
	}
	return out, nil
}

// RebuildPacked gives session sid the packed seat map, its index and seat
// order if it has no seat order (see Unpacked). It writes the index (from then on every seat script packs
// the seats it changes), then pack_rebuild.lua builds the map from the
// live seats and writes the order, in one call. It reports whether it
// built the map; a session with no seats in the sale Redis gets none.
func RebuildPacked(ctx context.Context, rdb *goredis.Client, sid int64) (bool, error) {
	k := KeysFor(sid)
	fields, err := rdb.HKeys(ctx, k.Key(KeySeats)).Result()
	if err != nil {
		return false, unavailable(err)
	}
	if len(fields) == 0 {
		return false, nil
	}
	ids := make([]int64, len(fields))
	for i, f := range fields {
		if ids[i], err = strconv.ParseInt(f, 10, 64); err != nil {
			return false, fmt.Errorf("session %d: seat id %q: %w", sid, f, err)
		}
	}
	order := SeatOrder(ids)
	pipe := rdb.Pipeline()
	for start := 0; start < len(order); start += batch {
		idx := make([]any, 0, 2*batch)
		for i, id := range order[start:min(start+batch, len(order))] {
			idx = append(idx, id, start+i)
		}
		pipe.HSet(ctx, k.Key(KeyIndex), idx...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return false, unavailable(err)
	}
	built, err := packRebuild.Run(ctx, rdb, k.keys(KeySeats, KeyConflict, KeyIndex, KeyPacked, KeyOrder),
		orderRuns(order)).Int()
	if err != nil {
		return false, unavailable(err)
	}
	return built == 1, nil
}
