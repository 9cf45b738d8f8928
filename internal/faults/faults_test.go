//go:build faults

// Package faults_test is the fault suite: on one running stack, under a
// steady crowd of buyers grabbing, paying and cancelling, it kills each
// part in turn (SIGKILL, as a crash), starts it again, and once the stack
// has settled checks the sale's invariants (package invariants). The sale
// Redis is also brought back from an old copy of its AOF: the stack must
// find the loss, repair the session from MySQL and sell on by itself.
//
// Run it with 'make test-faults' (its own stack, ports +5000).
package faults_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"boxoffice/internal/invariants"
	"boxoffice/internal/sale"
	"boxoffice/internal/testenv"
)

const (
	// settleWithin bounds the wait for the stack to settle after a fault
	// on a busy machine.
	settleWithin = 2 * time.Minute
	// holdsPerPhase is how many grabs must succeed before a fault and
	// again after the restart, so every fault meets a sale in progress.
	holdsPerPhase = 15
)

// suite is the running stack, its crowd of buyers and the checker.
type suite struct {
	sid   int64
	load  *testenv.Crowd
	check *invariants.Checker
	run   string // the stack's run folder
}

func TestFaults(t *testing.T) {
	cfg := testenv.Config(t)
	sess, buyers := testenv.OnSale(t, testenv.SessionSpec{Seats: 4000, HoldSeconds: 4, Limit: 8}, 2000)
	check, err := invariants.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	testenv.WaitRelayed(t, sess.ID)
	s := &suite{sid: sess.ID, check: check, run: cfg.RunDir,
		load: testenv.StartCrowd([]string{"http://" + cfg.EdgeAddr}, cfg.PaygwURL, sess, buyers, 8)}
	defer s.load.End()
	start := time.Now()

	// Each fault starts from the state the one before left: the first
	// that breaks an invariant ends the suite.
	if !s.crash(t, "sale-redis") || !t.Run("sale-redis-old-snapshot", s.oldSnapshot) {
		return
	}
	for _, part := range []string{"mariadb", "devkafka", "relay", "orders", "timeouts", "api", "notify", "edge"} {
		if !s.crash(t, part) {
			return
		}
	}
	t.Logf("every fault in %s; load: %s", time.Since(start).Round(time.Second), s.load)
}

// crash kills part while buyers keep buying, starts it again once the
// buyers have met the outage, and checks the invariants.
func (s *suite) crash(t *testing.T, part string) bool {
	return t.Run(part, func(t *testing.T) {
		began := time.Now()
		s.waitHolds(t, holdsPerPhase)
		failed := s.load.Failed.Load()
		dev(t, "kill", part)
		s.waitTries(t, 40)
		dev(t, "start", part)
		s.waitHolds(t, holdsPerPhase)
		failed = s.load.Failed.Load() - failed
		seen := s.settleAndCheck(t)
		t.Logf("%s: killed, restarted and checked in %s; %d requests retried meanwhile; in flight after: %s",
			part, time.Since(began).Round(100*time.Millisecond), failed, seen)
	})
}

// oldSnapshot copies the sale Redis's AOF while buyers buy, lets them go
// on (grabs, payments, cancels, timeouts), then kills the sale Redis and
// starts it from the old copy. The grabs are paused and the outbox drained
// first: what never left the sale Redis is lost with it, which no repair
// can undo. timeouts must find the session behind MySQL, repair it and let
// it sell again without anyone's help.
func (s *suite) oldSnapshot(t *testing.T) {
	began := time.Now()
	aof := filepath.Join(s.run, "sale-redis", "appendonlydir")
	old := filepath.Join(t.TempDir(), "appendonlydir")
	s.waitHolds(t, holdsPerPhase)
	copyDir(t, aof, old)
	s.waitHolds(t, 2*holdsPerPhase)

	timeouts := "http://" + testenv.Config(t).TimeoutsAddr
	repaired := metric(t, timeouts, "boxoffice_timeouts_repaired_holds_total")
	s.load.Pause()
	paused := true
	defer func() {
		if paused {
			s.load.Resume()
		}
	}()
	s.waitRelayed(t)
	dev(t, "kill", "sale-redis")
	if err := os.RemoveAll(aof); err != nil {
		t.Fatal(err)
	}
	copyDir(t, old, aof)
	dev(t, "start", "sale-redis")
	s.load.Resume()
	paused = false

	s.waitHolds(t, holdsPerPhase)
	testenv.Eventually(t, settleWithin, "timeouts to repair the session from MySQL", func() (bool, string) {
		got := metric(t, timeouts, "boxoffice_timeouts_repaired_holds_total")
		return got > repaired, fmt.Sprintf("repaired holds %v, %v before", got, repaired)
	})
	seen := s.settleAndCheck(t)
	t.Logf("old snapshot: restored, repaired (%v holds) and checked in %s; in flight after: %s",
		metric(t, timeouts, "boxoffice_timeouts_repaired_holds_total")-repaired, time.Since(began).Round(100*time.Millisecond), seen)
}

// settleAndCheck waits until nothing is in flight and checks every
// invariant (testenv.SettleAndCheck).
func (s *suite) settleAndCheck(t *testing.T) string {
	t.Helper()
	return testenv.SettleAndCheck(t, s.check, settleWithin, s.load)
}

// waitHolds waits until the buyers made n more holds.
func (s *suite) waitHolds(t *testing.T, n int64) {
	t.Helper()
	want := s.load.Created.Load() + n
	testenv.Eventually(t, settleWithin, fmt.Sprintf("%d more holds", n), func() (bool, string) {
		return s.load.Created.Load() >= want, s.load.String()
	})
}

// waitTries waits until the buyers sent n more requests: the outage is
// met by the sale.
func (s *suite) waitTries(t *testing.T, n int64) {
	t.Helper()
	want := s.load.Tries.Load() + n
	testenv.Eventually(t, settleWithin, fmt.Sprintf("%d more requests", n), func() (bool, string) {
		return s.load.Tries.Load() >= want, s.load.String()
	})
}

// waitRelayed waits until the session's outbox is relayed to Kafka.
func (s *suite) waitRelayed(t *testing.T) {
	t.Helper()
	key := sale.KeysFor(s.sid).Key(sale.KeyOutbox)
	testenv.Eventually(t, settleWithin, "the outbox relayed", func() (bool, string) {
		n, err := s.check.Sale.XLen(context.Background(), key).Result()
		return err == nil && n == 0, fmt.Sprintf("%d entries, %v", n, err)
	})
}

// dev runs 'boxoffice dev ACTION PART' on the stack.
func dev(t *testing.T, action, part string) {
	t.Helper()
	if out, err := testenv.Run(t, "dev", action, part); err != nil {
		t.Fatalf("dev %s %s: %v\n%s", action, part, err, out)
	}
}

func metric(t *testing.T, base, sample string) float64 {
	t.Helper()
	v, err := invariants.Metric(context.Background(), base, sample)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// copyDir copies the files of folder from into folder to.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatalf("copy %s: %v", from, err)
	}
}
