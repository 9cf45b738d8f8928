// Package config loads boxoffice's settings from the environment.
//
// Every setting is a BOXOFFICE_* variable with a documented default (see Vars).
// Secrets may also come from a KEY=value file in the run folder; the
// environment wins over the file.
package config

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the parsed, validated configuration shared by every command.
type Config struct {
	RunDir      string
	SecretsFile string
	LogLevel    string
	PublicURL   string

	EdgeAddr         string
	EdgeWorkers      string
	EdgeRateIP       string
	EdgeBurstIP      int
	EdgeRateUser     string
	EdgeBurstUser    int
	EdgeRedisTimeout time.Duration
	EdgeRedisPool    int
	EdgeRedisBacklog int
	EdgeStateRefresh time.Duration
	EdgeSeatsTTL     time.Duration
	EdgeRealIPFrom   []string
	APIAddr          string
	NotifyAddr       string
	PaygwAddr        string
	RelayAddr        string
	OrdersAddr       string
	TimeoutsAddr     string
	DevKafkaAddr     string

	SaleRedisAddr      string
	SaleRedisCluster   []string
	SaleRedisPassword  string
	SaleDurability     Durability
	CacheRedisAddr     string
	CacheRedisPassword string

	MySQLAddr     string
	MySQLUser     string
	MySQLPassword string
	MySQLDatabase string

	KafkaBrokers  []string
	KafkaTopic    string
	KafkaDLQTopic string

	PaygwURL          string
	PayWindow         time.Duration
	PaygwRetryBase    time.Duration
	TimeoutsInterval  time.Duration
	SweepInterval     time.Duration
	ReconcileGrace    time.Duration
	ReconcileInterval time.Duration
	OrdersMaxTries    int
	OrdersBatch       int
	RelayBatch        int
	NotifyMaxClients  int

	JWTSecret    string
	JWTKID       string
	JWTPrevious  map[string]string
	JWTTTL       time.Duration
	PaySecret    string
	DemoPassword string
	LuaDir       string

	TrustedProxies []string
	BloomFP        float64

	DepTimeout      time.Duration
	ShutdownTimeout time.Duration
}

// Load reads the environment (and the secrets file, if any) and validates it.
// The error lists every problem at once.
func Load() (*Config, error) {
	return LoadFrom(os.LookupEnv)
}

// LoadFrom is Load with an explicit lookup function, for tests.
func LoadFrom(lookup func(string) (string, bool)) (*Config, error) {
	get, err := WithSecretsFile(lookup)
	if err != nil {
		return nil, err
	}
	c := &Config{}
	var problems []string
	for _, v := range Vars {
		raw, ok := get(v.Name)
		if !ok {
			raw = v.Default
		}
		if err := v.set(c, strings.TrimSpace(raw)); err != nil {
			problems = append(problems, fmt.Sprintf("%s=%q: %v", v.Name, raw, err))
		}
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return c, nil
}

// Require reports, as an *Error, every named setting that is empty.
func (c *Config) Require(names ...string) error {
	var problems []string
	for _, name := range names {
		v, ok := byName[name]
		if !ok {
			panic("config: unknown setting " + name)
		}
		if v.get(c) == "" {
			problems = append(problems, fmt.Sprintf("%s is not set: %s", name, v.Doc))
		}
	}
	if len(problems) > 0 {
		return &Error{Problems: problems}
	}
	return nil
}

// RequireAll checks that every setting marked Required is set.
func (c *Config) RequireAll() error {
	var names []string
	for _, v := range Vars {
		if v.Required {
			names = append(names, v.Name)
		}
	}
	return c.Require(names...)
}

// Error lists configuration problems, each naming its setting.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	return "invalid configuration:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// WithSecretsFile layers the secrets file under the environment.
func WithSecretsFile(lookup func(string) (string, bool)) (func(string) (string, bool), error) {
	path, _ := lookup("BOXOFFICE_SECRETS_FILE")
	explicit := path != ""
	if !explicit {
		dir, ok := lookup("BOXOFFICE_RUN_DIR")
		if !ok || dir == "" {
			dir = byName["BOXOFFICE_RUN_DIR"].Default
		}
		path = filepath.Join(dir, "secrets.env")
	}
	file, err := ReadEnvFile(path)
	if errors.Is(err, os.ErrNotExist) && !explicit {
		return lookup, nil
	}
	if err != nil {
		return nil, &Error{Problems: []string{fmt.Sprintf("BOXOFFICE_SECRETS_FILE=%q: %v", path, err)}}
	}
	return func(name string) (string, bool) {
		if v, ok := lookup(name); ok {
			return v, true
		}
		v, ok := file[name]
		return v, ok
	}, nil
}

// ReadEnvFile parses KEY=value lines; blank lines and # comments are skipped.
func ReadEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want KEY=value", path, n)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, sc.Err()
}

func parseAddr(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("want host:port")
	}
	if host == "" {
		return fmt.Errorf("want host:port with a host (e.g. 127.0.0.1:%s)", port)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("port must be 1-65535")
	}
	return nil
}

// Port returns the port part of a host:port address.
func Port(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}
