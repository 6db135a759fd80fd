package devserver

import (
	"context"
	"log/slog"
	"time"

	"github.com/autosync/autosync/shared/store/boltstore"
)

// sweepEvery is how often the local server deletes expired items from its
// store, as DynamoDB's TTL does in AWS (run records after 90 days, the
// change log after 7, webhook de-duplication after 7).
const sweepEvery = time.Hour

// sweepLoop sweeps at start and then every sweepEvery until ctx ends.
func sweepLoop(ctx context.Context, st *boltstore.Store, log *slog.Logger) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		n, err := st.Sweep(ctx, time.Now())
		if err != nil && ctx.Err() == nil {
			log.WarnContext(ctx, "sweep expired items", "err", err)
		} else if n > 0 {
			log.InfoContext(ctx, "swept expired items", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
