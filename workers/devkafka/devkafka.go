// Package devkafka runs an in-memory, Kafka-protocol broker for development
// and tests (franz-go's kfake), with the sale topics created. Production uses
// a real Kafka cluster.
package devkafka

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"

	"boxoffice/internal/config"
	"boxoffice/internal/daemon"
)

// Partitions is the partition count of each seeded topic.
const Partitions = 8

// Main runs the broker until SIGTERM.
func Main(cfg *config.Config, _ []string) error {
	log := daemon.NewLogger(cfg.LogLevel, "devkafka")
	broker := cfg.KafkaBrokers[0]
	host, portStr, _ := net.SplitHostPort(broker)
	port, _ := strconv.Atoi(portStr)
	cluster, err := kfake.NewCluster(
		kfake.Ports(port),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, net.JoinHostPort(host, portStr))
		}),
		kfake.SeedTopics(Partitions, cfg.KafkaTopic, cfg.KafkaDLQTopic),
	)
	if err != nil {
		return fmt.Errorf("start broker on %s (BOXOFFICE_KAFKA_BROKERS): %w", broker, err)
	}
	defer cluster.Close()
	log.Info("broker listening", "addr", broker, "topics", []string{cfg.KafkaTopic, cfg.KafkaDLQTopic})

	d := &daemon.Daemon{
		Name: "devkafka", Addr: cfg.DevKafkaAddr, Log: log, Registry: daemon.NewRegistry(),
		CheckTimeout: cfg.DepTimeout, ShutdownTimeout: cfg.ShutdownTimeout,
		Checks: []daemon.Check{{Name: "kafka", Ping: func(ctx context.Context) error {
			var dialer net.Dialer
			conn, err := dialer.DialContext(ctx, "tcp", broker)
			if err == nil {
				conn.Close()
			}
			return err
		}}},
	}
	return d.Run()
}
