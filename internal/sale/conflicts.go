package sale

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
)

// FlagConflict keeps seats out of sale for conflict c (hold.lua treats
// them as taken) and on the session's stats until ClearConflict. MySQL
// keeps the record (internal/integrity).
func FlagConflict(ctx context.Context, rdb *goredis.Client, sid int64, c boxoffice.Conflict, seats []int64) error {
	if len(seats) == 0 {
		return nil
	}
	if err := rdb.HSet(ctx, KeysFor(sid).Key(KeyConflict), conflictFields(c, seats)...).Err(); err != nil {
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
// (MySQL's open conflicts), after the sale Redis lost changes.
func RestoreConflicts(ctx context.Context, rdb *goredis.Client, sid int64, list []boxoffice.Conflict) error {
	key := KeysFor(sid).Key(KeyConflict)
	pipe := rdb.TxPipeline()
	pipe.Del(ctx, key)
	for _, c := range list {
		pipe.HSet(ctx, key, conflictFields(c, []int64{c.SeatID})...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return unavailable(err)
	}
	return nil
}

// ClearConflict puts a seat flagged by FlagConflict back on sale as it is
// in the sale Redis; it reports whether the seat was flagged.
func ClearConflict(ctx context.Context, rdb *goredis.Client, sid, seat int64) (bool, error) {
	n, err := rdb.HDel(ctx, KeysFor(sid).Key(KeyConflict), strconv.FormatInt(seat, 10)).Result()
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
