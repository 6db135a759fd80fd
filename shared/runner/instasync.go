package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/orders"
	"github.com/autosync/autosync/shared/runs"
)

// instasync imports the one order or product a webhook named, fetched from
// the cart (the webhook is a signal, not the source of truth), through the
// same upsert as the scheduled import, so both paths converge. It takes no
// lease: imports of different orders must not skip each other, and the
// upsert is conditional, so concurrent imports of one order are safe.
func (r *Runner) instasync(ctx context.Context, log *slog.Logger, run runs.Run, in runs.Input) (runs.Run, error) {
	now := r.Now().UTC()
	run.Status, run.StartedAt, run.Invocations = runs.Running, &now, 1
	var used cart.Credentials
	err := r.importOne(ctx, &run, in, &used)
	if err != nil {
		class, msg := classify(err)
		r.credentialsRefused(ctx, log, in, err, msg, used)
		return r.fail(ctx, log, run, class, msg, err)
	}
	done := r.Now().UTC()
	run.Status, run.FinishedAt = runs.Succeeded, &done
	if run.Counts.Failed > 0 {
		run.Status = runs.Partial // a refused record, said in the detail
	}
	log.InfoContext(ctx, "instasync import", "resource", in.ResourceID, "created", run.Counts.Created, "updated", run.Counts.Updated, "skipped", run.Counts.Skipped)
	return run, r.Runs.Save(ctx, run)
}

func (r *Runner) importOne(ctx context.Context, run *runs.Run, in runs.Input, used *cart.Credentials) error {
	if in.ResourceID == "" {
		return fmt.Errorf("webhook import without a resource id")
	}
	ch, err := r.Channels.Get(ctx, in.AccountID, in.ChannelID)
	if err != nil {
		return fmt.Errorf("load channel: %w", err)
	}
	if !r.Supports(ch.Type, in.Task) {
		return errUnsupported
	}
	creds, err := r.Channels.Credentials(ctx, in.AccountID, in.ChannelID)
	if err != nil {
		return err
	}
	*used = creds
	switch in.Task {
	case catalog.InstasyncOrders:
		f, err := connect[cart.OrderFetcher](r, ch, creds)
		if err != nil {
			return err
		}
		return importFetched(ctx, "order", in.ResourceID, f.Order, func(o cart.Order) error {
			run.Counts.Fetched = 1
			importable, err := r.importable(ctx, in, f, o)
			if err != nil {
				return err
			}
			apply := r.Orders.Upsert
			if !importable {
				apply = r.Orders.Update // an order we hold still follows the cart
			}
			res, err := apply(ctx, in.AccountID, in.ChannelID, o)
			if refusedOrder(run, o, err) {
				return nil
			}
			if err != nil {
				run.Counts.Failed++
				return err
			}
			countOrder(&run.Counts, res.Outcome)
			if res.Outcome == orders.Ignored && !importable {
				addDetail(run, fmt.Sprintf("order %s: not created: its status %q is not one this channel imports", orderName(o), o.CartStatus))
			}
			return nil
		})
	case catalog.InstasyncProducts:
		f, err := connect[cart.ListingFetcher](r, ch, creds)
		if err != nil {
			return err
		}
		return importFetched(ctx, "product", in.ResourceID, f.ProductListings, func(ls []cart.Listing) error {
			for _, l := range ls {
				run.Counts.Fetched++
				out, err := r.Inventory.ImportListing(ctx, in.AccountID, in.ChannelID, l)
				if refusedListing(run, l, err) {
					continue
				}
				if err != nil {
					run.Counts.Failed++ // the run fails here: the record still counts
					return err
				}
				countListing(&run.Counts, out)
			}
			return nil
		})
	default:
		return errUnsupported
	}
}

// importable says whether a webhook import may create o: unless the
// connector says the scheduled import with the channel's statuses would
// not select o though it awaits fulfillment. That is an unpaid order (the
// connectors read every status short of shipped or cancelled as awaiting
// fulfillment), and created here it would commit stock for a sale that may
// never be paid, with nothing to release it. One we hold is still updated;
// the rest are skipped.
func (r *Runner) importable(ctx context.Context, in runs.Input, f cart.OrderFetcher, o cart.Order) (bool, error) {
	m, ok := f.(cart.StatusMatcher)
	if !ok || o.Filter != cart.AwaitingFulfillment {
		return true, nil
	}
	statuses, err := r.orderStatuses(ctx, in.AccountID, in.ChannelID)
	if err != nil {
		return false, err
	}
	return m.Importable(o, statuses), nil
}

// importFetched fetches the one resource a webhook named and stores it; one
// deleted in the cart since is nothing to import.
func importFetched[T any](ctx context.Context, what, id string, fetch func(context.Context, string) (T, error), store func(T) error) error {
	v, err := fetch(ctx, id)
	if errors.Is(err, cart.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("fetch %s %s: %w", what, id, err)
	}
	return store(v)
}
