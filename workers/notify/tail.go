package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"boxoffice/internal/daemon"
)

// Tail reads every partition of a topic from its end, without a consumer
// group: every notify process must see every event, and none needs to
// remember where it was (streams start live). One reader per partition
// (StartOffset is only for groups, so each seeks to LastOffset), no
// group to join, so events flow as soon as the daemon starts, and no
// abandoned group is left in the cluster per restart.
//
// Every Check it lists the topic's partitions and their ends: it starts
// readers for new partitions, and moves a reader that is past its
// partition's end (the log was recreated, as an in-memory dev broker is
// when restarted) back to the end, where kafka-go would otherwise wait for
// the log to grow to its old offset.
type Tail struct {
	Brokers []string
	Topic   string
	Handle  func(kafkago.Message) // called from one goroutine per partition
	Log     *slog.Logger
	Check   time.Duration // how often partitions are re-listed (10 s)

	client  *kafkago.Client
	readers map[int]*kafkago.Reader
}

// Run reads until ctx ends, then closes its readers.
func (t *Tail) Run(ctx context.Context) error {
	t.client = &kafkago.Client{Addr: kafkago.TCP(t.Brokers...), Timeout: 5 * time.Second}
	t.readers = map[int]*kafkago.Reader{}
	var wg sync.WaitGroup
	defer func() {
		for _, r := range t.readers { // at once: each may wait out a fetch
			wg.Go(func() { r.Close() })
		}
		wg.Wait()
	}()
	for {
		if err := t.sync(ctx, &wg); err != nil && ctx.Err() == nil {
			t.Log.Warn("cannot list the topic's partitions", "topic", t.Topic, "err", err)
		}
		if !daemon.Sleep(ctx, orDefault(t.Check, 10*time.Second)) {
			return nil
		}
	}
}

// sync starts a reader for each new partition and rewinds readers that
// are past their partition's end. Offsets are read before the ends: a
// reader's offset never passes the end of a log that was not recreated.
func (t *Tail) sync(ctx context.Context, wg *sync.WaitGroup) error {
	offsets := make(map[int]int64, len(t.readers))
	for p, r := range t.readers {
		offsets[p] = r.Offset()
	}
	ends, err := t.ends(ctx)
	if err != nil {
		return err
	}
	for p, end := range ends {
		r, ok := t.readers[p]
		if !ok {
			r = t.newReader(p)
			t.readers[p] = r
			wg.Add(1)
			go func() { defer wg.Done(); t.read(ctx, r) }()
			continue
		}
		if off := offsets[p]; off > end {
			t.Log.Warn("reader is past the partition's end: the log was recreated; moving to its end",
				"partition", p, "offset", off, "end", end)
			_ = r.SetOffset(kafkago.LastOffset)
		}
	}
	return nil
}

// ends returns each partition's end offset (the next offset written).
func (t *Tail) ends(ctx context.Context) (map[int]int64, error) {
	meta, err := t.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{t.Topic}})
	if err != nil {
		return nil, err
	}
	if len(meta.Topics) != 1 || meta.Topics[0].Error != nil {
		return nil, fmt.Errorf("topic %s: %w", t.Topic, topicErr(meta))
	}
	var reqs []kafkago.OffsetRequest
	for _, p := range meta.Topics[0].Partitions {
		reqs = append(reqs, kafkago.LastOffsetOf(p.ID))
	}
	res, err := t.client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{
		Topics: map[string][]kafkago.OffsetRequest{t.Topic: reqs}})
	if err != nil {
		return nil, err
	}
	ends := map[int]int64{}
	for _, po := range res.Topics[t.Topic] {
		if po.Error == nil {
			ends[po.Partition] = po.LastOffset
		}
	}
	return ends, nil
}

func topicErr(meta *kafkago.MetadataResponse) error {
	if len(meta.Topics) == 0 {
		return errors.New("not found")
	}
	return meta.Topics[0].Error
}

func (t *Tail) newReader(p int) *kafkago.Reader {
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:        t.Brokers,
		Topic:          t.Topic,
		Partition:      p,
		MinBytes:       1,
		MaxBytes:       4 << 20,
		MaxWait:        250 * time.Millisecond,
		ReadBackoffMin: 50 * time.Millisecond,
		ReadBackoffMax: time.Second,
		ErrorLogger: kafkago.LoggerFunc(func(msg string, args ...any) {
			t.Log.Warn("kafka client", "msg", fmt.Sprintf(msg, args...))
		}),
	})
	_ = r.SetOffset(kafkago.LastOffset) // before the first read: cannot fail
	return r
}

// read hands each message of one partition to Handle until ctx ends.
func (t *Tail) read(ctx context.Context, r *kafkago.Reader) {
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return
			}
			t.Log.Warn("kafka read failed", "partition", r.Config().Partition, "err", err)
			if !daemon.Sleep(ctx, time.Second) {
				return
			}
			continue
		}
		t.Handle(m)
	}
}
