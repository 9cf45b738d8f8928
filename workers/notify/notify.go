// Package notify is the notify daemon: it pushes live seat deltas and
// buyers' order updates over Server-Sent Events, from the sale events on
// Kafka. It only reads; the sale never waits for it.
package notify

import (
	"context"
	"encoding/json"
	"log/slog"

	kafkago "github.com/segmentio/kafka-go"

	"boxoffice/internal/auth"
	"boxoffice/internal/boxoffice"
	"boxoffice/internal/config"
	"boxoffice/internal/daemon"
	"boxoffice/internal/kafka"
)

// Buffer is how many frames a stream may lag behind before it is closed.
const Buffer = 256

// Main runs the daemon until SIGTERM.
func Main(cfg *config.Config, _ []string) error {
	if err := cfg.Require("BOXOFFICE_JWT_SECRET"); err != nil {
		return err
	}
	log := daemon.NewLogger(cfg.LogLevel, "notify")
	reg := daemon.NewRegistry()
	m := NewMetrics(reg)
	hub := NewHub(cfg.NotifyMaxClients, Buffer, m)
	srv := &Server{Hub: hub, Keys: auth.NewKeys(cfg), Log: log}
	tail := &Tail{Brokers: cfg.KafkaBrokers, Topic: cfg.KafkaTopic, Handle: Publisher(hub, m, log), Log: log}
	d := &daemon.Daemon{
		Name: "notify", Addr: cfg.NotifyAddr, Log: log, Registry: reg,
		CheckTimeout: cfg.DepTimeout, ShutdownTimeout: cfg.ShutdownTimeout,
		Checks:  []daemon.Check{{Name: "kafka", Ping: kafka.Ping(cfg.KafkaBrokers)}},
		Handler: srv.Handler(),
		Workers: []daemon.Worker{tail.Run, closeOnShutdown(hub)},
	}
	return d.Run()
}

// Publisher decodes a Kafka message as a sale event and publishes it to
// hub; a message that is not one is counted and skipped.
func Publisher(hub *Hub, m *Metrics, log *slog.Logger) func(kafkago.Message) {
	return func(msg kafkago.Message) {
		var e boxoffice.SaleEvent
		if err := json.Unmarshal(msg.Value, &e); err != nil || e.ID == "" || e.OrderNo == "" {
			m.BadEvents.Inc()
			log.Warn("skipping a message that is not a sale event", "partition", msg.Partition,
				"offset", msg.Offset, "err", err)
			return
		}
		m.Events.Inc()
		hub.Publish(e)
	}
}

// closeOnShutdown ends every stream when the daemon shuts down, which
// the HTTP server waits for: open streams never go idle on their own.
func closeOnShutdown(hub *Hub) daemon.Worker {
	return func(ctx context.Context) error {
		<-ctx.Done()
		hub.Close()
		return nil
	}
}
