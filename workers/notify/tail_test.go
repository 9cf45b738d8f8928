package notify_test

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"boxoffice/internal/kafka"
	"boxoffice/workers/notify"
)

// startBroker starts an in-memory broker on port with topic t (2 partitions).
func startBroker(t *testing.T, port int) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.Ports(port), kfake.SeedTopics(2, "t"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// writeUntilSeen writes prefix-N messages, one every 100 ms, at most max,
// until the tail hands one of them over; it reports whether it did.
func writeUntilSeen(t *testing.T, addr, prefix string, max int, seen <-chan string) bool {
	t.Helper()
	w := kafka.NewWriter([]string{addr}, "t", nil)
	defer w.Close()
	for i := range max {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := w.WriteMessages(ctx, kafkago.Message{Key: []byte(strconv.Itoa(i)), Value: []byte(prefix + strconv.Itoa(i))})
		cancel()
		if err != nil {
			t.Logf("write: %v", err)
		}
		if waitSeen(seen, prefix, 100*time.Millisecond) {
			return true
		}
	}
	return false
}

// waitSeen reports whether a message with the prefix comes within d.
func waitSeen(seen <-chan string, prefix string, d time.Duration) bool {
	deadline := time.After(d)
	for {
		select {
		case v := <-seen:
			if strings.HasPrefix(v, prefix) {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

// The tail reads live messages of every partition, and follows a broker
// whose log was recreated (an in-memory broker restarted) instead of
// waiting for the new log to reach its old offsets.
func TestTailFollowsRecreatedLog(t *testing.T) {
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	first := startBroker(t, port)
	seen := make(chan string, 1000)
	tail := &notify.Tail{Brokers: []string{addr}, Topic: "t", Log: slog.New(slog.DiscardHandler),
		Check: 100 * time.Millisecond, Handle: func(m kafkago.Message) { seen <- string(m.Value) }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- tail.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}()

	if !writeUntilSeen(t, addr, "before-", 100, seen) {
		t.Fatal("the tail never handed over a message")
	}
	// Push the offsets up, well past the writes the new log then gets.
	fillers := make([]kafkago.Message, 300)
	for i := range fillers {
		fillers[i] = kafkago.Message{Key: []byte(strconv.Itoa(i)), Value: []byte("filler-" + strconv.Itoa(i))}
	}
	w := kafka.NewWriter([]string{addr}, "t", nil)
	if err := w.WriteMessages(context.Background(), fillers...); err != nil {
		t.Fatalf("write fillers: %v", err)
	}
	w.Close()
	first.Close()
	second := startBroker(t, port)
	defer second.Close()
	if !writeUntilSeen(t, addr, "after-", 150, seen) {
		t.Fatal("no message from the recreated log within 150 writes (half the old log): the tail waits at its old offsets")
	}
}
