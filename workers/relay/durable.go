package relay

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/config"
)

// Durable checks that the sale Redis can no longer lose what the relay
// reads, as the chosen mode (BOXOFFICE_SALE_DURABILITY) promises. Kafka and
// MySQL must never run ahead of the sale Redis: an event published and
// then lost by Redis (a crash with appendfsync everysec, a failover to a
// lagging replica) leaves MySQL with orders Redis no longer has.
//
//   - fsync: the sale Redis runs appendonly yes, appendfsync always. Redis
//     then fsyncs the AOF before it sends any reply of that event-loop
//     round, so an XREADGROUP answer never carries an entry the disk lacks.
//   - wait:N: each read of the outbox is followed, in the same pipeline and
//     so on the same connection, by WAIT N. WAIT waits for the replication
//     offset of the calling connection's last write; XREADGROUP and
//     XAUTOCLAIM propagate as writes (XCLAIM and the group's last id), after
//     the XADDs of the entries they deliver, so once N replicas acknowledge
//     that offset they have the entries too. Checked on Redis 7.0 with its
//     replica stopped (SIGSTOP) after an XADD: WAIT 1 on a connection that
//     wrote nothing answers 1 at once, so it would cover nothing; after an
//     XREADGROUP on the same connection it answers 0 until the replica
//     runs again. Hence the WAIT goes in the read's own pipeline.
type Durable struct {
	RDB  *goredis.Client
	Mode config.Durability
}

// Check reports why the sale Redis does not match the mode; nil if it does.
func (d Durable) Check(ctx context.Context) error {
	if d.Mode.Fsync {
		got, err := d.RDB.ConfigGet(ctx, "append*").Result()
		if err != nil {
			return fmt.Errorf("read the sale Redis's appendfsync (CONFIG GET): %w", err)
		}
		if got["appendonly"] != "yes" || got["appendfsync"] != "always" {
			return fmt.Errorf("sale Redis runs appendonly %q, appendfsync %q, but BOXOFFICE_SALE_DURABILITY=%s needs "+
				"appendonly yes and appendfsync always (or choose wait:N with a replica)",
				got["appendonly"], got["appendfsync"], d.Mode)
		}
	}
	if d.Mode.Replicas > 0 {
		info, err := d.RDB.Info(ctx, "replication").Result()
		if err != nil {
			return fmt.Errorf("read the sale Redis's replicas (INFO replication): %w", err)
		}
		if n := connectedReplicas(info); n < d.Mode.Replicas {
			return fmt.Errorf("sale Redis has %d connected replicas, but BOXOFFICE_SALE_DURABILITY=%s needs %d",
				n, d.Mode, d.Mode.Replicas)
		}
	}
	return nil
}

// Wait queues WAIT in pipe after its reads when the mode asks for replicas;
// nil otherwise.
func (d Durable) Wait(ctx context.Context, pipe goredis.Pipeliner, timeout time.Duration) *goredis.IntCmd {
	if d.Mode.Replicas == 0 {
		return nil
	}
	cmd := goredis.NewIntCmd(ctx, "wait", d.Mode.Replicas, timeout.Milliseconds())
	_ = pipe.Process(ctx, cmd)
	return cmd
}

// Replicated reports whether the WAIT queued by Wait was acknowledged by
// enough replicas (true when there was none to wait for).
func (d Durable) Replicated(cmd *goredis.IntCmd) error {
	if cmd == nil {
		return nil
	}
	n, err := cmd.Result()
	if err != nil {
		return fmt.Errorf("WAIT for %d replicas: %w", d.Mode.Replicas, err)
	}
	if n < int64(d.Mode.Replicas) {
		return fmt.Errorf("only %d of %d replicas acknowledged the outbox read", n, d.Mode.Replicas)
	}
	return nil
}

// connectedReplicas reads connected_slaves from INFO replication.
func connectedReplicas(info string) int {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "connected_slaves:"); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}
