package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/sale"
	"boxoffice/lua"
)

// grab is one hold request: the session, a buyer, its Idempotency-Key and
// the seats.
type grab struct {
	sid   int64
	buyer *buyer
	key   string
	seats []int64
}

// reply is a target's answer: the HTTP status (or the script's), 0 when
// nothing came back, and the order number of a 201.
type reply struct {
	status  int
	orderNo string
}

// target answers grabs; the same mix runs against each.
type target interface {
	grab(g grab) reply
}

// limitTarget calls hold.lua directly in the sale Redis: the requests of all
// the mix's buyers are batched into pipelines, pipes of them at a time (a
// cluster client splits each pipeline over the masters of its sessions).
type limitTarget struct {
	rdb   goredis.UniversalClient
	sha   string
	runs  map[int64]string // each session's server's run id (hold.lua's fence)
	calls chan *call
}

type call struct {
	g    grab
	done chan reply
}

const (
	pipes     = 8   // pipelines in flight at once
	pipeBatch = 256 // most calls in one pipeline
)

var holdScript = lua.Script("hold")

// newLimit loads hold.lua (on every master of a cluster) and starts the
// pipelines for grabs of sessions sids; stop them with close.
func newLimit(ctx context.Context, rdb goredis.UniversalClient, sids []int64) (*limitTarget, error) {
	sha, err := holdScript.Load(ctx, rdb).Result()
	if err != nil {
		return nil, err
	}
	runs, err := sale.RunIDs(ctx, rdb, sids)
	if err != nil {
		return nil, err
	}
	t := &limitTarget{rdb: rdb, sha: sha, runs: runs, calls: make(chan *call, pipes*pipeBatch)}
	for range pipes {
		go t.pipeline()
	}
	return t, nil
}

func (t *limitTarget) close() { close(t.calls) }

func (t *limitTarget) grab(g grab) reply {
	c := &call{g: g, done: make(chan reply, 1)}
	t.calls <- c
	return <-c.done
}

// pipeline sends what is waiting, up to pipeBatch calls, in one round trip.
func (t *limitTarget) pipeline() {
	ctx := context.Background()
	batch := make([]*call, 0, pipeBatch)
	for first := range t.calls {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < pipeBatch {
			select {
			case c, ok := <-t.calls:
				if !ok {
					break drain
				}
				batch = append(batch, c)
			default:
				break drain
			}
		}
		pipe := t.rdb.Pipeline()
		cmds := make([]*goredis.Cmd, len(batch))
		for i, c := range batch {
			cmds[i] = pipe.EvalSha(ctx, t.sha, sale.KeysFor(c.g.sid).Hold(c.g.buyer.id, c.g.key), holdArgs(c.g, t.runs[c.g.sid])...)
		}
		_, _ = pipe.Exec(ctx)
		for i, c := range batch {
			c.done <- scriptReply(cmds[i])
		}
	}
}

// holdArgs are hold.lua's ARGV: session, buyer, the sorted seat ids, the
// run id of the session's server, the seats.
func holdArgs(g grab, run string) []any {
	sorted := slices.Clone(g.seats)
	slices.Sort(sorted)
	canon := make([]string, len(sorted))
	for i, s := range sorted {
		canon[i] = strconv.FormatInt(s, 10)
	}
	args := []any{strconv.FormatInt(g.sid, 10), g.buyer.id, strings.Join(canon, ","), run}
	for _, s := range g.seats {
		args = append(args, s)
	}
	return args
}

func scriptReply(cmd *goredis.Cmd) reply {
	res, err := cmd.Slice()
	if err != nil || len(res) != 3 {
		return reply{}
	}
	status, _ := res[0].(int64)
	r := reply{status: int(status)}
	if r.status == http.StatusCreated {
		payload, _ := res[2].(string)
		r.orderNo = orderNo([]byte(payload))
	}
	return r
}

func orderNo(body []byte) string {
	var v struct {
		OrderNo string `json:"order_no"`
	}
	_ = json.Unmarshal(body, &v)
	return v.OrderNo
}
