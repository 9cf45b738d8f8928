//go:build integration

package sale_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/sale"
)

// biggest records the most arguments any HDEL or UNLINK was sent with.
type biggest struct {
	mu   sync.Mutex
	args int
}

func (b *biggest) see(cmds ...goredis.Cmder) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range cmds {
		if name := c.Name(); name == "hdel" || name == "unlink" {
			b.args = max(b.args, len(c.Args()))
		}
	}
}

func (b *biggest) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (b *biggest) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error { b.see(cmd); return next(ctx, cmd) }
}
func (b *biggest) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error { b.see(cmds...); return next(ctx, cmds) }
}

// A session is retired and trimmed only once it is closed, drained and
// every change of it is in MySQL; the trim deletes its hold and
// idempotency records in small batches, and its holders, and leaves what
// a grab reads.
func TestRetire(t *testing.T) {
	ctx := context.Background()
	rdb := client(t)
	p, no := oneHold(t, rdb)
	sid, k := p.Session.ID, sale.KeysFor(p.Session.ID)
	if out, err := sale.Release(ctx, rdb, no, sale.ReleaseOpts{Reason: boxoffice.ReasonCancelled}); out != sale.Released {
		t.Fatalf("release = %s %v", out, err)
	}
	// Many more ended holds and keys, so the trim takes several batches.
	for i := range 1200 {
		other := fmt.Sprintf("B%d-1-%d", sid, 1000+i)
		rdb.HSet(ctx, k.Key("holds"), other, `{"user":1,"seats":"2","amount":1,"created_at":1,"state":"RELEASED"}`)
		rdb.Set(ctx, k.Idem(1, strconv.Itoa(i)), "{}", 0)
	}
	seq, _ := rdb.Get(ctx, k.Key("eventseq")).Int64()
	retire := func(applied int64) bool {
		t.Helper()
		ok, err := sale.Retire(ctx, rdb, sid, applied)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	kept := func(why string) {
		t.Helper()
		if n, _ := rdb.HLen(ctx, k.Key("holds")).Result(); n != 1201 {
			t.Errorf("%s: %d hold records left, want all 1201", why, n)
		}
	}

	if retire(seq) {
		t.Error("a session on sale was retired")
	}
	kept("on sale")
	if err := sale.SetState(ctx, rdb, sid, boxoffice.SessionClosed); err != nil {
		t.Fatal(err)
	}
	if retire(seq) {
		t.Error("a session whose outbox the relay has not drained was retired")
	}
	kept("outbox not drained")
	rdb.Del(ctx, k.Key("outbox")) // as the relay does once Kafka has the events
	if retire(seq - 1) {
		t.Error("a session with a change MySQL has not applied was retired")
	}
	kept("MySQL behind")

	sizes := &biggest{}
	rdb.AddHook(sizes)
	if !retire(seq) {
		t.Fatal("a closed, drained session that MySQL has wholly was not retired")
	}
	if n, _ := rdb.Exists(ctx, k.Key("holds")).Result(); n != 0 {
		t.Error("hold records left after the trim")
	}
	if idem, _ := rdb.Keys(ctx, k.Key("idem:")+"*").Result(); len(idem) != 0 {
		t.Errorf("%d idempotency records left after the trim", len(idem))
	}
	if n, _ := rdb.Exists(ctx, k.Key("holders")).Result(); n != 0 {
		t.Error("the holders left after the trim")
	}
	if sizes.args > 2+500 {
		t.Errorf("one delete of the trim had %d arguments, want batches of at most 500", sizes.args)
	}
	if ok, _ := rdb.SIsMember(ctx, sale.Sessions, sid).Result(); ok {
		t.Error("the retired session is still watched")
	}
	meta := hash(t, rdb, k.Key("meta"))
	if after, _ := rdb.Get(ctx, k.Key("eventseq")).Int64(); meta["state"] != boxoffice.SessionClosed ||
		meta[sale.MetaTrimmed] != strconv.FormatInt(seq, 10) || after != seq {
		t.Errorf("meta = %v, eventseq %d; want CLOSED, trimmed at %d, the sequence kept", meta, after, seq)
	}
	if a := grab(t, rdb, sid, 1, "k1", 1); a.Status != 403 || a.Code != "sale_not_open" {
		t.Errorf("grab of a trimmed session = %+v, want 403 sale_not_open", a)
	}

	t.Run("NotLost", func(t *testing.T) {
		p.Session.State = boxoffice.SessionClosed
		mysql := []boxoffice.Hold{{OrderNo: no, SessionID: sid, UserID: 1, SeatIDs: []int64{1}, Amount: 10000,
			State: boxoffice.HoldReleased, Reason: boxoffice.ReasonCancelled}}
		run, err := sale.RunID(ctx, rdb, sid)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := sale.Recover(ctx, rdb, p, mysql, nil, seq, run, 0.001)
		if err != nil || rec.Repaired != 0 {
			t.Fatalf("recover a trimmed session = %+v %v, want nothing repaired", rec, err)
		}
		if n, _ := rdb.HLen(ctx, k.Key("holds")).Result(); n != 0 {
			t.Errorf("the recovery wrote %d hold records back into a trimmed session", n)
		}
	})
}
