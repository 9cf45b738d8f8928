package relay

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/config"
	"boxoffice/internal/redis"
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
	RDB  goredis.UniversalClient
	Mode config.Durability
}

// Check reports why the sale Redis (every master of a cluster) does not
// match the mode; nil if it does.
func (d Durable) Check(ctx context.Context) error {
	if !d.Mode.Fsync && d.Mode.Replicas == 0 {
		return nil
	}
	return redis.ForEachMaster(ctx, d.RDB, d.check)
}

func (d Durable) check(ctx context.Context, rdb *goredis.Client) error {
	if d.Mode.Fsync {
		got, err := rdb.ConfigGet(ctx, "append*").Result()
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
		info, err := rdb.Info(ctx, "replication").Result()
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

// Pipelined queues, with queue, the reads of the streams keys names and
// runs them in a pipeline of rdb; when the mode asks for replicas it queues WAIT
// after them, on the same connection. On a cluster that is one pipeline
// per master holding any of the keys, each with its WAIT, since WAIT
// counts only what its own connection wrote. It returns what the WAITs
// report; each read's own error is in its command. When it cannot tell
// which master holds a key, it queues and sends nothing.
func (d Durable) Pipelined(ctx context.Context, rdb goredis.UniversalClient, keys []string,
	queue func(p goredis.Pipeliner, i int)) error {
	if d.Mode.Replicas == 0 {
		pipe := rdb.Pipeline()
		for i := range keys {
			queue(pipe, i)
		}
		_, _ = pipe.Exec(ctx)
		return nil
	}
	byNode := map[*goredis.Client][]int{}
	for i, key := range keys {
		node, err := redis.NodeFor(ctx, rdb, key)
		if err != nil {
			return fmt.Errorf("find the sale Redis node of %s: %w", key, err)
		}
		byNode[node] = append(byNode[node], i)
	}
	var errs []error
	for node, idx := range byNode {
		pipe := node.Pipeline()
		for _, i := range idx {
			queue(pipe, i)
		}
		wait := d.wait(ctx, pipe, waitFor)
		_, _ = pipe.Exec(ctx)
		errs = append(errs, d.replicated(wait))
	}
	return errors.Join(errs...)
}

// wait queues WAIT in pipe after its reads when the mode asks for replicas;
// nil otherwise.
func (d Durable) wait(ctx context.Context, pipe goredis.Pipeliner, timeout time.Duration) *goredis.IntCmd {
	if d.Mode.Replicas == 0 {
		return nil
	}
	cmd := goredis.NewIntCmd(ctx, "wait", d.Mode.Replicas, timeout.Milliseconds())
	_ = pipe.Process(ctx, cmd)
	return cmd
}

// replicated reports whether the WAIT queued by wait was acknowledged by
// enough replicas (true when there was none to wait for).
func (d Durable) replicated(cmd *goredis.IntCmd) error {
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
