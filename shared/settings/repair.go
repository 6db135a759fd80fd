package settings

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/autosync/autosync/shared/schedule"
	"github.com/autosync/autosync/shared/store"
)

// RepairReport says what a repair did.
type RepairReport struct {
	// Converged counts records made to agree with their setting and channel.
	Converged int `json:"converged"`
	Applied   int `json:"applied"`
	Restored  int `json:"restored"`
	// Corrected counts schedules found unlike their record (state,
	// interval, input, delivery) and Put again.
	Corrected int `json:"corrected"`
	Orphans   int `json:"orphans_deleted"`
	Failed    int `json:"failed"`
}

// RepairLimits bound one repair pass, so a pass costs the same at 100
// schedules and at 2 million. Zero fields take DefaultRepairLimits'.
type RepairLimits struct {
	// Pending is how many queued records (schedules, then subscriptions)
	// one pass applies; the rest wait for the next pass.
	Pending int
	// Sweep is how many schedule records one pass walks: each is
	// converged with its setting and channel, and a wanted one is checked
	// at the Scheduler. Every record is walked once per
	// ceil(records/Sweep) passes.
	Sweep int
	// ListPages is how many pages of the Scheduler's list one pass reads
	// to find schedules no record wants (100 names a page on EventBridge).
	ListPages int
	// Migrate is how many records of the legacy single partition one
	// pass moves to their shards (and subscription records it indexes).
	Migrate int
	// Workers is how many Scheduler and store checks run at once.
	Workers int
}

// DefaultRepairLimits: with repair every 10 minutes, 15,000 records a pass
// walks 2.1 million records (100,000 merchants) in 140 passes, under a day,
// and 150 pages of 100 names list them in the same time.
var DefaultRepairLimits = RepairLimits{Pending: 5000, Sweep: 15000, ListPages: 150, Migrate: 20000, Workers: 16}

func (s *Service) limits() RepairLimits {
	l, d := s.RepairLimits, DefaultRepairLimits
	if l.Pending <= 0 {
		l.Pending = d.Pending
	}
	if l.Sweep <= 0 {
		l.Sweep = d.Sweep
	}
	if l.ListPages <= 0 {
		l.ListPages = d.ListPages
	}
	if l.Migrate <= 0 {
		l.Migrate = d.Migrate
	}
	if l.Workers <= 0 {
		l.Workers = d.Workers
	}
	return l
}

// RepairStats says what one pass read and called.
type RepairStats struct {
	Queued    int // queue markers read
	Swept     int // schedule records walked by the sweep
	Verified  int // Scheduler Get calls
	Listed    int // names read from the Scheduler's list
	ListPages int
	Migrated  int
	// SweepDone and ListDone: the record sweep, or the walk of the
	// Scheduler's list, finished a cycle in this pass.
	SweepDone bool
	ListDone  bool
}

// The sweep's cursor, kept between passes.
const sweepPK, sweepSK = "SCHEDMETA", "sweep"

type sweepState struct {
	// Shard and After: where the record sweep resumes.
	Shard int    `json:"shard"`
	After string `json:"after,omitempty"`
	// CycleStarted is when the current record sweep cycle began;
	// LastCycle how long the previous one took (the period within which
	// every record was checked).
	CycleStarted time.Time     `json:"cycle_started"`
	LastCycle    time.Duration `json:"last_cycle,omitempty"`
	// ListToken resumes the walk of the Scheduler's list.
	ListToken     string        `json:"list_token,omitempty"`
	ListStarted   time.Time     `json:"list_started"`
	LastListCycle time.Duration `json:"last_list_cycle,omitempty"`
	// QueueShard is the queue partition the next pass reads first, so a
	// backlog larger than one pass drains every shard in turn.
	QueueShard int `json:"queue_shard,omitempty"`
	// SubsIndexed: every subscription record written before the queue
	// existed has been looked at; SubsAfter resumes that walk.
	SubsIndexed bool   `json:"subs_indexed,omitempty"`
	SubsAfter   string `json:"subs_after,omitempty"`
}

// Repair converges the Scheduler (and the carts' webhook subscriptions) on
// the records, in bounded work per pass:
//
//   - every queued (pending) record is converged and applied: a crash
//     between a settings write and its Scheduler call, or an outage, is
//     finished by the next pass;
//   - a sweep walks a bounded slice of the schedule records with a cursor
//     kept in the store: each is converged with its setting and its
//     channel's status, and a wanted, applied one is read back from the
//     Scheduler: re-created if lost, Put again if unlike its record
//     (disabled while active, another interval or input, or a delivery
//     the adapter reports changed);
//   - a second walk reads a bounded number of pages of the Scheduler's
//     list with a kept token, and deletes schedules no record wants.
//
// At the default limits both walks finish within a day at 100,000
// merchants; with fewer records than one pass's limits, one pass does
// everything the unbounded repair did.
func (s *Service) Repair(ctx context.Context) (RepairReport, error) {
	rep, st, err := s.repair(ctx)
	s.Log.InfoContext(ctx, "schedule repair", "queued", st.Queued, "swept", st.Swept, "verified", st.Verified,
		"listed", st.Listed, "list_pages", st.ListPages, "migrated", st.Migrated,
		"sweep_cycle_done", st.SweepDone, "list_cycle_done", st.ListDone,
		"applied", rep.Applied, "restored", rep.Restored, "orphans", rep.Orphans, "converged", rep.Converged, "failed", rep.Failed)
	return rep, err
}

// pass is one repair's working state, shared by its workers.
type pass struct {
	s     *Service
	lim   RepairLimits
	accts *accountCache

	mu    sync.Mutex
	rep   RepairReport
	stats RepairStats
	errs  []error
	// done: records this pass already converged and applied.
	done map[string]bool
}

func (p *pass) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rep.Failed++
	p.errs = append(p.errs, err)
}

// note records an error that is not a failed record (a read of a queue or
// the cursor).
func (p *pass) note(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errs = append(p.errs, err)
}

func (p *pass) count(f func(r *RepairReport)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.rep)
}

func (s *Service) repair(ctx context.Context) (RepairReport, RepairStats, error) {
	p := &pass{s: s, lim: s.limits(), accts: newAccountCache(), done: map[string]bool{}}
	cur, err := store.GetDoc[sweepState](ctx, s.Store, sweepPK, sweepSK)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return p.rep, p.stats, fmt.Errorf("load repair cursor: %w", err)
	}
	st := cur.Value
	p.migrate(ctx)
	p.queue(ctx, &st)
	verify := p.sweep(ctx, &st)
	listed, all := p.list(ctx, &st)
	p.verify(ctx, verify, listed, all)
	p.subs(ctx, &st)
	if _, err := store.PutDoc(ctx, s.Store, sweepPK, sweepSK, st, store.AtVersion(cur.Version)); err != nil {
		// A concurrent pass moved the cursor on; its cursor stands.
		if !errors.Is(err, store.ErrConditionFailed) {
			p.note(fmt.Errorf("save repair cursor: %w", err))
		}
	}
	return p.rep, p.stats, errors.Join(p.errs...)
}

// migrate moves a bounded batch of legacy records to their shards. Moved
// items leave the legacy partition, so every pass reads from its start.
func (p *pass) migrate(ctx context.Context) {
	var items []store.Item
	_, err := store.All(ctx, p.s.Store, store.Query{PK: legacySchedPK, Limit: min(p.lim.Migrate, 1000)}, p.lim.Migrate, func(it store.Item) (bool, error) {
		items = append(items, it)
		return true, nil
	})
	if err != nil {
		p.note(fmt.Errorf("read legacy schedule records: %w", err))
	}
	for _, it := range items {
		err := p.s.migrate(ctx, it)
		if errors.Is(err, store.ErrConditionFailed) {
			// Written to both partitions (an old and a new version of the
			// code side by side during a deploy): the shard's copy stands,
			// and the sweep converges it with its setting.
			if _, gerr := p.s.Store.Get(ctx, schedPKOf(it.SK), it.SK); gerr == nil {
				err = p.s.Store.Delete(ctx, legacySchedPK, it.SK, store.AtVersion(it.Version))
			}
			if errors.Is(err, store.ErrConditionFailed) {
				continue
			}
		}
		if err != nil {
			p.fail(err)
			continue
		}
		p.stats.Migrated++
	}
}

// queue converges and applies queued schedule records, reading the queue
// partitions from st.QueueShard on, at most lim.Pending markers.
func (p *pass) queue(ctx context.Context, st *sweepState) {
	budget := p.lim.Pending
	for i := range schedShards {
		shard := (st.QueueShard + i) % schedShards
		if budget == 0 {
			st.QueueShard = shard
			return
		}
		var marks []store.Item
		_, err := store.All(ctx, p.s.Store, store.Query{PK: schedQueuePK(shard), Limit: min(budget, 1000)}, budget, func(it store.Item) (bool, error) {
			marks = append(marks, it)
			return true, nil
		})
		if err != nil {
			p.note(fmt.Errorf("read schedule queue %d: %w", shard, err))
			continue
		}
		budget -= len(marks)
		p.stats.Queued += len(marks)
		// Each is a Scheduler call or two: the workers overlap them.
		p.each(len(marks), func(i int) error {
			p.one(ctx, marks[i].SK, &marks[i], nil)
			return nil
		})
	}
}

// one converges the named record (read now, or as the sweep read it) and
// applies it when pending. With a marker, a record found not pending (or
// gone) has its marker removed, conditioned on the marker as read: a change
// since re-queued it. It returns the record when it is wanted and applied,
// to be checked at the Scheduler.
func (p *pass) one(ctx context.Context, name string, mark *store.Item, read *store.Item) (record, bool) {
	p.mu.Lock()
	seen := p.done[name]
	p.done[name] = true
	p.mu.Unlock()
	if seen {
		return record{}, false
	}
	var d store.Doc[record]
	var err error
	if read != nil {
		d.Version = read.Version
		d.Value, err = store.Decode[record](*read)
	} else {
		d, err = p.s.getRecord(ctx, name, true)
	}
	if errors.Is(err, store.ErrNotFound) {
		p.unmark(ctx, mark)
		return record{}, false
	}
	if err != nil {
		p.fail(fmt.Errorf("load schedule record %s: %w", name, err))
		return record{}, false
	}
	r := d.Value
	fixed, err := p.s.converge(ctx, p.accts, d)
	if err != nil {
		p.fail(err)
	} else if fixed != nil {
		p.count(func(r *RepairReport) { r.Converged++ })
		r = *fixed
	}
	if !r.pending() {
		p.unmark(ctx, mark)
		return r, r.Want
	}
	if err := p.s.apply(ctx, name); err != nil {
		p.fail(err)
		return record{}, false
	}
	p.count(func(r *RepairReport) { r.Applied++ })
	return record{}, false
}

func (p *pass) unmark(ctx context.Context, mark *store.Item) {
	if mark == nil {
		return
	}
	if err := p.s.Store.Delete(ctx, mark.PK, mark.SK, store.AtVersion(mark.Version)); err != nil && !errors.Is(err, store.ErrConditionFailed) {
		p.note(fmt.Errorf("unqueue %s: %w", mark.SK, err))
	}
}

// sweep walks up to lim.Sweep records from the cursor, converging each and
// applying what is pending; it returns the wanted, applied ones to check at
// the Scheduler. It stops after one full cycle, so a small table is walked
// once per pass.
func (p *pass) sweep(ctx context.Context, st *sweepState) []record {
	var verify []record
	budget := p.lim.Sweep
	now := p.s.now()
	if st.CycleStarted.IsZero() {
		st.CycleStarted = now
	}
	for step := 0; step < schedShards && budget > 0; step++ {
		var items []store.Item
		last, err := store.All(ctx, p.s.Store, store.Query{PK: schedShardPK(st.Shard), After: st.After, Limit: min(budget, 1000)}, budget, func(it store.Item) (bool, error) {
			items = append(items, it)
			return true, nil
		})
		if err != nil {
			p.note(fmt.Errorf("sweep schedule records: %w", err))
			return verify
		}
		budget -= len(items)
		p.stats.Swept += len(items)
		// Each record costs two reads (its channel and setting): the
		// workers overlap them.
		check := make([]record, len(items))
		p.each(len(items), func(i int) error {
			if r, ok := p.one(ctx, items[i].SK, nil, &items[i]); ok && r.AppliedInterval != "" {
				check[i] = r
			}
			return nil
		})
		for _, r := range check {
			if r.AppliedInterval != "" {
				verify = append(verify, r)
			}
		}
		if last != "" {
			st.After = last // stopped inside the shard
			return verify
		}
		st.Shard, st.After = st.Shard+1, ""
		if st.Shard == schedShards {
			st.Shard = 0
			st.LastCycle, st.CycleStarted = now.Sub(st.CycleStarted), now
			p.stats.SweepDone = true
			return verify
		}
	}
	return verify
}

// list reads up to lim.ListPages pages of the Scheduler's list from the
// kept token and deletes listed schedules no record wants. It returns the
// names listed, and whether they are the whole list (walked from its start
// to its end in this pass), which makes a Scheduler check of each record
// unnecessary.
func (p *pass) list(ctx context.Context, st *sweepState) (map[string]bool, bool) {
	listed := map[string]bool{}
	var names []string
	all := false
	if pg, ok := p.s.Scheduler.(schedule.Pager); ok {
		fresh := st.ListToken == ""
		if fresh {
			st.ListStarted = p.s.now()
		}
		for range p.lim.ListPages {
			page, next, err := pg.ListPage(ctx, st.ListToken, 100)
			if errors.Is(err, schedule.ErrInvalidToken) && st.ListToken != "" {
				// Kept, it would stop the walk (and orphan deletion)
				// for good: the next pass starts the list over.
				p.s.Log.WarnContext(ctx, "schedule list token refused; the walk starts over", "err", err)
				st.ListToken = ""
				break
			}
			if err != nil {
				p.fail(fmt.Errorf("list schedules: %w", err))
				break
			}
			p.stats.ListPages++
			names = append(names, page...)
			st.ListToken = next
			if next == "" {
				st.LastListCycle = p.s.now().Sub(st.ListStarted)
				p.stats.ListDone, all = true, fresh
				break
			}
		}
	} else {
		got, err := p.s.Scheduler.List(ctx)
		if err != nil {
			p.fail(fmt.Errorf("list schedules: %w", err))
		} else {
			names, all = got, true
			p.stats.ListPages, p.stats.ListDone = 1, true
		}
	}
	p.stats.Listed = len(names)
	for _, n := range names {
		listed[n] = true
	}
	orphan := make([]bool, len(names))
	p.each(len(names), func(i int) error {
		d, err := p.s.getRecord(ctx, names[i], false)
		switch {
		case errors.Is(err, store.ErrNotFound):
			orphan[i] = true
		case err != nil:
			return fmt.Errorf("load schedule record %s: %w", names[i], err)
		default:
			// An unwanted, pending record is deleted by its apply.
			orphan[i] = !d.Value.Want && !d.Value.pending()
		}
		return nil
	})
	for i, n := range names {
		if !orphan[i] {
			continue
		}
		if err := p.s.Scheduler.Delete(ctx, n); err != nil {
			p.fail(fmt.Errorf("delete orphan schedule %s: %w", n, err))
			continue
		}
		delete(listed, n)
		p.rep.Orphans++
	}
	return listed, all
}

// verify checks the swept records' schedules at the Scheduler: one it lost
// (known from the list when it was read whole in this pass) is re-created,
// and one unlike its record (disabled while the record is active, another
// interval or input, a delivery the adapter reports changed) is Put again.
func (p *pass) verify(ctx context.Context, recs []record, listed map[string]bool, all bool) {
	const (
		ok = iota
		lost
		unlike
	)
	found := make([]int, len(recs))
	p.each(len(recs), func(i int) error {
		name := recs[i].name()
		if all && !listed[name] {
			found[i] = lost
			return nil
		}
		p.mu.Lock()
		p.stats.Verified++
		p.mu.Unlock()
		got, err := p.s.Scheduler.Get(ctx, name)
		if errors.Is(err, schedule.ErrNotFound) {
			found[i] = lost
			return nil
		}
		if err != nil {
			return fmt.Errorf("check schedule %s: %w", name, err)
		}
		if why := unlikeRecord(got, recs[i]); why != "" {
			p.s.Log.WarnContext(ctx, "schedule unlike its record", "account", recs[i].Account, "channel", recs[i].Channel,
				"task", recs[i].Task, "schedule", name, "differs", why)
			found[i] = unlike
		}
		return nil
	})
	for i, r := range recs {
		if found[i] == ok {
			continue
		}
		reapplied, err := p.s.restore(ctx, r.name())
		if err != nil {
			p.fail(err)
			continue
		}
		if reapplied && found[i] == lost {
			p.rep.Restored++
		} else if reapplied {
			p.rep.Corrected++
		}
	}
}

// unlikeRecord says how the Scheduler's schedule got differs from what
// applying r Puts, "" when it does not.
func unlikeRecord(got schedule.Schedule, r record) string {
	want := r.schedule(r.name())
	switch {
	case got.Enabled != want.Enabled:
		return fmt.Sprintf("enabled %v, want %v", got.Enabled, want.Enabled)
	case got.Interval != want.Interval:
		return fmt.Sprintf("interval %s, want %s", got.Interval, want.Interval)
	case !sameJSON(got.Input, want.Input):
		return "input"
	case got.Drift != "":
		return got.Drift
	}
	return ""
}

func sameJSON(a, b []byte) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// each runs fn for 0..n-1 on lim.Workers goroutines, recording failures.
func (p *pass) each(n int, fn func(i int) error) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, p.lim.Workers)
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(i); err != nil {
				p.fail(err)
			}
		}()
	}
	wg.Wait()
}

// restore re-creates a schedule recorded as applied that the Scheduler
// lacks, or Puts again one unlike its record: the record is made pending,
// then applied as usual. A record that
// changed since it was swept (unwanted, or pending) is left to its applier.
func (s *Service) restore(ctx context.Context, name string) (bool, error) {
	d, err := s.getRecord(ctx, name, true)
	if err != nil {
		return false, fmt.Errorf("load schedule record %s: %w", name, err)
	}
	r := d.Value
	if !r.Want || r.pending() {
		return false, nil
	}
	r.Gen++
	if err := s.putRecord(ctx, name, r, d.Version); err != nil {
		return false, fmt.Errorf("mark %s pending: %w", name, err)
	}
	return true, s.apply(ctx, name)
}

// subs applies queued subscription records. Until every record written
// before the queue existed has been looked at, it first queues the pending
// ones of a bounded slice of those.
func (p *pass) subs(ctx context.Context, st *sweepState) {
	if !st.SubsIndexed {
		p.indexSubs(ctx, st)
	}
	budget := max(p.lim.Pending-p.stats.Queued, 1)
	var marks []store.Item
	_, err := store.All(ctx, p.s.Store, store.Query{PK: subsQueuePK, Limit: min(budget, 1000)}, budget, func(it store.Item) (bool, error) {
		marks = append(marks, it)
		return true, nil
	})
	if err != nil {
		p.note(fmt.Errorf("read subscription queue: %w", err))
	}
	p.stats.Queued += len(marks)
	for _, m := range marks {
		d, err := store.GetDoc[subRecord](ctx, p.s.Store, subsPK, m.SK)
		if errors.Is(err, store.ErrNotFound) || (err == nil && d.Value.Gen == d.Value.AppliedGen) {
			p.unmark(ctx, &m)
			continue
		}
		if err != nil {
			p.fail(fmt.Errorf("load subscription record %s: %w", m.SK, err))
			continue
		}
		if err := p.s.applySub(ctx, m.SK); err != nil {
			p.fail(err)
			continue
		}
		p.rep.Applied++
	}
}

// indexSubs queues pending subscription records written before the queue
// existed. A marker put for a record applied meanwhile is removed by the
// queue's reader.
func (p *pass) indexSubs(ctx context.Context, st *sweepState) {
	var keys []string
	last, err := store.All(ctx, p.s.Store, store.Query{PK: subsPK, After: st.SubsAfter, Limit: min(p.lim.Migrate, 1000)}, p.lim.Migrate, func(it store.Item) (bool, error) {
		r, err := store.Decode[subRecord](it)
		if err == nil && r.Gen != r.AppliedGen {
			keys = append(keys, it.SK)
		}
		return true, err
	})
	if err != nil {
		p.note(fmt.Errorf("index subscription records: %w", err))
		return
	}
	for _, k := range keys {
		m, err := markerOp(subsQueuePK, k)
		if err == nil {
			_, err = p.s.Store.Put(ctx, m.Item, store.NoCond)
		}
		if err != nil {
			p.note(fmt.Errorf("queue subscription %s: %w", k, err))
			return
		}
	}
	st.SubsAfter, st.SubsIndexed = last, last == ""
}
