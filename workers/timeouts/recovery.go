package timeouts

import (
	"context"
	"errors"
	"fmt"
	"slices"

	goredis "github.com/redis/go-redis/v9"

	"boxoffice/internal/mysql"
	"boxoffice/internal/recovery"
	"boxoffice/internal/sale"
)

// check is what the loss check found of some sessions.
type check struct {
	runs       map[int64]string // each session's server's run id, read first
	applied    map[int64]mysql.Applied
	lost       []int64 // sessions to repair
	unverified []int64 // sessions to verify: not checked since the server started, nothing lost
}

// waits reports whether session sid waits for the loss check: lost or
// unverified.
func (c *check) waits(sid int64) bool {
	return slices.Contains(c.lost, sid) || slices.Contains(c.unverified, sid)
}

// lost checks sids. A session is lost when MySQL found one of its change
// sequences given twice (however far the sale Redis has counted since), its
// change sequence is behind the one MySQL applied (MySQL is read first:
// Redis counts a change before MySQL can apply it, so a whole Redis is
// never behind), or it is still flagged as being repaired. Otherwise it is
// unverified if it was not checked since the sale Redis started (grabs
// wait for this check, so none could hide a loss). A session whose records
// were trimmed (sale.Retire) had all of it in MySQL then and changes no
// more: its missing records are not a loss.
func (s *Service) lost(ctx context.Context, sids []int64) (*check, error) {
	runs, err := sale.RunIDs(ctx, s.rdb, sids)
	if err != nil {
		return nil, err
	}
	applied, err := mysql.AppliedSeqs(ctx, s.db, sids)
	if err != nil {
		return nil, err
	}
	pipe := s.rdb.Pipeline()
	seqs := make([]*goredis.StringCmd, len(sids))
	flags := make([]*goredis.SliceCmd, len(sids))
	for i, sid := range sids {
		k := sale.KeysFor(sid)
		seqs[i] = pipe.Get(ctx, k.Key("eventseq"))
		flags[i] = pipe.HMGet(ctx, k.Key("meta"), "recovering", sale.MetaTrimmed, sale.MetaVerified)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("read the change sequences: %w", err)
	}
	c := &check{runs: runs, applied: applied}
	for i, sid := range sids {
		have, _ := seqs[i].Int64()
		f := flags[i].Val()
		recovering, trimmed := f[0] != nil, f[1] != nil
		switch {
		case (have < applied[sid].Seq && !trimmed) || applied[sid].Lost > 0 || recovering:
			c.lost = append(c.lost, sid)
		case f[2] != runs[sid]:
			c.unverified = append(c.unverified, sid)
		}
	}
	return c, nil
}

// Recover is one pass of the loss check, at start-up and every
// RecoverEvery: each session whose sale Redis may be behind MySQL is
// flagged (grabs answer 503 recovering, the scan releases nothing of it)
// and repaired from MySQL, after which it resumes, verified. Events still
// on their way to MySQL raise its sequence again, and the next pass
// repairs again. A session armed by a version without packed seat maps
// then gets its map.
func (s *Service) Recover(ctx context.Context) error {
	l, ok, err := s.holdGlobal(ctx, "recover", s.set.RecoverEvery)
	if err != nil || !ok {
		return err
	}
	sids, err := sale.ActiveSessions(ctx, s.rdb)
	if err != nil {
		return err
	}
	c, err := s.lost(ctx, sids)
	if err != nil {
		return err
	}
	var errs []error
	for _, sid := range c.unverified {
		if err := sale.Verify(ctx, s.rdb, sid, c.applied[sid].Seq, c.runs[sid]); err != nil {
			errs = append(errs, fmt.Errorf("session %d: %w", sid, err))
		}
	}
	for _, sid := range c.lost {
		if ctx.Err() != nil || !l.keep(ctx) {
			break
		}
		if err := s.repair(context.WithoutCancel(ctx), sid); err != nil {
			errs = append(errs, fmt.Errorf("session %d: %w", sid, err))
		}
	}
	return errors.Join(append(errs, s.pack(ctx, l, sids))...)
}

// pack builds the packed seat map of each session of sids that has none.
func (s *Service) pack(ctx context.Context, l *lease, sids []int64) error {
	unpacked, err := sale.Unpacked(ctx, s.rdb, sids)
	if err != nil {
		return err
	}
	var errs []error
	for _, sid := range unpacked {
		if ctx.Err() != nil || !l.keep(ctx) {
			break
		}
		built, err := sale.RebuildPacked(context.WithoutCancel(ctx), s.rdb, sid)
		if err != nil {
			errs = append(errs, fmt.Errorf("session %d: packed seat map: %w", sid, err))
		} else if built {
			s.log.Info("built the packed seat map of a session armed without one", "session", sid)
		}
	}
	return errors.Join(errs...)
}

// repair flags session sid and brings it back to MySQL's word (nothing
// changes if nothing was lost).
func (s *Service) repair(ctx context.Context, sid int64) error {
	s.log.Warn("the sale Redis may have lost changes that MySQL has (it restarted, is behind MySQL or gave a change sequence twice): repairing the session; grabs answer 503 meanwhile",
		"session", sid)
	if _, err := sale.MarkRecovering(ctx, s.rdb, sid); err != nil {
		return err
	}
	rec, err := recovery.Session(ctx, s.db, s.rdb, sid, s.set.BloomFP)
	if err != nil {
		return err
	}
	s.m.repaired.Add(float64(rec.Repaired))
	s.m.displaced.Add(float64(rec.Displaced))
	s.log.Warn("session repaired from MySQL; grabs resume", "session", sid, "repaired", rec.Repaired,
		"displaced", rec.Displaced, "conflicts", rec.Conflicts, "seq", rec.Seq)
	return nil
}
