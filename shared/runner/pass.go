package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/runs"
)

// pageFunc fetches and applies one page of window w (its Phase and Cursor)
// and returns the cursor of the next page, empty after the last.
type pageFunc func(ctx context.Context, w *runs.Window) (next string, err error)

// pass runs a checkpointed pass over the cart window [watermark − overlap,
// now), phase by phase, page by page. The window's upper bound is taken
// before the first read, so a record changing during the pass is read by the
// next one, not lost; the overlap re-reads the edge, and the idempotent
// appliers make re-reading harmless. Progress is committed with the lease
// at least every CommitEvery of work (every page of a manual run), when the
// run hands over to a continuation and at the pass's end, so a run
// continued in another invocation resumes at its page and one resumed after
// a crash redoes at most CommitEvery of idempotent pages, never the pass.
// (Committing every page cost a transaction of three items, 6 WRU, per
// page: most of an idle catalog-wide pass's bill.) opts says where a
// window starts when not at the watermark.
func (e *execution) pass(ctx context.Context, phases []string, opts passOpts, page pageFunc) error {
	cp, err := e.Runs.Checkpoint(ctx, e.in.AccountID, e.in.ChannelID, e.in.Task)
	if err != nil {
		return err
	}
	// opened: the window is this invocation's, nothing of it committed.
	opened := cp.Window == nil
	if opened {
		now := e.Now().UTC()
		from := cp.Watermark.Add(-e.Overlap)
		switch {
		case cp.Watermark.IsZero() && opts.fromZero,
			opts.fullEvery > 0 && now.Sub(cp.FullAt) >= opts.fullEvery:
			from = time.Time{}
		case cp.Watermark.IsZero():
			from = now.Add(-e.FirstLookback)
		}
		// Not committed until its first page is: a run that stops before
		// then has nothing to resume, and the next one opens the same
		// window from the same watermark (a later upper bound only reads
		// more). A pass that finds one page writes its checkpoint once.
		cp.Window = &runs.Window{From: from, To: now, Phase: phases[0]}
	}
	w := cp.Window
	// pending: progress (pages read, a phase finished) not committed yet.
	// Its commit waits for the next due one; a crash redoes those
	// idempotent pages.
	pending, committed := false, e.Now()
	// A merchant who pressed Sync watches the run's progress, which rides
	// in the commits: a manual run commits every page (such runs are few).
	every := e.CommitEvery
	if e.run.Trigger == runs.Manual {
		every = 0
	}
	stop := func() error {
		if pending {
			if err := e.commit(ctx, cp); err != nil {
				return err
			}
		}
		return errContinue
	}
	for pageNo := 1; ; pageNo++ {
		if ctx.Err() != nil {
			return stop()
		}
		// A page cut short is read again whole by whoever resumes, so
		// what it counted is taken back: the counts still add up, and the
		// item the deadline cut off is no failure.
		counted := e.run.Counts
		next, err := page(ctx, w)
		if err != nil {
			var rl *cart.RateLimitedError
			if errors.As(err, &rl) || (ctx.Err() != nil && errors.Is(err, ctx.Err())) {
				e.run.Counts = counted
				return stop() // out of time while the cart throttled us: not a failure
			}
			return fmt.Errorf("%s %s page %d: %w", e.in.Task, w.Phase, pageNo, err)
		}
		w.Cursor = next
		e.run.Progress.Done = w.Done
		if next == "" {
			i := phaseIndex(phases, w.Phase)
			if i+1 >= len(phases) {
				if opened && w.Done == 0 && !w.From.IsZero() && !cp.Watermark.IsZero() && w.To.Sub(cp.Watermark) < keepWatermarkFor {
					// Nothing in the window: the next window may as well
					// start from the same watermark, so the checkpoint is
					// not written (the cart answers a longer empty window
					// with the same one request). A window from zero is
					// recorded even empty: the next may then read changes.
					return nil
				}
				if w.From.IsZero() {
					cp.FullAt = w.To // when this pass over everything began
				}
				cp.Watermark, cp.Window = w.To, nil
				return e.commit(ctx, cp)
			}
			w.Phase, w.Cursor = phases[i+1], ""
			pending = true
			continue
		}
		pending = true
		if now := e.Now(); now.Sub(committed) >= every {
			if err := e.commit(ctx, cp); err != nil {
				return err
			}
			pending, opened, committed = false, false, now
		}
	}
}

// passOpts says where a pass's window starts other than at the watermark
// less the overlap.
type passOpts struct {
	// fromZero reads everything on the first pass (e.g. products) instead
	// of the lookback.
	fromZero bool
	// fullEvery, when set, opens a window from zero, a pass over
	// everything, once the last completed one began at least this long
	// ago (Checkpoint.FullAt; a first pass too). A window keeps its start
	// across continuations, so a pass over everything stays one.
	fullEvery time.Duration
}

// keepWatermarkFor bounds how long an empty pass leaves the watermark
// where it was: at least daily the window moves on.
const keepWatermarkFor = 24 * time.Hour

func phaseIndex(phases []string, p string) int {
	for i, q := range phases {
		if q == p {
			return i
		}
	}
	return len(phases) - 1
}

// applyPage applies one fetched page of a pass item by item and returns
// next. Every item counts as fetched; an item apply fails on fails the run
// there, still counted. apply counts what storing an item did, and a record
// it refuses without failing the run (no usable SKU) as failed itself.
func applyPage[T any](e *execution, w *runs.Window, items []T, next string, apply func(T) error) (string, error) {
	for _, it := range items {
		e.run.Counts.Fetched++
		if err := apply(it); err != nil {
			e.run.Counts.Failed++
			return "", err
		}
	}
	w.Done += len(items)
	return next, nil
}
