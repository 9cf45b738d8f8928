package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/daemon"
	"boxoffice/internal/kafka"
	"boxoffice/internal/mysql"
)

// MessageReader is a consumer-group reader (a *kafkago.Reader).
type MessageReader interface {
	FetchMessage(ctx context.Context) (kafkago.Message, error)
	CommitMessages(ctx context.Context, msgs ...kafkago.Message) error
	Close() error
}

// Publisher writes messages to one Kafka topic (a *kafkago.Writer).
type Publisher interface {
	WriteMessages(ctx context.Context, msgs ...kafkago.Message) error
}

// Consumer writes the sale events of a consumer group into MySQL: it
// fetches a batch (Batch messages or what comes within Window), applies it
// in one transaction, and commits the offsets only after the database
// commit. A batch that fails is retried, then applied a message at a time;
// a message that fails MaxTries times goes to the dead-letter topic and the
// consumer moves past it. While MySQL is down nothing is dead-lettered: the
// consumer waits for it.
//
// A message refused because its seats are still in another live order
// (mysql.ErrSeatTaken: the release that frees them travels on another
// partition and may come later) is parked: tried again with Backoff while
// the consumer goes on with the other messages, for up to ParkFor, then
// dead-lettered. Offsets of its partition from it on are committed only
// once it is settled, so a restart delivers it again.
type Consumer struct {
	Reader   MessageReader
	DLQ      Publisher
	Apply    func(ctx context.Context, events []boxoffice.SaleEvent) ([]string, error)       // outcome per event
	Ping     func(ctx context.Context) error                                                 // is MySQL up?
	Flag     func(ctx context.Context, sid int64, c boxoffice.Conflict, seats []int64) error // raises a conflict (nil: no)
	Batch    int
	MaxTries int
	Log      *slog.Logger
	Metrics  *Metrics

	// Tuning; zero values get the defaults in parentheses.
	Window  time.Duration // how long a batch waits for more messages (20 ms)
	Backoff time.Duration // first wait between retries; it doubles up to 2 s (100 ms)
	ParkFor time.Duration // how long a message refused with ErrSeatTaken is retried (30 s)

	parked []*parked         // in the order they were parked
	held   []kafkago.Message // handled, not committed: a parked message comes before them
	freed  bool              // a release was applied since the parked were last tried
}

// parked is a message waiting for its seats to be freed in MySQL.
type parked struct {
	it    item
	since time.Time
	tries int
	next  time.Time
}

// item is a fetched message and its event.
type item struct {
	m kafkago.Message
	e boxoffice.SaleEvent
}

// errStopped means ctx ended while a batch waited: it is left uncommitted.
var errStopped = errors.New("stopped before the batch was done")

const (
	batchTries   = 3                // tries of a whole batch before one at a time
	maxWait      = 2 * time.Second  // longest wait between retries
	writeTimeout = 30 * time.Second // for one dead-letter write
	pingTimeout  = 2 * time.Second
	commitWait   = 5 * time.Second // for one offset commit
	// retryPause is the pause before trying again a message that failed
	// while MySQL is up: such failures (a missing session, a seat in two
	// live orders) rarely pass later, and the whole group waits meanwhile.
	retryPause = 10 * time.Millisecond
)

// Run consumes until ctx is cancelled: the batch in hand is finished and
// committed, then the reader is closed so the group rebalances at once.
func (c *Consumer) Run(ctx context.Context) error {
	if c.Window <= 0 {
		c.Window = 20 * time.Millisecond
	}
	if c.Backoff <= 0 {
		c.Backoff = 100 * time.Millisecond
	}
	if c.ParkFor <= 0 {
		c.ParkFor = 30 * time.Second
	}
	c.Batch, c.MaxTries = max(c.Batch, 1), max(c.MaxTries, 1)
	defer c.Reader.Close()
	for failures := 0; ; {
		msgs, err := c.fetch(ctx)
		if len(msgs) > 0 {
			if c.handle(ctx, msgs) != nil {
				c.Log.Info("stopping with a batch not done; its messages go to the next member", "messages", len(msgs))
				return nil
			}
		}
		if c.retryParked(ctx) != nil {
			c.Log.Info("stopping with parked messages; they go to the next member", "messages", len(c.parked))
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			failures++
			c.retry().Failed(ctx, failures, "fetch sale events", err)
		} else {
			failures = 0
		}
	}
}

// fetch waits for a message (no longer than until a parked message is due),
// then takes what follows within Window, up to Batch.
func (c *Consumer) fetch(ctx context.Context) ([]kafkago.Message, error) {
	fctx, cancel := ctx, context.CancelFunc(func() {})
	if len(c.parked) > 0 {
		fctx, cancel = context.WithDeadline(ctx, c.nextDue())
	}
	m, err := c.Reader.FetchMessage(fctx)
	cancel()
	if err != nil && ctx.Err() == nil && fctx.Err() != nil {
		return nil, nil // a parked message is due
	}
	if err != nil {
		return nil, err
	}
	msgs := []kafkago.Message{m}
	wctx, cancel := context.WithTimeout(ctx, c.Window)
	defer cancel()
	for len(msgs) < c.Batch {
		m, err := c.Reader.FetchMessage(wctx)
		if err != nil {
			break
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// handle applies a batch and commits its offsets; errStopped if ctx ended
// while it waited for MySQL or Kafka.
func (c *Consumer) handle(ctx context.Context, msgs []kafkago.Message) error {
	start := time.Now()
	items := make([]item, 0, len(msgs))
	for _, m := range msgs {
		e, err := Decode(m.Value)
		if err != nil {
			if err := c.deadLetter(ctx, m, "unknown", err, 1); err != nil {
				return err
			}
			continue
		}
		items = append(items, item{m: m, e: e})
	}
	if err := c.applyBatch(ctx, items); err != nil {
		return err
	}
	c.commit(ctx, msgs)
	c.Metrics.BatchSize.Observe(float64(len(msgs)))
	c.Metrics.Batch.Observe(time.Since(start).Seconds())
	return nil
}

// applyBatch applies items in one transaction, retried; if that keeps
// failing, a message at a time, dead-lettering those that keep failing.
func (c *Consumer) applyBatch(ctx context.Context, items []item) error {
	if len(items) == 0 {
		return nil
	}
	if len(items) > 1 {
		for tries := 1; tries <= batchTries; tries++ {
			err := c.try(ctx, items)
			if err == nil || errors.Is(err, errStopped) {
				return err
			}
			c.Log.Warn("batch transaction failed", "messages", len(items), "tries", tries, "err", err)
			if errors.Is(err, mysql.ErrSeatTaken) {
				break // the same again: one by one, parking the message that waits
			}
		}
		c.Log.Warn("batch keeps failing: applying its messages one by one", "messages", len(items))
	}
	for _, it := range items {
		if err := c.applyOne(ctx, it); err != nil {
			return err
		}
	}
	return nil
}

// applyOne applies one message, up to MaxTries times, then dead-letters it.
func (c *Consumer) applyOne(ctx context.Context, it item) error {
	var err error
	for tries := 1; tries <= c.MaxTries; tries++ {
		if err = c.try(ctx, []item{it}); err == nil || errors.Is(err, errStopped) {
			return err
		}
		if errors.Is(err, mysql.ErrSeatTaken) {
			c.parked = append(c.parked, &parked{it: it, since: time.Now(), next: time.Now().Add(c.retry().Wait(1))})
			c.Metrics.Parked.Set(float64(len(c.parked)))
			return nil
		}
		if tries < c.MaxTries && !daemon.Sleep(ctx, retryPause) {
			return errStopped
		}
	}
	return c.deadLetter(ctx, it.m, it.e.Type, err, c.MaxTries)
}

// try applies items once, waiting out transient failures (MySQL down, a
// deadlock); it returns the first other error, or errStopped.
func (c *Consumer) try(ctx context.Context, items []item) error {
	events := make([]boxoffice.SaleEvent, len(items))
	for i, it := range items {
		events[i] = it.e
	}
	for waits := 1; ; waits++ {
		outcomes, err := c.Apply(context.WithoutCancel(ctx), events)
		if err == nil {
			c.record(ctx, events, outcomes)
			return nil
		}
		if !c.transient(ctx, err) {
			c.Metrics.Retries.WithLabelValues("failed").Inc()
			return err
		}
		c.Metrics.Retries.WithLabelValues("transient").Inc()
		if !c.retry().Failed(ctx, waits, "mysql unavailable: waiting, nothing is dead-lettered meanwhile", err) {
			return errStopped
		}
	}
}

// transient reports whether err is MySQL being unavailable rather than
// the events being wrong: a connection error, a deadlock or lock wait
// timeout, or any error while MySQL does not answer a ping.
func (c *Consumer) transient(ctx context.Context, err error) bool {
	if mysql.Unavailable(err) {
		return true
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pingTimeout)
	defer cancel()
	return c.Ping(pctx) != nil
}

// conflicts are the outcomes where an event contradicts its order's row:
// the conflict's kind and the row's side.
var conflicts = map[string][2]string{
	mysql.EventReleaseOfPaid:   {boxoffice.ConflictReleaseOfPaid, "the order is PAID"},
	mysql.EventSaleOfCancelled: {boxoffice.ConflictSaleOfCancelled, "the order is cancelled"},
}

// record counts the outcomes and, for new orders, the hold → row lag, and
// raises the conflicts.
func (c *Consumer) record(ctx context.Context, events []boxoffice.SaleEvent, outcomes []string) {
	now := time.Now()
	for i, e := range events {
		if k, ok := conflicts[outcomes[i]]; ok {
			c.conflict(ctx, e, k[0], k[1])
		}
		c.Metrics.Events.WithLabelValues(e.Type, outcomes[i]).Inc()
		c.freed = c.freed || e.Type == boxoffice.EventHoldReleased
		if e.Type == boxoffice.EventHoldCreated && outcomes[i] == mysql.EventInserted {
			c.Metrics.Lag.Observe(max(0, now.Sub(time.UnixMilli(e.At)).Seconds()))
		}
	}
}

// retryParked tries the parked messages that are due (all of them after a
// release was applied) once each; one that
// passes, or has waited ParkFor and is dead-lettered, is settled and its
// partition's held offsets committed.
func (c *Consumer) retryParked(ctx context.Context) error {
	if len(c.parked) == 0 {
		return nil
	}
	var keep []*parked
	for i, p := range c.parked {
		if !c.freed && time.Now().Before(p.next) {
			keep = append(keep, p)
			continue
		}
		p.tries++
		err := c.try(ctx, []item{p.it})
		if errors.Is(err, mysql.ErrSeatTaken) && time.Since(p.since) < c.ParkFor {
			p.next = time.Now().Add(c.retry().Wait(p.tries + 1))
			keep = append(keep, p)
			continue
		}
		if errors.Is(err, mysql.ErrSeatTaken) {
			c.conflict(ctx, p.it.e, boxoffice.ConflictSeatTaken, "its seats are still in another live order")
		}
		if err != nil && !errors.Is(err, errStopped) {
			err = c.deadLetter(ctx, p.it.m, p.it.e.Type, err, p.tries+1)
		}
		if err != nil {
			c.parked = append(keep, c.parked[i:]...)
			return err
		}
	}
	c.parked, c.freed = keep, false
	c.Metrics.Parked.Set(float64(len(keep)))
	c.commit(ctx, nil)
	return nil
}

// nextDue is when the first parked message is next due.
func (c *Consumer) nextDue() time.Time {
	due := c.parked[0].next
	for _, p := range c.parked[1:] {
		if p.next.Before(due) {
			due = p.next
		}
	}
	return due
}

// blocked reports whether a parked message comes at or before m on its partition.
func (c *Consumer) blocked(m kafkago.Message) bool {
	for _, p := range c.parked {
		if p.it.m.Topic == m.Topic && p.it.m.Partition == m.Partition && p.it.m.Offset <= m.Offset {
			return true
		}
	}
	return false
}

// conflict raises e's disagreement with MySQL (Flag: recorded, its seats
// kept out of sale until an admin settles it, counted and logged once),
// retrying while a store is down.
func (c *Consumer) conflict(ctx context.Context, e boxoffice.SaleEvent, kind, mysqlSide string) {
	conf := boxoffice.Conflict{Kind: kind, OrderNo: e.OrderNo,
		Detail: fmt.Sprintf("sale Redis: %s of order %s, seats %v; MySQL: %s", e.Type, e.OrderNo, e.SeatIDs, mysqlSide)}
	for failures := 1; c.Flag != nil; failures++ {
		err := c.Flag(context.WithoutCancel(ctx), e.SessionID, conf, e.SeatIDs)
		if err == nil || !c.retry().Failed(ctx, failures, "record an integrity conflict", err) {
			return
		}
	}
}

// deadLetter sends m to the dead-letter topic (its original key and value;
// headers naming the error and the source partition and offset), retrying
// while Kafka refuses.
func (c *Consumer) deadLetter(ctx context.Context, m kafkago.Message, typ string, cause error, tries int) error {
	dl := kafka.DeadLetter(m.Key, m.Value, cause, tries, kafka.SourceOf(m)...)
	for failures := 1; ; failures++ {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
		err := c.DLQ.WriteMessages(wctx, dl)
		cancel()
		if err == nil {
			c.Metrics.DeadLetters.Inc()
			c.Metrics.Events.WithLabelValues(typ, "dead_lettered").Inc()
			c.Log.Warn("sale event dead-lettered", "key", string(m.Key), "partition", m.Partition,
				"offset", m.Offset, "tries", tries, "err", cause)
			return nil
		}
		if !c.retry().Failed(ctx, failures, "write dead letter", err) {
			return errStopped
		}
	}
}

// commit commits the offsets of msgs and of those held before, except
// where a parked message comes first on their partition: those are held
// again. It commits once: a commit that fails (a rebalance, Kafka down) is
// harmless, the messages come again and change nothing, while a commit
// retried into a later generation could carry offsets of a broker that
// lost its data.
func (c *Consumer) commit(ctx context.Context, msgs []kafkago.Message) {
	var ready, held []kafkago.Message
	for _, m := range append(c.held, msgs...) {
		if c.blocked(m) {
			held = append(held, m)
		} else {
			ready = append(ready, m)
		}
	}
	c.held = held
	if len(ready) == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitWait)
	defer cancel()
	if err := c.Reader.CommitMessages(cctx, ready...); err != nil {
		c.Log.Warn("commit offsets; the batch will be delivered again (harmless)", "messages", len(ready), "err", err)
	}
}

// Decode parses a sale event and checks it has what the order writer needs.
func Decode(value []byte) (boxoffice.SaleEvent, error) {
	var e boxoffice.SaleEvent
	if err := json.Unmarshal(value, &e); err != nil {
		return e, fmt.Errorf("not a sale event: %w", err)
	}
	switch {
	case e.Type != boxoffice.EventHoldCreated && e.Type != boxoffice.EventHoldReleased && e.Type != boxoffice.EventHoldSold:
		return e, fmt.Errorf("sale event of unknown type %q", e.Type)
	case e.OrderNo == "" || len(e.OrderNo) > 40:
		return e, fmt.Errorf("sale event with order number %q", e.OrderNo)
	case e.SessionID <= 0 || e.UserID <= 0 || e.AmountCents < 0 || e.At <= 0:
		return e, fmt.Errorf("sale event %s lacks session, user, amount or time", e.OrderNo)
	case e.Type == boxoffice.EventHoldCreated && (len(e.SeatIDs) == 0 || e.ExpiresAt <= 0):
		return e, fmt.Errorf("hold.created %s lacks seats or expiry", e.OrderNo)
	}
	return e, nil
}

// retry paces the consumer's retries: Backoff doubling up to 2 s.
func (c *Consumer) retry() daemon.Backoff {
	return daemon.Backoff{First: c.Backoff, Max: maxWait, Log: c.Log}
}
