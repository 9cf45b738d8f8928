package sale

import (
	"context"
	"errors"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/redis"
)

// MetaVerified is the meta field that fences a session after a sale-Redis
// restart: the run id of the server whose data of the session was built
// from MySQL (Arm) or checked against it (Recover). Every start gives the
// server a new run id, so a session it brought back from disk, or from a
// replica, is unverified: grabs answer 503 recovering (hold.lua compares
// it with the run id the caller read on its connection) until timeouts has
// checked it.
const MetaVerified = "verified"

// RunID reads the run id of the sale Redis server that holds session sid
// (its cluster master, or the one server).
func RunID(ctx context.Context, rdb goredis.UniversalClient, sid int64) (string, error) {
	runs, err := RunIDs(ctx, rdb, []int64{sid})
	if err != nil {
		return "", err
	}
	return runs[sid], nil
}

// RunIDs reads the run id of the server of each session of sids, asking
// each server once.
func RunIDs(ctx context.Context, rdb goredis.UniversalClient, sids []int64) (map[int64]string, error) {
	byNode := map[string]string{}
	out := make(map[int64]string, len(sids))
	for _, sid := range sids {
		node, err := redis.NodeFor(ctx, rdb, KeysFor(sid).Key("meta"))
		if err != nil {
			return nil, unavailable(err)
		}
		addr := node.Options().Addr
		if _, ok := byNode[addr]; !ok {
			if byNode[addr], err = runID(ctx, node); err != nil {
				return nil, err
			}
		}
		out[sid] = byNode[addr]
	}
	return out, nil
}

func runID(ctx context.Context, node *goredis.Client) (string, error) {
	info, err := node.Info(ctx, "server").Result()
	if err != nil {
		return "", unavailable(err)
	}
	for line := range strings.Lines(info) {
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "run_id:"); ok {
			return id, nil
		}
	}
	return "", unavailable(errors.New("the sale Redis's INFO server has no run_id"))
}
