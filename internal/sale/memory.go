package sale

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/redis"
)

// FullAt is the share of maxmemory at which the sale Redis's memory is an
// alarm: past maxmemory (noeviction) every write is refused.
const FullAt = 0.8

// Memory is the sale Redis's INFO memory: what it uses, its maxmemory
// (0: none) and its eviction policy.
type Memory struct {
	Used   int64
	Max    int64
	Policy string
}

// ReadMemory reads INFO memory of the sale Redis; of a cluster, that of
// its master nearest to trouble: one set up unsafely, else the fullest.
func ReadMemory(ctx context.Context, rdb goredis.UniversalClient) (Memory, error) {
	var mu sync.Mutex
	var worst Memory
	first := true
	err := redis.ForEachMaster(ctx, rdb, func(ctx context.Context, node *goredis.Client) error {
		info, err := node.Info(ctx, "memory").Result()
		if err != nil {
			return err
		}
		m := parseMemory(info)
		mu.Lock()
		defer mu.Unlock()
		if first || m.worse(worst) {
			worst, first = m, false
		}
		return nil
	})
	if err != nil {
		return Memory{}, unavailable(err)
	}
	return worst, nil
}

// worse reports whether m is nearer to trouble than o.
func (m Memory) worse(o Memory) bool {
	if m.Unsafe() != o.Unsafe() {
		return m.Unsafe()
	}
	return m.Ratio() > o.Ratio()
}

// parseMemory reads the fields of INFO memory that Memory holds.
func parseMemory(info string) Memory {
	var m Memory
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		name, value, _ := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		switch name {
		case "used_memory":
			m.Used, _ = strconv.ParseInt(value, 10, 64)
		case "maxmemory":
			m.Max, _ = strconv.ParseInt(value, 10, 64)
		case "maxmemory_policy":
			m.Policy = value
		}
	}
	return m
}

// Ratio is the share of maxmemory in use (0 without a maxmemory).
func (m Memory) Ratio() float64 {
	if m.Max <= 0 {
		return 0
	}
	return float64(m.Used) / float64(m.Max)
}

// Full reports whether the memory in use is at or past FullAt of maxmemory.
func (m Memory) Full() bool { return m.Max > 0 && m.Ratio() >= FullAt }

const noEviction = "noeviction"

// Unsafe reports whether the sale Redis is set up so that it could grow
// without bound (no maxmemory) or evict sale state (a policy other than
// noeviction).
func (m Memory) Unsafe() bool { return m.Max == 0 || m.Policy != noEviction }

// Alarms says, for a person, what is wrong with the sale Redis's memory:
// nearly full, or set up so that it could evict sale state or grow
// without bound.
func (m Memory) Alarms() []string {
	var out []string
	if m.Full() {
		out = append(out, fmt.Sprintf("the sale Redis uses %.0f%% of its maxmemory (%d of %d bytes); when full, every write is refused",
			100*m.Ratio(), m.Used, m.Max))
	}
	if m.Max == 0 {
		out = append(out, "the sale Redis has no maxmemory: it can grow until the machine runs out of memory")
	}
	if m.Policy != noEviction {
		out = append(out, fmt.Sprintf("the sale Redis's maxmemory-policy is %q, not noeviction: it may evict sale state", m.Policy))
	}
	return out
}

// oom reports whether err is Redis refusing a write for want of memory
// (maxmemory reached under noeviction), as a command's or a script's error.
func oom(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "OOM ")
}
