package dispatch

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/runs"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// recorder notes the order inputs start in; each waits for a token to finish.
type recorder struct {
	mu       sync.Mutex
	started  []string
	started1 chan string
	finish   chan struct{}
}

func (r *recorder) handle(_ context.Context, in runs.Input) error {
	r.mu.Lock()
	r.started = append(r.started, in.AccountID+"/"+in.ChannelID)
	r.mu.Unlock()
	r.started1 <- in.AccountID
	<-r.finish
	return nil
}

func input(account string, i int) runs.Input {
	return runs.Input{AccountID: account, ChannelID: fmt.Sprint("ch", i), Task: catalog.ImportOrders, Trigger: runs.Manual}
}

// Finding 9: one account's backlog of 2,300 runs must not delay another
// account's single run behind it. The quiet account's run starts before
// any more of the noisy backlog does (ordering, not wall-clock).
func TestNoisyNeighbour(t *testing.T) {
	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprint(workers, " workers"), func(t *testing.T) {
			rec := &recorder{started1: make(chan string, 4000), finish: make(chan struct{})}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			l := NewLocal(ctx, rec.handle, workers, time.Minute, quiet)
			const backlog = 2300
			for i := 0; i < backlog; i++ {
				if err := l.Dispatch(ctx, input("noisy", i)); err != nil {
					t.Fatal(err)
				}
			}
			// The workers are busy with the noisy account's first runs.
			busy := 0
			for busy < max(workers-1, 1) {
				<-rec.started1
				busy++
			}
			if err := l.Dispatch(ctx, input("quiet", 0)); err != nil {
				t.Fatal(err)
			}
			// Let runs finish one at a time until the quiet one starts.
			noisyAfter := 0
			for {
				if workers > 1 && noisyAfter == 0 {
					// A worker is kept free of the noisy account: the
					// quiet run starts without any run finishing.
				} else {
					rec.finish <- struct{}{}
				}
				if acct := <-rec.started1; acct == "quiet" {
					break
				}
				noisyAfter++
				if noisyAfter > workers {
					t.Fatalf("%d noisy runs started after the quiet one was queued and before it", noisyAfter)
				}
			}
			if workers > 1 && noisyAfter != 0 {
				t.Fatalf("with %d workers the quiet run waited behind %d noisy runs", workers, noisyAfter)
			}
			if q := l.Queued(); q < backlog-2*workers-2 {
				t.Fatalf("the noisy backlog drained first (%d left)", q)
			}
			cancel()
			close(rec.finish)
			l.Close()
		})
	}
}

// Every input queued before Close runs; none after.
func TestCloseDrains(t *testing.T) {
	var mu sync.Mutex
	done := map[string]int{}
	l := NewLocal(context.Background(), func(_ context.Context, in runs.Input) error {
		mu.Lock()
		done[in.AccountID]++
		mu.Unlock()
		return nil
	}, 3, time.Minute, quiet)
	for i := 0; i < 50; i++ {
		for _, a := range []string{"a", "b", "c"} {
			if err := l.Dispatch(context.Background(), input(a, i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	l.Close()
	if done["a"] != 50 || done["b"] != 50 || done["c"] != 50 {
		t.Fatalf("ran %v", done)
	}
	if err := l.Dispatch(context.Background(), input("a", 0)); err != ErrClosed {
		t.Fatalf("dispatch after close: %v", err)
	}
}

// Each account's runs start in the order it queued them.
func TestPerAccountOrder(t *testing.T) {
	var mu sync.Mutex
	var got []string
	l := NewLocalCapped(context.Background(), func(_ context.Context, in runs.Input) error {
		mu.Lock()
		got = append(got, in.ChannelID)
		mu.Unlock()
		return nil
	}, 1, 1, time.Minute, quiet)
	for i := 0; i < 20; i++ {
		_ = l.Dispatch(context.Background(), input("a", i))
	}
	l.Close()
	for i, ch := range got {
		if ch != fmt.Sprint("ch", i) {
			t.Fatalf("run %d was %s", i, ch)
		}
	}
}
