package devstack

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/config"
	"boxoffice/openresty"
)

// part is one server of the stack.
type part struct {
	proc
	addr    string
	addrVar string        // the setting that moves its port
	wait    time.Duration // how long it may take to become ready
	daemon  bool          // restarted when the boxoffice binary is newer
	command func() (*exec.Cmd, error)
	ready   func(ctx context.Context) error
}

func (s *Stack) newProc(name, match string) proc {
	return proc{name: name, match: match,
		pidFile: filepath.Join(s.run, "pids", name+".pid"),
		logFile: filepath.Join(s.run, "logs", name+".log")}
}

// infra are the servers the daemons depend on; daemons come up after them.
func (s *Stack) infra() []*part {
	c := s.cfg
	parts := []*part{{proc: s.newProc("mariadb", "mariadbd"), addr: c.MySQLAddr, addrVar: "BOXOFFICE_MYSQL_ADDR",
		wait: 90 * time.Second, command: s.mariadbCommand, ready: dialReady(c.MySQLAddr)}}
	parts = append(parts, s.saleRedis()...)
	return append(parts,
		&part{proc: s.newProc("cache-redis", "redis-server"), addr: c.CacheRedisAddr, addrVar: "BOXOFFICE_CACHE_REDIS_ADDR",
			wait: 30 * time.Second, command: s.redisCommand("cache-redis", c.CacheRedisAddr, ""),
			ready: redisReady(c.CacheRedisAddr, c.CacheRedisPassword, "")},
		s.infraDaemon("devkafka", c.KafkaBrokers[0], "BOXOFFICE_KAFKA_BROKERS", c.DevKafkaAddr))
}

// saleRedis is the sale Redis server, or one cluster node
// (sale-redis-1, ...) at each address of BOXOFFICE_SALE_REDIS_CLUSTER.
func (s *Stack) saleRedis() []*part {
	c := s.cfg
	fsync := saleFsync(c.SaleDurability)
	if len(c.SaleRedisCluster) == 0 {
		return []*part{{proc: s.newProc("sale-redis", "redis-server"), addr: c.SaleRedisAddr, addrVar: "BOXOFFICE_SALE_REDIS_ADDR",
			wait: 30 * time.Second, command: s.redisCommand("sale-redis", c.SaleRedisAddr, fsync),
			ready: redisReady(c.SaleRedisAddr, c.SaleRedisPassword, fsync)}}
	}
	var out []*part
	for i, addr := range c.SaleRedisCluster {
		name := fmt.Sprintf("sale-redis-%d", i+1)
		out = append(out, &part{proc: s.newProc(name, "redis-server"), addr: addr, addrVar: "BOXOFFICE_SALE_REDIS_CLUSTER",
			wait: 30 * time.Second, command: s.redisCommand(name, addr, fsync, clusterNodeArgs(addr)...),
			ready: redisReady(addr, c.SaleRedisPassword, fsync)})
	}
	return out
}

// services face users; they come up once the schema is in place.
func (s *Stack) services() []*part {
	c := s.cfg
	return []*part{
		s.daemonPart("api", c.APIAddr, "BOXOFFICE_API_ADDR", c.APIAddr),
		s.daemonPart("paygw", c.PaygwAddr, "BOXOFFICE_PAYGW_ADDR", c.PaygwAddr),
		s.daemonPart("relay", c.RelayAddr, "BOXOFFICE_RELAY_ADDR", c.RelayAddr),
		s.daemonPart("orders", c.OrdersAddr, "BOXOFFICE_ORDERS_ADDR", c.OrdersAddr),
		s.daemonPart("timeouts", c.TimeoutsAddr, "BOXOFFICE_TIMEOUTS_ADDR", c.TimeoutsAddr),
		s.daemonPart("notify", c.NotifyAddr, "BOXOFFICE_NOTIFY_ADDR", c.NotifyAddr),
		{proc: s.newProc("edge", "nginx"), addr: c.EdgeAddr, addrVar: "BOXOFFICE_EDGE_ADDR",
			wait: 30 * time.Second, command: s.edgeCommand, ready: httpReady("http://" + c.EdgeAddr + "/healthz")},
	}
}

func (s *Stack) all() []*part { return append(s.infra(), s.services()...) }

// daemonPart is one of our own daemons; healthAddr serves its /readyz.
func (s *Stack) daemonPart(name, addr, addrVar, healthAddr string) *part {
	return &part{proc: s.newProc(name, "boxoffice"), addr: addr, addrVar: addrVar,
		wait: 30 * time.Second, daemon: true,
		command: func() (*exec.Cmd, error) { return s.cmd(s.bin, name), nil },
		ready:   httpReady("http://" + healthAddr + "/readyz")}
}

// infraDaemon is one of our binaries acting as infrastructure: it keeps
// running when the binary changes (restarting the in-memory broker would
// drop its data).
func (s *Stack) infraDaemon(name, addr, addrVar, healthAddr string) *part {
	p := s.daemonPart(name, addr, addrVar, healthAddr)
	p.daemon = false
	return p
}

func (s *Stack) cmd(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = s.env
	return cmd
}

// saleFsync is the sale Redis's appendfsync for durability d: always when
// relay publishes only what the disk has.
func saleFsync(d config.Durability) string {
	if d.Fsync {
		return "always"
	}
	return "everysec"
}

// redisCommand starts a Redis server; with fsync set ("always" or
// "everysec") it keeps an AOF, without it is a cache. extra are more
// arguments of redis-server.
func (s *Stack) redisCommand(name, addr, fsync string, extra ...string) func() (*exec.Cmd, error) {
	return func() (*exec.Cmd, error) {
		dir := filepath.Join(s.run, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		host, port, _ := net.SplitHostPort(addr)
		args := []string{"--bind", host, "--port", port, "--dir", dir, "--daemonize", "no",
			"--save", "", "--logfile", ""}
		if fsync != "" {
			// Never evict sale state: past maxmemory, writes fail (503) instead.
			args = append(args, "--appendonly", "yes", "--appendfsync", fsync,
				"--maxmemory", "1gb", "--maxmemory-policy", "noeviction")
		} else {
			args = append(args, "--appendonly", "no", "--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru")
		}
		return s.cmd("redis-server", append(args, extra...)...), nil
	}
}

// edgeCommand prepares the edge's nginx prefix and runs nginx in it.
func (s *Stack) edgeCommand() (*exec.Cmd, error) {
	if err := openresty.Prepare(s.cfg, s.edgePrefix(), s.env); err != nil {
		return nil, err
	}
	return s.cmd("nginx", openresty.Args(s.edgePrefix())...), nil
}

func (s *Stack) edgePrefix() string { return filepath.Join(s.run, "nginx") }

func dialReady(addr string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
		}
		return err
	}
}

// redisReady pings a Redis server; with fsync set it also sets its
// appendfsync, so a server started by an older stack gets the mode too.
func redisReady(addr, password, fsync string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		rdb := goredis.NewClient(&goredis.Options{Addr: addr, Password: password, MaxRetries: -1})
		defer rdb.Close()
		if fsync != "" {
			return rdb.ConfigSet(ctx, "appendfsync", fsync).Err()
		}
		return rdb.Ping(ctx).Err()
	}
}

func httpReady(url string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %d", url, resp.StatusCode)
		}
		return nil
	}
}

// osUser is the account that owns the servers; as root, mariadbd needs it said.
func osUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}
