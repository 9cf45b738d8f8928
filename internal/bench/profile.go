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
// and EVALSHA's calls, failures and mean time in Redis, over Seconds.
type Profile struct {
	Seconds          float64            `json:"seconds"`
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
	p := probe{at: time.Now(), cpu: cpuOf(pids)}
	p.evalsha = readEvalsha(ctx, rdb)
	return p
}

// cpuOf is the CPU time of each part (part → pid) so far.
func cpuOf(pids map[string]int) map[string]time.Duration {
	out := make(map[string]time.Duration, len(pids))
	for name, pid := range pids {
		out[name] = treeCPU(pid)
	}
	return out
}

// since is the profile from p to now.
func (p probe) since(ctx context.Context, rdb goredis.UniversalClient, pids map[string]int) Profile {
	now := snapshot(ctx, rdb, pids)
	seconds := now.at.Sub(p.at).Seconds()
	wall := seconds * float64(runtime.NumCPU())
	out := Profile{Seconds: seconds, CPU: map[string]float64{}, EvalshaCalls: now.evalsha.calls - p.evalsha.calls,
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
// workers, for the edge; a Redis's AOF rewrite), live or ended; 0 if /proc
// does not have it.
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
	// state; utime, stime, and those of the children waited for (cutime,
	// cstime: an ended child's time moves there) are the 12th to 15th.
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 15 {
		return 0
	}
	var total int64
	for _, v := range f[11:15] {
		n, _ := strconv.ParseInt(v, 10, 64)
		total += n
	}
	return time.Duration(total) * clockTick
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

// GeneratorPart names the load generator among the parts in CPUPerAnswer.
const GeneratorPart = "generator"

// cpuPerAnswer is the CPU time, in µs, each part and the generator used
// per answer: shares of all cpus over the profile's and the load's
// seconds, divided by the load's requests; "all" is their sum.
func cpuPerAnswer(p Profile, m Measured, cpus int) map[string]float64 {
	if m.Requests == 0 {
		return nil
	}
	out := map[string]float64{}
	per := func(share, seconds float64) float64 {
		return share * seconds * float64(cpus) * 1e6 / float64(m.Requests)
	}
	for name, share := range p.CPU {
		out[name] = per(share, p.Seconds)
	}
	out[GeneratorPart] = per(m.CPU, m.Elapsed.Seconds())
	all := 0.0
	for _, us := range out {
		all += us
	}
	out["all"] = all
	return out
}
