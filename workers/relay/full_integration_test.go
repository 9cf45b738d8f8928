//go:build integration

package relay_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"

	"boxoffice/internal/boxoffice"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
	"boxoffice/workers/relay"
)

// published keeps what a relay published.
type published struct {
	mu   sync.Mutex
	msgs []kafkago.Message
}

func (p *published) WriteMessages(_ context.Context, msgs ...kafkago.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, msgs...)
	return nil
}

func (p *published) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.msgs)
}

// A relay started on a full sale Redis (which refuses to create a consumer
// group) still publishes and acknowledges the outbox: deleting what Kafka
// has is how a full Redis gets memory back.
func TestRelayFullRedis(t *testing.T) {
	ctx := context.Background()
	rdb := testenv.PrivateRedis(t, 8<<20)
	const sid = 7
	k := sale.KeysFor(sid)
	rdb.SAdd(ctx, sale.Sessions, sid)
	if err := rdb.XGroupCreateMkStream(ctx, k.Key("outbox"), relay.Group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		e := boxoffice.SaleEvent{ID: "B7-1-1:created", Type: boxoffice.EventHoldCreated, SessionID: sid,
			OrderNo: "B7-1-1", UserID: 1, SeatIDs: []int64{int64(i + 1)}, AmountCents: 100, At: 1}
		if _, err := sale.Emit(ctx, rdb, e); err != nil {
			t.Fatal(err)
		}
	}
	testenv.FillRedis(t, rdb)

	events := &published{}
	r := &relay.Relay{RDB: rdb, Events: events, DLQ: &published{}, Consumer: "full", Batch: 100,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: relay.NewMetrics(prometheus.NewRegistry())}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	testenv.Eventually(t, testenv.Settle, "the outbox published and deleted", func() (bool, string) {
		n, err := rdb.XLen(ctx, k.Key("outbox")).Result()
		return events.count() == 3 && n == 0, fmt.Sprintf("published %d, outbox %d entries (%v)", events.count(), n, err)
	})
}
