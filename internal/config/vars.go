package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Var documents one setting: its variable, default and meaning.
type Var struct {
	Name     string
	Default  string
	Doc      string
	Secret   bool // generated into the run folder by make up; never logged
	Required bool // must be non-empty for config check to pass
	set      func(*Config, string) error
	get      func(*Config) string
}

// Vars is every setting, in the order the README lists them.
var Vars = []Var{
	str("BOXOFFICE_RUN_DIR", ".run", "Folder for the dev stack's data, logs, pid files and secrets.", func(c *Config) *string { return &c.RunDir }),
	str("BOXOFFICE_SECRETS_FILE", "", "KEY=value file read for unset variables (default: $BOXOFFICE_RUN_DIR/secrets.env, if present).", func(c *Config) *string { return &c.SecretsFile }),
	enum("BOXOFFICE_LOG_LEVEL", "info", "Log level: debug, info, warn or error.", []string{"debug", "info", "warn", "error"}, func(c *Config) *string { return &c.LogLevel }),
	urlVar("BOXOFFICE_PUBLIC_URL", "http://localhost:8080", "Public base URL of the edge, used in links and payment callbacks.", func(c *Config) *string { return &c.PublicURL }),

	addr("BOXOFFICE_EDGE_ADDR", "127.0.0.1:8080", "Edge (nginx + Lua) listen address.", func(c *Config) *string { return &c.EdgeAddr }),
	workers("BOXOFFICE_EDGE_WORKERS", "auto", "nginx worker processes: a number or auto.", func(c *Config) *string { return &c.EdgeWorkers }),
	rate("BOXOFFICE_EDGE_RATE_IP", "50r/s", "Grab requests allowed per client IP, bad ones included, counted before anything else (r/s or r/m).", func(c *Config) *string { return &c.EdgeRateIP }),
	number("BOXOFFICE_EDGE_BURST_IP", "100", 0, 1_000_000, "Burst of grab requests allowed per client IP above the rate.", func(c *Config) *int { return &c.EdgeBurstIP }),
	rate("BOXOFFICE_EDGE_RATE_USER", "5r/s", "Grab requests allowed per buyer (by JWT subject).", func(c *Config) *string { return &c.EdgeRateUser }),
	number("BOXOFFICE_EDGE_BURST_USER", "10", 0, 1_000_000, "Burst of grab requests allowed per buyer above the rate.", func(c *Config) *int { return &c.EdgeBurstUser }),
	duration("BOXOFFICE_EDGE_REDIS_TIMEOUT", "200ms", "Edge timeout for connecting to and calling the sale Redis; past it a grab answers 503.", func(c *Config) *time.Duration { return &c.EdgeRedisTimeout }),
	number("BOXOFFICE_EDGE_REDIS_POOL", "256", 1, 10_000, "Connections to the sale Redis per nginx worker, kept alive between requests.", func(c *Config) *int { return &c.EdgeRedisPool }),
	number("BOXOFFICE_EDGE_REDIS_BACKLOG", "1024", 0, 100_000, "Requests per nginx worker that wait for one of its BOXOFFICE_EDGE_REDIS_POOL connections when all are busy (within BOXOFFICE_EDGE_REDIS_TIMEOUT, else 503); past it they fail at once. 0: open extra connections, closed after use.", func(c *Config) *int { return &c.EdgeRedisBacklog }),
	duration("BOXOFFICE_EDGE_STATE_REFRESH", "500ms", "How often the edge refreshes each active session's sold-out flag, seat limit and Bloom filter from the sale Redis.", func(c *Config) *time.Duration { return &c.EdgeStateRefresh }),
	duration("BOXOFFICE_EDGE_SEATS_TTL", "1s", "How long the edge serves its copy of a live seat map, and refuses grabs of seats that copy shows taken without asking the sale Redis.", func(c *Config) *time.Duration { return &c.EdgeSeatsTTL }),
	cidrs("BOXOFFICE_EDGE_REAL_IP_FROM", "", "CIDRs of load balancers in front of the edge whose X-Forwarded-For names the client (empty: the socket address is the client).", func(c *Config) *[]string { return &c.EdgeRealIPFrom }),
	addr("BOXOFFICE_API_ADDR", "127.0.0.1:8081", "api daemon listen address (public and admin API).", func(c *Config) *string { return &c.APIAddr }),
	addr("BOXOFFICE_NOTIFY_ADDR", "127.0.0.1:8082", "notify daemon listen address (SSE).", func(c *Config) *string { return &c.NotifyAddr }),
	addr("BOXOFFICE_PAYGW_ADDR", "127.0.0.1:8083", "paygw (mock payment gateway) listen address.", func(c *Config) *string { return &c.PaygwAddr }),
	addr("BOXOFFICE_RELAY_ADDR", "127.0.0.1:8084", "relay daemon health and metrics address.", func(c *Config) *string { return &c.RelayAddr }),
	addr("BOXOFFICE_ORDERS_ADDR", "127.0.0.1:8085", "orders daemon health and metrics address.", func(c *Config) *string { return &c.OrdersAddr }),
	addr("BOXOFFICE_TIMEOUTS_ADDR", "127.0.0.1:8086", "timeouts daemon health and metrics address.", func(c *Config) *string { return &c.TimeoutsAddr }),
	addr("BOXOFFICE_DEVKAFKA_ADDR", "127.0.0.1:8087", "devkafka health and metrics address (the broker itself listens on the first of BOXOFFICE_KAFKA_BROKERS).", func(c *Config) *string { return &c.DevKafkaAddr }),

	addr("BOXOFFICE_SALE_REDIS_ADDR", "127.0.0.1:6390", "Sale Redis (seats, holds, outbox; AOF on).", func(c *Config) *string { return &c.SaleRedisAddr }),
	addrList("BOXOFFICE_SALE_REDIS_CLUSTER", "", "Comma-separated host:port of Redis Cluster nodes to find the sale Redis cluster by (empty: the one sale Redis at BOXOFFICE_SALE_REDIS_ADDR). Every key of a session is on one slot; make up starts a cluster on these addresses when set.", 0, func(c *Config) *[]string { return &c.SaleRedisCluster }),
	secret("BOXOFFICE_SALE_REDIS_PASSWORD", "Sale Redis password, if it has one.", false, func(c *Config) *string { return &c.SaleRedisPassword }),
	durability("BOXOFFICE_SALE_DURABILITY", "fsync", "What relay waits for before it publishes a sale event: fsync (the sale Redis must run appendfsync always), wait:N (WAIT until N replicas have it), or fsync+wait:N.", func(c *Config) *Durability { return &c.SaleDurability }),
	addr("BOXOFFICE_CACHE_REDIS_ADDR", "127.0.0.1:6391", "Cache Redis: the catalog cache-aside (api) and the edge cache version (nginx).", func(c *Config) *string { return &c.CacheRedisAddr }),
	secret("BOXOFFICE_CACHE_REDIS_PASSWORD", "Cache Redis password, if it has one.", false, func(c *Config) *string { return &c.CacheRedisPassword }),

	addr("BOXOFFICE_MYSQL_ADDR", "127.0.0.1:3307", "MySQL/MariaDB address.", func(c *Config) *string { return &c.MySQLAddr }),
	str("BOXOFFICE_MYSQL_USER", "boxoffice", "MySQL user.", func(c *Config) *string { return &c.MySQLUser }),
	secret("BOXOFFICE_MYSQL_PASSWORD", "MySQL password.", true, func(c *Config) *string { return &c.MySQLPassword }),
	ident("BOXOFFICE_MYSQL_DATABASE", "boxoffice", "MySQL database name.", func(c *Config) *string { return &c.MySQLDatabase }),

	brokers("BOXOFFICE_KAFKA_BROKERS", "127.0.0.1:19092", "Comma-separated Kafka bootstrap brokers.", func(c *Config) *[]string { return &c.KafkaBrokers }),
	str("BOXOFFICE_KAFKA_TOPIC", "sale-events", "Kafka topic for sale events.", func(c *Config) *string { return &c.KafkaTopic }),
	str("BOXOFFICE_KAFKA_DLQ_TOPIC", "sale-events-dlq", "Kafka dead-letter topic.", func(c *Config) *string { return &c.KafkaDLQTopic }),

	urlVar("BOXOFFICE_PAYGW_URL", "http://127.0.0.1:8083", "Base URL of the payment gateway (paygw in dev) that api creates payments at and timeouts asks.", func(c *Config) *string { return &c.PaygwURL }),
	duration("BOXOFFICE_PAY_WINDOW", "5m", "How long a buyer has to pay once payment starts (the PAYING deadline).", func(c *Config) *time.Duration { return &c.PayWindow }),
	duration("BOXOFFICE_PAYGW_RETRY_BASE", "1s", "paygw: first delay between notification retries; it doubles each time, up to 8 tries.", func(c *Config) *time.Duration { return &c.PaygwRetryBase }),
	duration("BOXOFFICE_TIMEOUTS_INTERVAL", "500ms", "How often timeouts scans the expiry queues of the sale Redis.", func(c *Config) *time.Duration { return &c.TimeoutsInterval }),
	duration("BOXOFFICE_SWEEP_INTERVAL", "30s", "How often timeouts sweeps MySQL for overdue LOCKED and PAYING orders (the backstop).", func(c *Config) *time.Duration { return &c.SweepInterval }),
	duration("BOXOFFICE_RECONCILE_GRACE", "30s", "Age after which a hold with no order row is re-sent to Kafka by the reconciler.", func(c *Config) *time.Duration { return &c.ReconcileGrace }),
	duration("BOXOFFICE_RECONCILE_INTERVAL", "10s", "How often the reconciler compares holds with order rows.", func(c *Config) *time.Duration { return &c.ReconcileInterval }),
	number("BOXOFFICE_ORDERS_MAX_TRIES", "5", 1, 100, "Tries of one sale event in orders before it goes to the dead-letter topic.", func(c *Config) *int { return &c.OrdersMaxTries }),
	number("BOXOFFICE_ORDERS_BATCH", "200", 1, 10_000, "Most sale events orders writes to MySQL in one transaction.", func(c *Config) *int { return &c.OrdersBatch }),
	number("BOXOFFICE_RELAY_BATCH", "500", 1, 10_000, "Most outbox entries relay reads and publishes at once per session.", func(c *Config) *int { return &c.RelayBatch }),
	number("BOXOFFICE_NOTIFY_MAX_CLIENTS", "10000", 1, 1_000_000, "Most live-update (SSE) streams one notify daemon serves at once; past it a new stream gets 503.", func(c *Config) *int { return &c.NotifyMaxClients }),

	signingKey("BOXOFFICE_JWT_SECRET", "HS256 secret for buyer and admin tokens (32+ bytes).", func(c *Config) *string { return &c.JWTSecret }),
	kid("BOXOFFICE_JWT_KID", "k1", "Key id (JWT kid) of BOXOFFICE_JWT_SECRET, the key that signs new tokens.", func(c *Config) *string { return &c.JWTKID }),
	keyList("BOXOFFICE_JWT_PREVIOUS_KEYS", "", "Retired keys still accepted for verification during rotation: kid:secret,kid:secret.", func(c *Config) *map[string]string { return &c.JWTPrevious }),
	duration("BOXOFFICE_JWT_TTL", "2h", "Lifetime of issued tokens.", func(c *Config) *time.Duration { return &c.JWTTTL }),
	signingKey("BOXOFFICE_PAY_SECRET", "HMAC secret shared with the payment gateway (32+ bytes).", func(c *Config) *string { return &c.PaySecret }),

	secret("BOXOFFICE_DEMO_PASSWORD", "Password of the demo admin and buyers that 'boxoffice seed' creates.", false, func(c *Config) *string { return &c.DemoPassword }),
	str("BOXOFFICE_LUA_DIR", "lua", "Folder of the edge's Lua modules and Redis scripts.", func(c *Config) *string { return &c.LuaDir }),

	fraction("BOXOFFICE_BLOOM_FP", "0.001", "False-positive rate of the reserved-buyers Bloom filter the edge checks (the Redis set is definitive).", func(c *Config) *float64 { return &c.BloomFP }),
	cidrs("BOXOFFICE_TRUSTED_PROXIES", "127.0.0.1/8,::1/128", "Comma-separated CIDRs of the edges in front of api; X-Forwarded-For is believed only from these.", func(c *Config) *[]string { return &c.TrustedProxies }),

	duration("BOXOFFICE_DEP_TIMEOUT", "500ms", "Timeout for one dependency call (readiness checks, dials); a dependency slower than this is treated as down.", func(c *Config) *time.Duration { return &c.DepTimeout }),
	duration("BOXOFFICE_SHUTDOWN_TIMEOUT", "15s", "How long a daemon may take to finish in-flight work on SIGTERM.", func(c *Config) *time.Duration { return &c.ShutdownTimeout }),
}

var byName = func() map[string]*Var {
	m := make(map[string]*Var, len(Vars))
	for i := range Vars {
		m[Vars[i].Name] = &Vars[i]
	}
	return m
}()

func str(name, def, doc string, field func(*Config) *string) Var {
	return Var{Name: name, Default: def, Doc: doc,
		set: func(c *Config, s string) error { *field(c) = s; return nil },
		get: func(c *Config) string { return *field(c) }}
}

func checked(v Var, check func(string) error) Var {
	set := v.set
	v.set = func(c *Config, s string) error {
		if err := check(s); err != nil {
			return err
		}
		return set(c, s)
	}
	return v
}

func addr(name, def, doc string, field func(*Config) *string) Var {
	return checked(str(name, def, doc, field), parseAddr)
}

func secret(name, doc string, required bool, field func(*Config) *string) Var {
	v := str(name, "", doc, field)
	v.Secret, v.Required = true, required
	return v
}

// signingKey is a required secret of at least 32 bytes.
func signingKey(name, doc string, field func(*Config) *string) Var {
	return checked(secret(name, doc, true, field), func(s string) error {
		if s != "" && len(s) < 32 {
			return fmt.Errorf("must be at least 32 bytes")
		}
		return nil
	})
}

func enum(name, def, doc string, allowed []string, field func(*Config) *string) Var {
	return checked(str(name, def, doc, field), func(s string) error {
		for _, a := range allowed {
			if s == a {
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
	})
}

func urlVar(name, def, doc string, field func(*Config) *string) Var {
	return checked(str(name, def, doc, field), func(s string) error {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("want an http(s) URL such as https://tickets.example.com")
		}
		return nil
	})
}

func ident(name, def, doc string, field func(*Config) *string) Var {
	return checked(str(name, def, doc, field), func(s string) error {
		if s == "" || len(s) > 64 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "" {
			return fmt.Errorf("want 1-64 letters, digits or underscores")
		}
		return nil
	})
}

func workers(name, def, doc string, field func(*Config) *string) Var {
	return checked(str(name, def, doc, field), func(s string) error {
		if s == "auto" {
			return nil
		}
		if n, err := strconv.Atoi(s); err != nil || n < 1 || n > 256 {
			return fmt.Errorf("want auto or a number from 1 to 256")
		}
		return nil
	})
}

func kid(name, def, doc string, field func(*Config) *string) Var {
	return checked(str(name, def, doc, field), checkKID)
}

func checkKID(s string) error {
	if s == "" || len(s) > 32 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
		return fmt.Errorf("want a key id of 1-32 letters, digits, - or _")
	}
	return nil
}

// keyList parses kid:secret pairs; each secret must be 32+ bytes.
func keyList(name, def, doc string, field func(*Config) *map[string]string) Var {
	return Var{Name: name, Default: def, Doc: doc, Secret: true,
		set: func(c *Config, s string) error {
			keys := map[string]string{}
			for _, pair := range strings.Split(s, ",") {
				if pair = strings.TrimSpace(pair); pair == "" {
					continue
				}
				k, secret, ok := strings.Cut(pair, ":")
				if !ok || checkKID(k) != nil || len(secret) < 32 {
					return fmt.Errorf("want kid:secret pairs, each secret at least 32 bytes")
				}
				keys[k] = secret
			}
			*field(c) = keys
			return nil
		},
		get: func(c *Config) string {
			var out []string
			for k := range *field(c) {
				out = append(out, k+":***")
			}
			return strings.Join(out, ",")
		}}
}

func duration(name, def, doc string, field func(*Config) *time.Duration) Var {
	return Var{Name: name, Default: def, Doc: doc,
		set: func(c *Config, s string) error {
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				return fmt.Errorf("want a positive duration such as 500ms or 15s")
			}
			*field(c) = d
			return nil
		},
		get: func(c *Config) string { return field(c).String() }}
}

func rate(name, def, doc string, field func(*Config) *string) Var {
	return checked(str(name, def, doc, field), func(s string) error {
		n, unit, ok := strings.Cut(s, "r/")
		if v, err := strconv.Atoi(n); !ok || err != nil || v < 1 || (unit != "s" && unit != "m") {
			return fmt.Errorf("want a rate such as 50r/s or 600r/m")
		}
		return nil
	})
}

func number(name, def string, lo, hi int, doc string, field func(*Config) *int) Var {
	return Var{Name: name, Default: def, Doc: doc,
		set: func(c *Config, s string) error {
			n, err := strconv.Atoi(s)
			if err != nil || n < lo || n > hi {
				return fmt.Errorf("want a whole number from %d to %d", lo, hi)
			}
			*field(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(*field(c)) }}
}

func fraction(name, def, doc string, field func(*Config) *float64) Var {
	return Var{Name: name, Default: def, Doc: doc,
		set: func(c *Config, s string) error {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || f <= 0 || f >= 0.5 {
				return fmt.Errorf("want a number between 0 and 0.5, such as 0.001")
			}
			*field(c) = f
			return nil
		},
		get: func(c *Config) string { return strconv.FormatFloat(*field(c), 'g', -1, 64) }}
}

func cidrs(name, def, doc string, field func(*Config) *[]string) Var {
	return Var{Name: name, Default: def, Doc: doc,
		set: func(c *Config, s string) error {
			var out []string
			for _, p := range strings.Split(s, ",") {
				if p = strings.TrimSpace(p); p == "" {
					continue
				}
				if _, _, err := net.ParseCIDR(p); err != nil {
					return fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", p)
				}
				out = append(out, p)
			}
			*field(c) = out
			return nil
		},
		get: func(c *Config) string { return strings.Join(*field(c), ",") }}
}

func brokers(name, def, doc string, field func(*Config) *[]string) Var {
	return addrList(name, def, doc, 1, field)
}

// addrList parses comma-separated host:port addresses, wanting at least least of them.
func addrList(name, def, doc string, least int, field func(*Config) *[]string) Var {
	return Var{Name: name, Default: def, Doc: doc,
		set: func(c *Config, s string) error {
			var out []string
			for _, b := range strings.Split(s, ",") {
				if b = strings.TrimSpace(b); b == "" {
					continue
				}
				if err := parseAddr(b); err != nil {
					return fmt.Errorf("address %q: %v", b, err)
				}
				out = append(out, b)
			}
			if len(out) < least {
				return fmt.Errorf("want at least %d host:port", least)
			}
			*field(c) = out
			return nil
		},
		get: func(c *Config) string { return strings.Join(*field(c), ",") }}
}

// Durability is what makes a sale event safe to publish: it can no longer
// be lost by the sale Redis.
type Durability struct {
	Fsync    bool // the sale Redis runs appendfsync always
	Replicas int  // WAIT until this many replicas have the entries (0: no WAIT)
}

// String is d as the setting spells it.
func (d Durability) String() string {
	var parts []string
	if d.Fsync {
		parts = append(parts, "fsync")
	}
	if d.Replicas > 0 {
		parts = append(parts, "wait:"+strconv.Itoa(d.Replicas))
	}
	return strings.Join(parts, "+")
}

// ParseDurability reads fsync, wait:N or fsync+wait:N.
func ParseDurability(s string) (Durability, error) {
	var d Durability
	for _, part := range strings.Split(s, "+") {
		n, isWait := strings.CutPrefix(part, "wait:")
		switch r, err := strconv.Atoi(n); {
		case part == "fsync" && !d.Fsync:
			d.Fsync = true
		case isWait && d.Replicas == 0 && err == nil && r >= 1 && r <= 16:
			d.Replicas = r
		default:
			return d, fmt.Errorf("want fsync, wait:N (1 to 16 replicas) or fsync+wait:N")
		}
	}
	return d, nil
}

func durability(name, def, doc string, field func(*Config) *Durability) Var {
	return Var{Name: name, Default: def, Doc: doc,
		set: func(c *Config, s string) error {
			d, err := ParseDurability(s)
			*field(c) = d
			return err
		},
		get: func(c *Config) string { return field(c).String() }}
}
