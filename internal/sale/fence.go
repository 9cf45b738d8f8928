package sale

import (
	"context"
	"errors"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// MetaVerified is the meta field that fences a session after a sale-Redis
// restart: the run id of the server whose data of the session was built
// from MySQL (Arm) or checked against it (Recover). Every start gives the
// server a new run id, so a session it brought back from disk, or from a
// replica, is unverified: grabs answer 503 recovering (hold.lua compares
// it with the run id the caller read on its connection) until timeouts has
// checked it.
const MetaVerified = "verified"

// RunID reads the sale Redis server's run id.
func RunID(ctx context.Context, rdb *goredis.Client) (string, error) {
	info, err := rdb.Info(ctx, "server").Result()
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
