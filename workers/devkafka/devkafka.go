// Package devkafka runs a Kafka-protocol broker for development and tests
// (franz-go's kfake), with the sale topics created. It keeps its log in the
// run folder, written through to disk on every produce, so a crash and a
// restart keep what it acknowledged, as a real broker does. Production uses
// a real Kafka cluster.
package devkafka

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"

	"boxoffice/internal/config"
	"boxoffice/internal/daemon"
)

// Partitions is the partition count of each seeded topic.
const Partitions = 8

// DataDir is the broker's folder in the run folder.
func DataDir(runDir string) string { return filepath.Join(runDir, "devkafka") }

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
		kfake.DataDir(DataDir(cfg.RunDir)), kfake.SyncWrites(),
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
