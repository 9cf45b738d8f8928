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

// Kinds of conflict between MySQL and the sale Redis.
const (
	ConflictReleaseOfPaid   = "release_of_paid"   // Redis released a hold MySQL has PAID
	ConflictSaleOfCancelled = "sale_of_cancelled" // Redis sold a hold MySQL has cancelled
	ConflictSeatTaken       = "seat_taken"        // Redis held a seat MySQL still gives to another live order
)

// Conflict is a seat kept out of sale until an admin settles a
// disagreement about it.
type Conflict struct {
	SeatID  int64  `json:"seat_id"`
	Kind    string `json:"kind"`
	OrderNo string `json:"order_no"` // the order of the sale event that disagreed
	Detail  string `json:"detail"`   // both sides, for a person
	At      int64  `json:"at"`       // unix ms it was found
}

// FlagConflict keeps c's seats out of sale (hold.lua treats them as taken)
// and on the session's stats until ClearConflict.
func FlagConflict(ctx context.Context, rdb *goredis.Client, sid int64, c Conflict, seats []int64) error {
	if len(seats) == 0 {
		return nil
	}
	args := make([]any, 0, 1+2*len(seats))
	args = append(args, "flag")
	for _, s := range seats {
		c.SeatID = s
		v, _ := json.Marshal(c)
		args = append(args, strconv.FormatInt(s, 10), v)
	}
	if err := conflictScript.Run(ctx, rdb, conflictKeys(sid), args...).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

var conflictScript = lua.Script("conflict")

// conflictKeys are the KEYS of conflict.lua.
func conflictKeys(sid int64) []string {
	return KeysFor(sid).keys(KeyConflict, KeySeats, KeyIndex, KeyPacked)
}

// ClearConflict puts a seat flagged by FlagConflict back on sale as it is
// in the sale Redis; ENOTFOUND if it is not flagged.
func ClearConflict(ctx context.Context, rdb *goredis.Client, sid, seat int64) error {
	n, err := conflictScript.Run(ctx, rdb, conflictKeys(sid), "clear", seat).Int64()
	if err != nil {
		return unavailable(err)
	}
	if n == 0 {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "seat %d of session %d has no conflict", seat, sid)
	}
	return nil
}

// conflicts decodes the conflict hash, by seat.
func conflicts(raw map[string]string) []Conflict {
	out := make([]Conflict, 0, len(raw))
	for _, v := range raw {
		var c Conflict
		if json.Unmarshal([]byte(v), &c) == nil {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SeatID < out[j].SeatID })
	return out
}
