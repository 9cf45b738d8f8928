package sale

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/lua"
)

// FlagConflict keeps seats out of sale for conflict c (hold.lua treats
// them as taken, the packed seat map shows them so) and on the session's
// stats until ClearConflict. MySQL keeps the record (internal/integrity).
func FlagConflict(ctx context.Context, rdb goredis.UniversalClient, sid int64, c boxoffice.Conflict, seats []int64) error {
	if len(seats) == 0 {
		return nil
	}
	args := append([]any{"flag"}, conflictFields(c, seats)...)
	if err := conflictScript.Run(ctx, rdb, conflictKeys(sid), args...).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// conflictFields are the conflict hash's fields and values for c on seats.
func conflictFields(c boxoffice.Conflict, seats []int64) []any {
	fields := make([]any, 0, 2*len(seats))
	for _, s := range seats {
		c.SeatID = s
		v, _ := json.Marshal(c)
		fields = append(fields, strconv.FormatInt(s, 10), v)
	}
	return fields
}

// RestoreConflicts makes session sid's conflict hash list exactly list
// (MySQL's open conflicts), after the sale Redis lost changes; the repair
// runs it while the session's grabs are stopped.
func RestoreConflicts(ctx context.Context, rdb goredis.UniversalClient, sid int64, list []boxoffice.Conflict) error {
	have, err := rdb.HKeys(ctx, KeysFor(sid).Key(KeyConflict)).Result()
	if err != nil {
		return unavailable(err)
	}
	open := map[int64]bool{}
	for _, c := range list {
		open[c.SeatID] = true
		if err := FlagConflict(ctx, rdb, sid, c, []int64{c.SeatID}); err != nil {
			return err
		}
	}
	for _, field := range have {
		if seat, _ := strconv.ParseInt(field, 10, 64); !open[seat] {
			if _, err := ClearConflict(ctx, rdb, sid, seat); err != nil {
				return err
			}
		}
	}
	return nil
}

var conflictScript = lua.Script("conflict")

// conflictKeys are the KEYS of conflict.lua.
func conflictKeys(sid int64) []string {
	return KeysFor(sid).keys(KeyConflict, KeySeats, KeyIndex, KeyPacked)
}

// ClearConflict puts a seat flagged by FlagConflict back on sale as it is
// in the sale Redis; it reports whether the seat was flagged.
func ClearConflict(ctx context.Context, rdb goredis.UniversalClient, sid, seat int64) (bool, error) {
	n, err := conflictScript.Run(ctx, rdb, conflictKeys(sid), "clear", seat).Int64()
	if err != nil {
		return false, unavailable(err)
	}
	return n > 0, nil
}

// conflicts decodes the conflict hash, by seat.
func conflicts(raw map[string]string) []boxoffice.Conflict {
	out := make([]boxoffice.Conflict, 0, len(raw))
	for _, v := range raw {
		var c boxoffice.Conflict
		if json.Unmarshal([]byte(v), &c) == nil {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SeatID < out[j].SeatID })
	return out
}
