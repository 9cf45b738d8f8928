package sale

import (
	"context"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/lua"
)

var setState = lua.Script("set_state")

// SetState sets the sale state of an armed session. It returns ECONFLICT
// if the session is not armed in the sale Redis, EUNAVAILABLE if Redis is down.
func SetState(ctx context.Context, rdb goredis.UniversalClient, id int64, state string) error {
	ok, err := setState.Run(ctx, rdb, []string{KeysFor(id).Key("meta")}, state).Int()
	if err != nil {
		return unavailable(err)
	}
	if ok == 0 {
		return boxoffice.Errorf(boxoffice.ECONFLICT, "session %d is not armed in the sale Redis; arm it again", id)
	}
	return nil
}

// TierStats counts a tier's seats by state.
type TierStats struct {
	Available int64 `json:"available"`
	Held      int64 `json:"held"`
	Sold      int64 `json:"sold"`
}

// Stats is a session's live state in the sale Redis.
type Stats struct {
	State        string               `json:"state"`
	Version      int64                `json:"version"`
	SoldOut      bool                 `json:"sold_out"`
	Tiers        map[string]TierStats `json:"tiers"`
	Total        TierStats            `json:"total"`
	Reservations int64                `json:"reservations"`
	Conflicts    []boxoffice.Conflict `json:"conflicts"` // seats kept out of sale, by seat
}

// LiveStats reads the counters of session id; ENOTFOUND if it is not armed.
func LiveStats(ctx context.Context, rdb goredis.UniversalClient, id int64) (*Stats, error) {
	k := KeysFor(id)
	pipe := rdb.Pipeline()
	meta := pipe.HMGet(ctx, k.Key("meta"), "state", "version")
	counts := pipe.HGetAll(ctx, k.Key("counts"))
	reserved := pipe.SCard(ctx, k.Key("reserved"))
	soldout := pipe.Exists(ctx, k.Key("soldout"))
	conflict := pipe.HGetAll(ctx, k.Key(KeyConflict))
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, unavailable(err)
	}
	state, _ := meta.Val()[0].(string)
	if state == "" {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "session %d is not armed", id)
	}
	version, _ := strconv.ParseInt(asString(meta.Val()[1]), 10, 64)
	st := &Stats{State: state, Version: version, SoldOut: soldout.Val() == 1,
		Tiers: map[string]TierStats{}, Reservations: reserved.Val(), Conflicts: conflicts(conflict.Val())}
	for field, v := range counts.Val() {
		kind, tier, ok := strings.Cut(field, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		t := st.Tiers[tier]
		switch kind {
		case "avail":
			t.Available, st.Total.Available = n, st.Total.Available+n
		case "locked":
			t.Held, st.Total.Held = n, st.Total.Held+n
		case "sold":
			t.Sold, st.Total.Sold = n, st.Total.Sold+n
		}
		st.Tiers[tier] = t
	}
	return st, nil
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}
