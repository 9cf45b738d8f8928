package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
	kafkago "github.com/segmentio/kafka-go"

	"boxoffice/internal/daemon"
	"boxoffice/internal/kafka"
	"boxoffice/internal/sale"
)

// Group is the consumer group of the relays on every outbox stream.
const Group = "relay"

// Publisher writes messages to one Kafka topic; it returns once they are
// acknowledged (a *kafkago.Writer).
type Publisher interface {
	WriteMessages(ctx context.Context, msgs ...kafkago.Message) error
}

// Relay moves outbox entries of every active session to Kafka: read
// through the consumer group, publish, and only then XACK and XDEL. An
// entry another relay read and never acknowledged is taken over once idle
// for Reclaim. One goroutine serves every session with non-blocking reads:
// sessions whose outbox had entries in the last 30 s (read by this relay
// or, seen once a second, by another) are read every round (rounds slow
// down to one per 25 ms while nothing comes), the others four times a
// second.
type Relay struct {
	RDB      goredis.UniversalClient
	Events   Publisher
	DLQ      Publisher
	Consumer string
	Batch    int
	Log      *slog.Logger
	Metrics  *Metrics
	// Durable is checked before anything is published (zero: no check).
	Durable Durable

	// Tuning; zero values get the defaults in parentheses.
	Reclaim time.Duration // idle time after which a pending entry is taken over (10 s)
	Poll    time.Duration // first wait between reads when nothing came; it doubles up to 25 ms (2 ms)

	streams map[int64]*stream
}

// stream is one session's outbox.
type stream struct {
	key   string
	ready bool      // the group exists
	last  string    // the group's last delivered id at the last refresh
	seen  time.Time // when it last had entries
}

// entry is one outbox entry read for relaying.
type entry struct {
	s  *stream
	id string
	v  map[string]any
}

const (
	hotFor      = 30 * time.Second        // a stream with entries this recent is read every round
	coldEvery   = 250 * time.Millisecond  // how often every stream is read
	refreshIdle = 250 * time.Millisecond  // how often the session list is read
	pruneEvery  = time.Minute             // how often dead consumers are removed
	pruneIdle   = time.Hour               // a consumer idle this long with nothing pending is dead
	maxBackoff  = 5 * time.Second         // longest wait between retries
	ackTimeout  = 5 * time.Second         // for acknowledging a published batch
	publishWait = 30 * time.Second        // for one Kafka write
	minBackoff  = 50 * time.Millisecond   // first wait between retries
	pollDefault = 2 * time.Millisecond    // Relay.Poll default
	pollMax     = 25 * time.Millisecond   // longest wait between two reads
	claimIdle   = 10 * time.Second        // Relay.Reclaim default
	claimEvery  = 2500 * time.Millisecond // how often idle pending entries are looked for
	checkEvery  = time.Second             // how often the sale Redis's durability is checked
	waitFor     = 200 * time.Millisecond  // longest WAIT for replicas
)

// Run relays until ctx is cancelled; a batch being published is finished
// first (or, if Kafka is down, left pending for the next relay).
func (r *Relay) Run(ctx context.Context) error {
	if r.Reclaim <= 0 {
		r.Reclaim = claimIdle
	}
	if r.Poll <= 0 {
		r.Poll = pollDefault
	}
	r.streams = map[int64]*stream{}
	var t timers
	failures, idle := 0, r.Poll
	for ctx.Err() == nil {
		batch, err := r.round(ctx, &t)
		if len(batch) > 0 {
			failures, idle = 0, r.Poll
			r.relay(ctx, batch)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			failures++
			r.retry().Failed(ctx, failures, "read outbox", err)
		case len(batch) == 0:
			failures = 0
			daemon.Sleep(ctx, idle)
			idle = min(2*idle, pollMax)
		}
	}
	return nil
}

// timers say when the periodic work of Run is due next.
type timers struct{ durable, refresh, prune, claim, sweep time.Time }

// round does the periodic work that is due and reads what there is to
// relay: entries to take over, or new entries. It reads nothing while the
// sale Redis could still lose what it would read.
func (r *Relay) round(ctx context.Context, t *timers) ([]entry, error) {
	now := time.Now()
	if now.After(t.durable) {
		if err := r.Durable.Check(ctx); err != nil {
			r.Metrics.Durable.Set(0)
			r.Log.Error("refusing to publish sale events", "err", err)
			return nil, err
		}
		r.Metrics.Durable.Set(1)
		t.durable = now.Add(checkEvery)
	}
	if now.After(t.refresh) {
		r.refresh(ctx)
		t.refresh = now.Add(refreshIdle)
	}
	if now.After(t.prune) {
		r.prune(ctx)
		t.prune = now.Add(pruneEvery)
	}
	if now.After(t.claim) {
		t.claim = now.Add(claimEvery)
		if batch, err := r.reclaim(ctx); err != nil || len(batch) > 0 {
			return batch, err
		}
	}
	all := now.After(t.sweep)
	if all {
		t.sweep = now.Add(coldEvery)
	}
	return r.read(ctx, all)
}

// refresh reads the active sessions and makes sure each has the group.
func (r *Relay) refresh(ctx context.Context) {
	ids, err := sale.ActiveSessions(ctx, r.RDB)
	if err != nil {
		r.Log.Warn("read active sessions", "err", err)
		return
	}
	active := make(map[int64]bool, len(ids))
	for _, id := range ids {
		active[id] = true
		if r.streams[id] == nil {
			r.streams[id] = &stream{key: sale.KeysFor(id).Key("outbox")}
		}
	}
	for id := range r.streams {
		if !active[id] {
			delete(r.streams, id)
		}
	}
	r.Metrics.Sessions.Set(float64(len(r.streams)))
	r.watch(ctx)
	pipe := r.RDB.Pipeline()
	cmds := map[*stream]*goredis.StatusCmd{}
	for _, s := range r.streams {
		if !s.ready {
			cmds[s] = pipe.XGroupCreateMkStream(ctx, s.key, Group, "0")
		}
	}
	if len(cmds) == 0 {
		return
	}
	_, _ = pipe.Exec(ctx)
	for s, cmd := range cmds {
		if err := cmd.Err(); err == nil || strings.HasPrefix(err.Error(), "BUSYGROUP") {
			s.ready = true
		} else {
			r.Log.Warn("create consumer group", "stream", s.key, "err", err)
		}
	}
}

// watch reads each group's last delivered id: a stream whose id moved
// since the last refresh has entries (another relay is reading them), and
// one without the group (the stream was deleted) needs it again. A group
// found is used as it is, so a relay started on a full sale Redis (which
// refuses to create one) still drains the outbox.
func (r *Relay) watch(ctx context.Context) {
	pipe := r.RDB.Pipeline()
	cmds := map[*stream]*goredis.XInfoGroupsCmd{}
	for _, s := range r.streams {
		cmds[s] = pipe.XInfoGroups(ctx, s.key)
	}
	if len(cmds) == 0 {
		return
	}
	_, _ = pipe.Exec(ctx)
	for s, cmd := range cmds {
		groups, err := cmd.Result()
		if err != nil && !strings.HasPrefix(err.Error(), "ERR no such key") {
			continue // Redis trouble: the next read reports it
		}
		i := slices.IndexFunc(groups, func(g goredis.XInfoGroup) bool { return g.Name == Group })
		if s.ready = i >= 0; !s.ready {
			continue
		}
		if id := groups[i].LastDeliveredID; id != s.last {
			if s.last != "" {
				s.seen = time.Now()
			}
			s.last = id
		}
	}
}

// read reads new entries of the hot streams, or of all when all is set.
func (r *Relay) read(ctx context.Context, all bool) ([]entry, error) {
	now := time.Now()
	var streams []*stream
	for _, s := range r.streams {
		if s.ready && (all || now.Sub(s.seen) < hotFor) {
			streams = append(streams, s)
		}
	}
	if len(streams) == 0 {
		return nil, nil
	}
	cmds := make([]*goredis.XStreamSliceCmd, len(streams))
	waited := r.Durable.Pipelined(ctx, r.RDB, keysOf(streams), func(p goredis.Pipeliner, i int) {
		cmds[i] = p.XReadGroup(ctx, &goredis.XReadGroupArgs{Group: Group, Consumer: r.Consumer,
			Streams: []string{streams[i].key, ">"}, Count: int64(r.Batch), Block: -1})
	})
	if cmds[0] == nil {
		return nil, waited // no read was sent
	}
	var out []entry
	errs := []error{waited}
	for i, cmd := range cmds {
		s := streams[i]
		res, err := cmd.Result()
		switch {
		case errors.Is(err, goredis.Nil):
		case err != nil && strings.HasPrefix(err.Error(), "NOGROUP"):
			s.ready = false // the stream was deleted: recreate the group on the next refresh
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", s.key, err))
		default:
			out = appendEntries(out, s, res)
		}
	}
	return r.unlessLost(out, errors.Join(errs...))
}

// keysOf names the streams' keys.
func keysOf(streams []*stream) []string {
	keys := make([]string, len(streams))
	for i, s := range streams {
		keys[i] = s.key
	}
	return keys
}

// unlessLost holds back entries read while a replica WAIT failed: they stay
// pending and are reclaimed (and waited for) again after Reclaim.
func (r *Relay) unlessLost(out []entry, err error) ([]entry, error) {
	if err != nil && !errors.Is(err, goredis.Nil) && len(out) > 0 {
		r.Log.Warn("outbox entries held back until replicas have them", "entries", len(out), "err", err)
		return nil, err
	}
	return out, err
}

// reclaim takes over entries pending longer than Reclaim: those of a relay
// that died, or that this one failed to acknowledge.
func (r *Relay) reclaim(ctx context.Context) ([]entry, error) {
	var streams []*stream
	for _, s := range r.streams {
		if s.ready {
			streams = append(streams, s)
		}
	}
	if len(streams) == 0 {
		return nil, nil
	}
	cmds := make([]*goredis.XAutoClaimCmd, len(streams))
	waited := r.Durable.Pipelined(ctx, r.RDB, keysOf(streams), func(p goredis.Pipeliner, i int) {
		cmds[i] = p.XAutoClaim(ctx, &goredis.XAutoClaimArgs{Stream: streams[i].key, Group: Group,
			Consumer: r.Consumer, MinIdle: r.Reclaim, Start: "0-0", Count: int64(r.Batch)})
	})
	if cmds[0] == nil {
		return nil, waited // no read was sent
	}
	var out []entry
	errs := []error{waited}
	for i, cmd := range cmds {
		s := streams[i]
		msgs, _, err := cmd.Result()
		switch {
		case err != nil && strings.HasPrefix(err.Error(), "NOGROUP"):
			s.ready = false
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", s.key, err))
		case len(msgs) > 0:
			r.Metrics.Reclaimed.Add(float64(len(msgs)))
			r.Log.Info("reclaimed pending outbox entries", "stream", s.key, "entries", len(msgs))
			out = appendEntries(out, s, []goredis.XStream{{Stream: s.key, Messages: msgs}})
		}
	}
	return r.unlessLost(out, errors.Join(errs...))
}

func appendEntries(out []entry, s *stream, res []goredis.XStream) []entry {
	for _, xs := range res {
		for _, m := range xs.Messages {
			out = append(out, entry{s: s, id: m.ID, v: m.Values})
			s.seen = time.Now()
		}
	}
	return out
}

// relay publishes a batch, dead-letters the entries that do not decode,
// and acknowledges and deletes them all. While Kafka refuses it retries
// with backoff; if ctx ends meanwhile the entries stay pending, for the
// next relay to reclaim.
func (r *Relay) relay(ctx context.Context, batch []entry) {
	start := time.Now()
	var msgs, dead []kafkago.Message
	var ats []int64
	for _, en := range batch {
		m, at, err := encode(en)
		if err != nil {
			r.Log.Warn("outbox entry does not decode: dead-lettered", "stream", en.s.key, "id", en.id, "err", err)
			raw, _ := json.Marshal(en.v)
			dead = append(dead, kafka.DeadLetter([]byte(en.id), raw, err, 1,
				kafka.HeaderStream, en.s.key, kafka.HeaderStreamID, en.id))
			continue
		}
		msgs, ats = append(msgs, m), append(ats, at)
	}
	if !r.publish(ctx, r.Events, msgs, "publish sale events") || !r.publish(ctx, r.DLQ, dead, "publish dead letters") {
		return
	}
	r.ack(ctx, batch)
	now := time.Now()
	r.Metrics.Relayed.Add(float64(len(msgs)))
	r.Metrics.DeadLetters.Add(float64(len(dead)))
	r.Metrics.Batch.Observe(now.Sub(start).Seconds())
	for _, at := range ats {
		r.Metrics.Lag.Observe(max(0, now.Sub(time.UnixMilli(at)).Seconds()))
	}
}

// encode turns an outbox entry into its Kafka message, keyed by order
// number, and returns the event's time.
func encode(en entry) (kafkago.Message, int64, error) {
	e, err := sale.EventFromStream(en.v)
	if err != nil {
		return kafkago.Message{}, 0, err
	}
	v, err := json.Marshal(e)
	if err != nil {
		return kafkago.Message{}, 0, err
	}
	return kafkago.Message{Key: []byte(e.OrderNo), Value: v,
		Headers: []kafkago.Header{{Key: "type", Value: []byte(e.Type)}}}, e.At, nil
}

// publish writes msgs until Kafka acknowledges them; false if ctx ended
// first. A write under way is finished even when ctx ends.
func (r *Relay) publish(ctx context.Context, w Publisher, msgs []kafkago.Message, what string) bool {
	for failures := 0; len(msgs) > 0; {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishWait)
		err := w.WriteMessages(wctx, msgs...)
		cancel()
		if err == nil {
			if failures > 0 {
				r.Log.Info(what+": kafka is back", "failures", failures)
			}
			return true
		}
		failures++
		r.Metrics.PublishErrors.Inc()
		if !r.retry().Failed(ctx, failures, what, err, "messages", len(msgs)) {
			r.Log.Warn(what+": stopping with the batch unpublished; it stays pending for the next relay", "messages", len(msgs))
			return false
		}
	}
	return true
}

// ack acknowledges and deletes published entries. XDEL goes first: if the
// relay dies between the two, the entry left in the pending list is
// dropped by the next XAUTOCLAIM, never published twice.
func (r *Relay) ack(ctx context.Context, batch []entry) {
	ids := map[*stream][]string{}
	for _, en := range batch {
		ids[en.s] = append(ids[en.s], en.id)
	}
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
		_, err := r.RDB.Pipelined(actx, func(p goredis.Pipeliner) error {
			for s, list := range ids {
				p.XDel(actx, s.key, list...)
				p.XAck(actx, s.key, Group, list...)
			}
			return nil
		})
		cancel()
		if err == nil {
			return
		}
		if attempt >= 5 || !daemon.Sleep(ctx, r.retry().Wait(attempt)) {
			r.Log.Error("acknowledge published entries; they will be reclaimed and published again",
				"entries", len(batch), "err", err)
			return
		}
	}
}

// prune deletes consumers idle for an hour with nothing pending: relays
// that were restarted.
func (r *Relay) prune(ctx context.Context) {
	pipe := r.RDB.Pipeline()
	cmds := map[*stream]*goredis.XInfoConsumersCmd{}
	for _, s := range r.streams {
		if s.ready {
			cmds[s] = pipe.XInfoConsumers(ctx, s.key, Group)
		}
	}
	if len(cmds) == 0 {
		return
	}
	_, _ = pipe.Exec(ctx)
	del := r.RDB.Pipeline()
	for s, cmd := range cmds {
		for _, c := range cmd.Val() {
			if c.Name != r.Consumer && c.Pending == 0 && c.Idle > pruneIdle {
				del.XGroupDelConsumer(ctx, s.key, Group, c.Name)
			}
		}
	}
	if del.Len() > 0 {
		if _, err := del.Exec(ctx); err != nil {
			r.Log.Warn("remove idle consumers", "err", err)
		}
	}
}

// retry paces the relay's retries: 50 ms doubling up to 5 s.
func (r *Relay) retry() daemon.Backoff {
	return daemon.Backoff{First: minBackoff, Max: maxBackoff, Log: r.Log}
}
