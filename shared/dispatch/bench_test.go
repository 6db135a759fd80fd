package dispatch

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/runs"
)

// BenchmarkNoisyNeighbour reports how long one account's single run waits
// for a worker while another account has 2,300 runs queued (each 2 ms of
// work, 4 workers, as make dev), queued once the backlog is being worked.
// A figure, not a pass/fail timing.
func BenchmarkNoisyNeighbour(b *testing.B) {
	for range b.N {
		ctx, cancel := context.WithCancel(context.Background())
		started := make(chan time.Time, 1)
		var noisyStarted atomic.Int32
		settled := make(chan struct{})
		l := NewLocal(ctx, func(ctx context.Context, in runs.Input) error {
			if in.AccountID == "quiet" {
				started <- time.Now()
				return nil
			}
			if noisyStarted.Add(1) == 20 {
				close(settled) // the backlog is queued and being worked
			}
			select {
			case <-time.After(2 * time.Millisecond):
			case <-ctx.Done():
			}
			return nil
		}, 4, time.Minute, quiet)
		for i := range 2300 {
			_ = l.Dispatch(ctx, input("noisy", i))
		}
		<-settled
		queued := time.Now()
		_ = l.Dispatch(ctx, input("quiet", 0))
		wait := (<-started).Sub(queued)
		left := l.Queued()
		cancel()
		l.Close()
		b.ReportMetric(float64(wait.Microseconds())/1000, "quiet-wait-ms")
		b.ReportMetric(float64(left), "noisy-still-queued")
	}
}
