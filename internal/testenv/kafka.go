package testenv

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"boxoffice/internal/kafka"
)

// KafkaWriter returns a writer to topic on the test stack's Kafka (the
// daemons' own construction); it is closed when the test ends.
func KafkaWriter(tb testing.TB, topic string) *kafkago.Writer {
	tb.Helper()
	w := kafka.NewWriter(Config(tb).KafkaBrokers, topic, nil)
	tb.Cleanup(func() { w.Close() })
	return w
}

// Publish writes msgs to topic and fails the test if Kafka refuses them.
func Publish(tb testing.TB, topic string, msgs ...kafkago.Message) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := KafkaWriter(tb, topic).WriteMessages(ctx, msgs...); err != nil {
		tb.Fatalf("publish %d messages to %s: %v", len(msgs), topic, err)
	}
}

// KafkaTail reads what is written to a topic after the tail was made,
// from every partition, without a consumer group.
type KafkaTail struct {
	brokers []string
	topic   string
	start   map[int]int64 // partition → its end when the tail was made
}

// NewKafkaTail marks the current end of every partition of topic.
func NewKafkaTail(tb testing.TB, topic string) *KafkaTail {
	tb.Helper()
	cfg := Config(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	k := &KafkaTail{brokers: cfg.KafkaBrokers, topic: topic, start: map[int]int64{}}
	conn, err := kafkago.DialContext(ctx, "tcp", cfg.KafkaBrokers[0])
	if err != nil {
		tb.Fatalf("dial kafka: %v", err)
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions(topic)
	if err != nil {
		tb.Fatalf("partitions of %s: %v", topic, err)
	}
	for _, p := range parts {
		lc, err := kafkago.DialLeader(ctx, "tcp", cfg.KafkaBrokers[0], topic, p.ID)
		if err != nil {
			tb.Fatalf("dial leader of %s/%d: %v", topic, p.ID, err)
		}
		last, err := lc.ReadLastOffset()
		lc.Close()
		if err != nil {
			tb.Fatalf("end of %s/%d: %v", topic, p.ID, err)
		}
		k.start[p.ID] = last
	}
	return k
}

// Partitions returns the topic's partition count.
func (k *KafkaTail) Partitions() int { return len(k.start) }

// Read passes every message written since the tail was made to see (one
// at a time, partitions interleaved) until see returns true or within
// passes; it reports whether see returned true.
func (k *KafkaTail) Read(tb testing.TB, within time.Duration, see func(kafkago.Message) bool) bool {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var mu sync.Mutex
	found := false
	var wg sync.WaitGroup
	for p, off := range k.start {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: k.brokers, Topic: k.topic, Partition: p,
				MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 100 * time.Millisecond})
			defer r.Close()
			if err := r.SetOffset(off); err != nil {
				tb.Errorf("seek %s/%d: %v", k.topic, p, err)
				return
			}
			for {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
						tb.Errorf("read %s/%d: %v", k.topic, p, err)
					}
					return
				}
				mu.Lock()
				if !found && see(m) {
					found = true
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return found
}
