package settings

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store/boltstore"
)

// benchInstall is a seeded installation, kept across a size's runs: the
// seeding of a million records takes minutes, a pass about a second.
type benchInstall struct {
	svc   *Service
	cs    *countingStore
	sched *pagedScheduler
	names []string
	next  int // the next record to make pending
}

var benchInstalls = map[int]*benchInstall{}

func benchInstallOf(b *testing.B, records int) *benchInstall {
	if in, ok := benchInstalls[records]; ok {
		return in
	}
	// The database goes to memory where the machine has it: the benchmark
	// measures reads and calls, not the disk's fsync.
	dir := "/dev/shm"
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		dir = os.TempDir()
	}
	dir, err := os.MkdirTemp(dir, "autosync-repair-bench-")
	if err != nil {
		b.Fatal(err)
	}
	benchDirs = append(benchDirs, dir)
	st, err := boltstore.Open(filepath.Join(dir, "db"))
	if err != nil {
		b.Fatal(err)
	}
	cs := &countingStore{Store: st}
	now := func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }
	sealer, _ := seal.NewAESGCM(make([]byte, 32))
	sched := newPaged()
	svc := &Service{Store: cs, Scheduler: sched, Now: now,
		Channels: &channels.Repo{Store: cs, Sealer: sealer, Now: now},
		Runs:     &runs.Repo{Store: cs, Now: now},
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil))}
	start := time.Now()
	names := seedApplied(b, svc, sched, records/(benchChannels*len(benchTasks)))
	b.Logf("seeded %d schedule records in %s", len(names), time.Since(start).Round(time.Second))
	in := &benchInstall{svc: svc, cs: cs, sched: sched, names: names}
	benchInstalls[records] = in
	return in
}

var benchDirs []string

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range benchDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// BenchmarkRepair measures one repair pass over a converged installation
// of records schedule records (20 per merchant) of which pending were left
// pending by failed Scheduler calls, at the default limits (or, queue-only,
// with the walks reduced to one record and one page). Reported per
// pass: store items read and calls, Scheduler calls, records swept and
// names listed; the sweep period follows from records / swept passes.
func BenchmarkRepair(b *testing.B) {
	// queueOnly sets the walks' limits to one record and one page, to
	// show the queue's share of a pass: proportional to pending.
	for _, c := range []struct {
		records, pending int
		queueOnly        bool
	}{
		{10_000, 100, false}, {100_000, 100, false}, {100_000, 1000, false}, {1_000_000, 100, false},
		{100_000, 100, true}, {100_000, 1000, true}, {1_000_000, 100, true}, {1_000_000, 1000, true},
	} {
		name := fmt.Sprintf("records=%d/pending=%d", c.records, c.pending)
		if c.queueOnly {
			name += "/queue-only"
		}
		b.Run(name, func(b *testing.B) {
			if testing.Short() && c.records > 100_000 {
				b.Skip("a million records take minutes to seed")
			}
			in := benchInstallOf(b, c.records)
			in.svc.RepairLimits = RepairLimits{}
			if c.queueOnly {
				in.svc.RepairLimits = RepairLimits{Sweep: 1, ListPages: 1}
			}
			ctx := context.Background()
			var items, calls, sched, swept, listed, verified int64
			for b.Loop() {
				b.StopTimer()
				batch := make([]string, c.pending)
				for i := range batch {
					batch[i] = in.names[in.next%len(in.names)]
					in.next += 7919 // spread over accounts and shards
				}
				makePending(b, in.svc, batch)
				in.cs.reset()
				before := in.sched.calls()
				b.StartTimer()
				rep, st, err := in.svc.repair(ctx)
				b.StopTimer()
				if err != nil || rep.Applied != c.pending {
					b.Fatalf("repair %+v %v", rep, err)
				}
				items += in.cs.items.Load()
				calls += in.cs.gets.Load() + in.cs.queries.Load()
				sched += in.sched.calls() - before
				swept += int64(st.Swept)
				listed += int64(st.Listed)
				verified += int64(st.Verified)
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(float64(items)/n, "items-read/op")
			b.ReportMetric(float64(calls)/n, "store-reads/op")
			b.ReportMetric(float64(sched)/n, "scheduler-calls/op")
			b.ReportMetric(float64(swept)/n, "swept/op")
			b.ReportMetric(float64(listed)/n, "listed/op")
			b.ReportMetric(float64(verified)/n, "gets/op")
			if swept > 0 {
				b.ReportMetric(float64(len(in.names))/(float64(swept)/n), "passes/cycle")
			}
		})
	}
}
