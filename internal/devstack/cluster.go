package devstack

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// busOffset puts a cluster node's bus port beside its port: Redis's
// default, the port + 10000, lands in the kernel's range of ports for
// outgoing connections (32768 and up) for a node on 22768 or above, and
// one in use there stops the node from starting.
const busOffset = 20

// clusterNodeArgs make the redis-server at addr a Redis Cluster node; its
// node file lives in its own folder, so a restarted node rejoins its
// cluster.
func clusterNodeArgs(addr string) []string {
	_, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	return []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
		"--cluster-node-timeout", "5000", "--cluster-port", strconv.Itoa(n + busOffset)}
}

// formCluster makes the sale Redis nodes of BOXOFFICE_SALE_REDIS_CLUSTER
// one cluster of masters, the slots spread evenly over them, unless they
// are one already; then it waits until every node says the cluster is ok.
func (s *Stack) formCluster(ctx context.Context) error {
	addrs := s.cfg.SaleRedisCluster
	if len(addrs) == 0 {
		return nil
	}
	deadline := time.Now().Add(30 * time.Second)
	info, err := awaitInfo(ctx, addrs[0], s.cfg.SaleRedisPassword, deadline, func(map[string]string) bool { return true })
	if err != nil {
		return err
	}
	if info["cluster_slots_assigned"] == "0" {
		if len(addrs) < 3 {
			return fmt.Errorf("BOXOFFICE_SALE_REDIS_CLUSTER names %d nodes; a Redis Cluster needs at least 3 masters", len(addrs))
		}
		fmt.Fprintf(s.out, "forming the sale Redis cluster of %s\n", strings.Join(addrs, ", "))
		args := append(append([]string{"--cluster", "create"}, addrs...), "--cluster-yes")
		cmd := exec.CommandContext(ctx, "redis-cli", args...)
		cmd.Env = s.env
		if pw := s.cfg.SaleRedisPassword; pw != "" {
			cmd.Env = append(cmd.Env, "REDISCLI_AUTH="+pw)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("redis-cli --cluster create: %v\n%s", err, out)
		}
	}
	for _, addr := range addrs {
		if _, err := awaitInfo(ctx, addr, s.cfg.SaleRedisPassword, deadline,
			func(info map[string]string) bool { return info["cluster_state"] == "ok" }); err != nil {
			return err
		}
	}
	return nil
}

// awaitInfo polls CLUSTER INFO of the node at addr until it answers (a
// node still loading its data does not) with what ok wants, or until
// the deadline.
func awaitInfo(ctx context.Context, addr, password string, deadline time.Time, ok func(map[string]string) bool) (map[string]string, error) {
	for {
		info, err := clusterInfo(ctx, addr, password)
		if err == nil && ok(info) {
			return info, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the sale Redis cluster is not ok at %s within 30s (%v, state %q)", addr, err, info["cluster_state"])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// clusterInfo reads CLUSTER INFO of the node at addr as field → value.
func clusterInfo(ctx context.Context, addr, password string) (map[string]string, error) {
	rdb := goredis.NewClient(&goredis.Options{Addr: addr, Password: password})
	defer rdb.Close()
	raw, err := rdb.ClusterInfo(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("CLUSTER INFO of %s: %w", addr, err)
	}
	info := map[string]string{}
	for _, line := range strings.Split(raw, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			info[k] = v
		}
	}
	return info, nil
}
