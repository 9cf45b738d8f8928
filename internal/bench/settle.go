package bench

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/redis"
	"boxoffice/internal/sale"
)

// sessionBytes is about what a bench session takes in the sale Redis with
// every seat held (53 MB measured for 50,000 seats and 200,000 buyers).
func sessionBytes(seats, buyers int) int64 { return int64(seats)*1024 + int64(buyers)*64 }

// roomFor refuses a sale Redis whose maxmemory leaves less than need bytes
// (of a cluster, its fullest master, the need shared evenly): the target's
// grabs would be refused (503) once it is full.
func roomFor(ctx context.Context, rdb goredis.UniversalClient, need int64) error {
	var masters atomic.Int64
	_ = redis.ForEachMaster(ctx, rdb, func(context.Context, *goredis.Client) error { masters.Add(1); return nil })
	share := need / max(masters.Load(), 1)
	m, err := sale.ReadMemory(ctx, rdb)
	if err != nil {
		return fmt.Errorf("sale Redis: INFO memory: %w", err)
	}
	if m.Max > 0 && m.Used+share > m.Max {
		return fmt.Errorf("the sale Redis uses %d MB of its maxmemory of %d MB, and this target needs about %d MB more: "+
			"run the bench on a fresh stack (make bench does), or with fewer --seats and --buyers",
			m.Used>>20, m.Max>>20, share>>20)
	}
	return nil
}

// settle readies the sale Redis (each master of a cluster) for a load that
// adds at most room bytes to its AOF: it rewrites the AOF now when Redis
// would do it on its own within room, and waits for any rewrite or save to
// end, so a fork that copies the whole data set does not fall in one
// target's time and not in another's.
func settle(ctx context.Context, rdb goredis.UniversalClient, room int64, progress io.Writer, label string) error {
	return redis.ForEachMaster(ctx, rdb, func(ctx context.Context, m *goredis.Client) error {
		p, err := readPersistence(ctx, m)
		if err != nil {
			return err
		}
		if p.rewriteDue(room) {
			// Redis may have begun one since it was read: wait for that.
			if err := m.BgRewriteAOF(ctx).Err(); err != nil && !strings.Contains(err.Error(), "already in progress") {
				return fmt.Errorf("sale Redis %s: BGREWRITEAOF: %w", m.Options().Addr, err)
			}
			p.busy = true
		}
		if p.busy {
			fmt.Fprintf(progress, "%s: waiting for the sale Redis %s to finish writing its AOF or snapshot\n", label, m.Options().Addr)
		}
		for p.busy {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
			if p, err = readPersistence(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// persistence is what INFO persistence and CONFIG tell of a Redis's AOF.
type persistence struct {
	busy                    bool  // a rewrite or save is running or scheduled
	aof                     bool  // the AOF is on
	current, base           int64 // the AOF's size now and after its last rewrite
	autoPercent, autoMinLen int64 // auto-aof-rewrite-percentage, -min-size
}

var infoField = regexp.MustCompile(`(?m)^(\w+):(\d+)\r?$`)

func readPersistence(ctx context.Context, m *goredis.Client) (persistence, error) {
	info, err := m.Info(ctx, "persistence").Result()
	if err != nil {
		return persistence{}, fmt.Errorf("sale Redis %s: INFO persistence: %w", m.Options().Addr, err)
	}
	f := map[string]int64{}
	for _, kv := range infoField.FindAllStringSubmatch(info, -1) {
		f[kv[1]], _ = strconv.ParseInt(kv[2], 10, 64)
	}
	p := persistence{busy: f["aof_rewrite_in_progress"]+f["aof_rewrite_scheduled"]+f["rdb_bgsave_in_progress"] > 0,
		aof: f["aof_enabled"] == 1, current: f["aof_current_size"], base: f["aof_base_size"]}
	// Without CONFIG (renamed away), the AOF is not rewritten here: only
	// waited for.
	if cfg, err := m.ConfigGet(ctx, "auto-aof-rewrite-*").Result(); err == nil {
		p.autoPercent, _ = strconv.ParseInt(cfg["auto-aof-rewrite-percentage"], 10, 64)
		p.autoMinLen, _ = strconv.ParseInt(cfg["auto-aof-rewrite-min-size"], 10, 64)
	}
	return p, nil
}

// rewriteDue tells whether Redis would rewrite the AOF on its own within
// room more bytes: at auto-aof-rewrite-percentage growth over the base
// size, once past auto-aof-rewrite-min-size.
func (p persistence) rewriteDue(room int64) bool {
	if !p.aof || p.busy || p.autoPercent <= 0 {
		return false
	}
	base := max(p.base, 1)
	at := max(p.autoMinLen, base+base*p.autoPercent/100)
	return p.current+room >= at
}

// restShare is how little CPU the stack's parts may use together, as a
// share of one core over restWindow, for the stack to be at rest; restWait
// is how long rest waits for that before the load starts anyway.
const (
	restShare  = 0.15
	restWindow = 500 * time.Millisecond
	restWait   = 30 * time.Second
)

// rest waits until the stack's parts (pids) are at rest: the work an
// earlier target left behind (InnoDB flushing its rows, the pipeline's
// last batches, a sweep) would otherwise run in this target's time.
func rest(ctx context.Context, pids map[string]int, progress io.Writer, label string) error {
	deadline := time.Now().Add(restWait)
	said := false
	for {
		before := cpuOf(pids)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(restWindow):
		}
		busiest, share := "", 0.0
		total := 0.0
		for name, t := range cpuOf(pids) {
			s := (t - before[name]).Seconds() / restWindow.Seconds()
			total += s
			if s > share {
				busiest, share = name, s
			}
		}
		if total < restShare {
			return nil
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(progress, "%s: the stack is still busy after %s (%s %.0f%% of a core); starting anyway\n",
				label, restWait, busiest, 100*share)
			return nil
		}
		if !said {
			fmt.Fprintf(progress, "%s: waiting for the stack to rest (%s %.0f%% of a core)\n", label, busiest, 100*share)
			said = true
		}
	}
}
