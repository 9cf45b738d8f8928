package bench

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/redis"
)

// Profile is where the machine's CPU went during a load, and what the sale
// Redis ran: the share of all CPUs each part of the stack used (from /proc,
// for the parts whose pid files are in the run folder, children included),
// and EVALSHA's calls, failures and mean time in Redis.
type Profile struct {
	CPU              map[string]float64 `json:"cpu_share"`
	EvalshaCalls     int64              `json:"evalsha_calls"`
	EvalshaFailed    int64              `json:"evalsha_failed"`
	EvalshaUsPerCall float64            `json:"evalsha_us_per_call"`
}

// probe is a snapshot that a later one is compared with.
type probe struct {
	at      time.Time
	cpu     map[string]time.Duration
	evalsha evalshaStats
}

type evalshaStats struct{ calls, usec, failed int64 }

// clockTick is the unit of /proc/<pid>/stat's times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// snapshot reads the parts' CPU times (pids: part → pid) and EVALSHA's
// counters.
func snapshot(ctx context.Context, rdb goredis.UniversalClient, pids map[string]int) probe {
	p := probe{at: time.Now(), cpu: map[string]time.Duration{}}
	for name, pid := range pids {
		p.cpu[name] = treeCPU(pid)
	}
	p.evalsha = readEvalsha(ctx, rdb)
	return p
}

// since is the profile from p to now.
func (p probe) since(ctx context.Context, rdb goredis.UniversalClient, pids map[string]int) Profile {
	now := snapshot(ctx, rdb, pids)
	wall := now.at.Sub(p.at).Seconds() * float64(runtime.NumCPU())
	out := Profile{CPU: map[string]float64{}, EvalshaCalls: now.evalsha.calls - p.evalsha.calls,
		EvalshaFailed: now.evalsha.failed - p.evalsha.failed}
	for name, t := range now.cpu {
		if share := (t - p.cpu[name]).Seconds() / wall; share >= 0.005 {
			out.CPU[name] = share
		}
	}
	if out.EvalshaCalls > 0 {
		out.EvalshaUsPerCall = float64(now.evalsha.usec-p.evalsha.usec) / float64(out.EvalshaCalls)
	}
	return out
}

// stackPIDs reads the pid files the dev stack keeps in runDir/pids.
func stackPIDs(runDir string) map[string]int {
	files, _ := filepath.Glob(filepath.Join(runDir, "pids", "*.pid"))
	out := map[string]int{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil && perr == nil {
			out[strings.TrimSuffix(filepath.Base(f), ".pid")] = pid
		}
	}
	return out
}

// treeCPU is the user and system time of pid and its children (nginx's
// workers, for the edge); 0 if /proc does not have it.
func treeCPU(pid int) time.Duration {
	total := procCPU(pid)
	tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "children"))
	for _, t := range tasks {
		raw, _ := os.ReadFile(t)
		for _, c := range strings.Fields(string(raw)) {
			if child, err := strconv.Atoi(c); err == nil {
				total += procCPU(child)
			}
		}
	}
	return total
}

func procCPU(pid int) time.Duration {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	// The fields after the command name (which may hold spaces) start at
	// state; utime and stime are the 12th and 13th of them.
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * clockTick
}

var evalshaLine = regexp.MustCompile(`cmdstat_evalsha:calls=(\d+),usec=(\d+),.*failed_calls=(\d+)`)

// readEvalsha reads EVALSHA's counters of the sale Redis, summed over the
// masters of a cluster.
func readEvalsha(ctx context.Context, rdb goredis.UniversalClient) evalshaStats {
	var mu sync.Mutex
	var sum evalshaStats
	_ = redis.ForEachMaster(ctx, rdb, func(ctx context.Context, m *goredis.Client) error {
		s := nodeEvalsha(ctx, m)
		mu.Lock()
		sum.calls, sum.usec, sum.failed = sum.calls+s.calls, sum.usec+s.usec, sum.failed+s.failed
		mu.Unlock()
		return nil
	})
	return sum
}

func nodeEvalsha(ctx context.Context, rdb *goredis.Client) evalshaStats {
	info, err := rdb.Info(ctx, "commandstats").Result()
	m := evalshaLine.FindStringSubmatch(info)
	if err != nil || m == nil {
		return evalshaStats{}
	}
	var s evalshaStats
	s.calls, _ = strconv.ParseInt(m[1], 10, 64)
	s.usec, _ = strconv.ParseInt(m[2], 10, 64)
	s.failed, _ = strconv.ParseInt(m[3], 10, 64)
	return s
}
