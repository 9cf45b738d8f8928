package kafka

import (
	"fmt"
	"log/slog"
	"strconv"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// NewWriter returns a synchronous writer to topic, shared by the daemons
// and the tests: a write returns once every in-sync replica has the
// messages (acks=all), and a message's partition is the murmur2 hash of
// its key (the order number, as Java clients hash it), so one order's
// events stay in one partition, in order. A batch is sent after 5 ms or
// 1,000 messages per partition. log, if not nil, gets the client's errors.
func NewWriter(brokers []string, topic string, log *slog.Logger) *kafkago.Writer {
	return &kafkago.Writer{
		Addr:            kafkago.TCP(brokers...),
		Topic:           topic,
		Balancer:        &kafkago.Murmur2Balancer{},
		RequiredAcks:    kafkago.RequireAll,
		BatchSize:       1000,
		BatchBytes:      16 << 20,
		BatchTimeout:    5 * time.Millisecond,
		MaxAttempts:     3,
		WriteBackoffMin: 50 * time.Millisecond,
		WriteBackoffMax: 500 * time.Millisecond,
		ReadTimeout:     5 * time.Second,
		WriteTimeout:    5 * time.Second,
		ErrorLogger:     errorLogger(log),
	}
}

// NewReader returns a reader of topic in the consumer group that commits
// offsets only when CommitMessages is called (synchronously). A group with
// no offset starts at the oldest message. Short session and rebalance
// timeouts let a dead member's partitions move on within seconds.
func NewReader(brokers []string, topic, group string, log *slog.Logger) *kafkago.Reader {
	return kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:           brokers,
		Topic:             topic,
		GroupID:           group,
		StartOffset:       kafkago.FirstOffset,
		MinBytes:          1,
		MaxBytes:          16 << 20,
		MaxWait:           250 * time.Millisecond,
		CommitInterval:    0,
		HeartbeatInterval: time.Second,
		SessionTimeout:    6 * time.Second,
		RebalanceTimeout:  6 * time.Second,
		JoinGroupBackoff:  500 * time.Millisecond,
		ReadBackoffMin:    50 * time.Millisecond,
		ReadBackoffMax:    time.Second,
		ErrorLogger:       errorLogger(log),
	})
}

// Dead-letter headers: why a message was given up and where it came from.
const (
	HeaderError     = "error"            // the last error
	HeaderTries     = "tries"            // how many times it was tried
	HeaderFailedAt  = "failed_at"        // RFC 3339, UTC
	HeaderTopic     = "source_topic"     // for a Kafka message
	HeaderPartition = "source_partition" // for a Kafka message
	HeaderOffset    = "source_offset"    // for a Kafka message
	HeaderStream    = "source_stream"    // for an outbox entry: the stream key
	HeaderStreamID  = "source_id"        // for an outbox entry: its id
)

// DeadLetter returns the dead-letter message for the original key and
// value: the headers name the error, the tries and the source (pairs of
// header names and values, e.g. HeaderTopic, "sale-events").
func DeadLetter(key, value []byte, cause error, tries int, source ...string) kafkago.Message {
	h := []kafkago.Header{
		{Key: HeaderError, Value: []byte(cause.Error())},
		{Key: HeaderTries, Value: []byte(strconv.Itoa(tries))},
		{Key: HeaderFailedAt, Value: []byte(time.Now().UTC().Format(time.RFC3339Nano))},
	}
	for i := 0; i+1 < len(source); i += 2 {
		h = append(h, kafkago.Header{Key: source[i], Value: []byte(source[i+1])})
	}
	return kafkago.Message{Key: key, Value: value, Headers: h}
}

// SourceOf returns the dead-letter source headers of a message read from
// Kafka.
func SourceOf(m kafkago.Message) []string {
	return []string{HeaderTopic, m.Topic, HeaderPartition, strconv.Itoa(m.Partition),
		HeaderOffset, strconv.FormatInt(m.Offset, 10)}
}

// Header returns the value of m's header key, or "".
func Header(m kafkago.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// errorLogger sends the client's error messages to log at warn level.
func errorLogger(log *slog.Logger) kafkago.Logger {
	if log == nil {
		return nil
	}
	return kafkago.LoggerFunc(func(msg string, args ...any) {
		log.Warn("kafka client", "msg", fmt.Sprintf(msg, args...))
	})
}
