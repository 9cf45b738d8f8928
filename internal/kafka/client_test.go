package kafka_test

import (
	"errors"
	"testing"

	kafkago "github.com/segmentio/kafka-go"

	"boxoffice/internal/kafka"
)

func TestDeadLetter(t *testing.T) {
	src := kafkago.Message{Topic: "sale-events", Partition: 3, Offset: 42}
	m := kafka.DeadLetter([]byte("k"), []byte("v"), errors.New("boom"), 5, kafka.SourceOf(src)...)
	if string(m.Key) != "k" || string(m.Value) != "v" {
		t.Errorf("key, value = %q, %q; want the original k, v", m.Key, m.Value)
	}
	for h, want := range map[string]string{kafka.HeaderError: "boom", kafka.HeaderTries: "5",
		kafka.HeaderTopic: "sale-events", kafka.HeaderPartition: "3", kafka.HeaderOffset: "42"} {
		if got := kafka.Header(m, h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
	if kafka.Header(m, kafka.HeaderFailedAt) == "" {
		t.Error("no failed_at header")
	}
}
