package settings

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/schedule"
	"github.com/autosync/autosync/shared/store"
)

// guardRuns is how many recent runs the interval guard looks at.
const guardRuns = 20

// SetInterval is support's change of a task's interval. It is refused when
// the task does not allow the interval, or when the p95 duration of recent
// runs exceeds half the interval: a run must finish with room to spare before
// the next one is due, or runs pile up as skips.
func (s *Service) SetInterval(ctx context.Context, account, channel string, task catalog.Task, iv catalog.Interval) (TaskState, error) {
	ch, err := s.Channels.Get(ctx, account, channel)
	if errors.Is(err, channels.ErrNotFound) {
		return TaskState{}, ErrNotFound
	}
	if err != nil {
		return TaskState{}, err
	}
	spec, ok := catalog.Spec(task)
	if !ok {
		return TaskState{}, ErrNotFound
	}
	if spec.Mode != catalog.Autosync || !spec.Allows(iv) {
		msg := fmt.Sprintf("%s cannot run at interval %q.", spec.Label, iv)
		if spec.Mode == catalog.Autosync {
			msg = fmt.Sprintf("%s can run at %s; not %q.", spec.Label, spec.AllowedText(), iv)
		}
		return TaskState{}, &GuardError{Err: ErrIntervalNotAllowed, Message: msg}
	}
	if av := s.offered(ch.Type, task); !av.AutosyncAvailable() {
		return TaskState{}, &GuardError{Err: ErrIntervalNotAllowed, Message: fmt.Sprintf(
			"%s does not run on a schedule on this channel: %s", spec.Label, av.Reason)}
	}
	if p95, n, err := s.p95(ctx, account, channel, task); err != nil {
		return TaskState{}, err
	} else if n > 0 && p95 > iv.Duration()/2 {
		return TaskState{}, &GuardError{Err: ErrTooSlow, Message: fmt.Sprintf(
			"Recent runs of %s take up to %s (95th percentile of the last %d), too long to run %s.",
			spec.Label, p95.Round(time.Second), n, iv.Label())}
	}
	key := settingSK(channel, task)
	var name string
	err = store.Retry(ctx, 5, func() error {
		// Read again each time: the record is derived from its status.
		ch, err := s.Channels.Get(ctx, account, channel)
		if err != nil {
			return err
		}
		cur, err := store.GetDoc[setting](ctx, s.Store, store.AccountPK(account), key)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("load setting: %w", err)
		}
		next := cur.Value
		next.Interval, next.UpdatedAt = iv, s.now()
		it, err := store.NewDoc(store.AccountPK(account), key, next, time.Time{})
		if err != nil {
			return err
		}
		ops := []store.Op{store.Put(it, store.AtVersion(cur.Version)), channels.Unchanged(ch)}
		name = ""
		if next.Enabled {
			rops, n, err := s.recordOp(ctx, ch, task, next)
			if err != nil {
				return err
			}
			ops, name = append(ops, rops...), n
		}
		if err := s.Store.Transact(ctx, ops); err != nil {
			return fmt.Errorf("save interval: %w", err)
		}
		return nil
	})
	if err != nil {
		return TaskState{}, err
	}
	if name != "" {
		if err := s.apply(ctx, name); err != nil {
			s.Log.WarnContext(ctx, "schedule left pending for repair", "account", account, "schedule", name, "err", err)
		}
	}
	return s.TaskState(ctx, account, channel, task)
}

// TaskState returns one task's modal state.
func (s *Service) TaskState(ctx context.Context, account, channel string, task catalog.Task) (TaskState, error) {
	modal, err := s.Modal(ctx, account)
	if err != nil {
		return TaskState{}, err
	}
	for _, sec := range modal {
		if sec.Channel.ID != channel {
			continue
		}
		for _, t := range sec.Tasks {
			if t.Task == task {
				return t, nil
			}
		}
	}
	return TaskState{}, ErrNotFound
}

func (s *Service) p95(ctx context.Context, account, channel string, task catalog.Task) (time.Duration, int, error) {
	recent, _, err := s.Runs.List(ctx, account, runs.Filter{ChannelID: channel, Task: task, Limit: guardRuns * 2})
	if err != nil {
		return 0, 0, err
	}
	var ds []time.Duration
	for _, r := range recent {
		if r.Status == runs.Skipped || r.Status == runs.Interrupted || r.FinishedAt == nil || r.StartedAt == nil {
			continue
		}
		ds = append(ds, r.Duration(s.now()))
		if len(ds) == guardRuns {
			break
		}
	}
	if len(ds) == 0 {
		return 0, 0, nil
	}
	slices.Sort(ds)
	idx := (95*len(ds) + 99) / 100 // nearest-rank
	return ds[idx-1], len(ds), nil
}

// SetChannelActive pauses (active=false) or resumes every schedule of the
// channel's ticked autosync tasks. Paused schedules stay in the Scheduler,
// disabled, so re-authorizing resumes them exactly as they were.
func (s *Service) SetChannelActive(ctx context.Context, account, channel string) error {
	if _, err := s.Channels.Get(ctx, account, channel); err != nil {
		return err
	}
	var names []string
	for _, spec := range catalog.Tasks {
		if spec.Mode != catalog.Autosync {
			continue
		}
		name, err := s.rederive(ctx, account, channel, spec.ID)
		if err != nil {
			return err
		}
		if name != "" {
			names = append(names, name)
		}
	}
	var errs []error
	for _, n := range names {
		if err := s.apply(ctx, n); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		s.Log.WarnContext(ctx, "schedules left pending for repair", "account", account, "channel", channel, "err", errors.Join(errs...))
	}
	return nil
}

// rederive writes a ticked task's schedule record as its setting and its
// channel's status want it now, and returns the record's name ("" when the
// task is not ticked). The setting and channel are read inside the retry
// and the write is conditioned on both: one read before a merchant's untick
// (or a status change) would otherwise bring back a live schedule the
// runner, which does not check the tick, fires.
func (s *Service) rederive(ctx context.Context, account, channel string, task catalog.Task) (string, error) {
	key := settingSK(channel, task)
	var name string
	err := store.Retry(ctx, 5, func() error {
		name = ""
		ch, err := s.Channels.Get(ctx, account, channel)
		if err != nil {
			return err
		}
		set, err := store.GetDoc[setting](ctx, s.Store, store.AccountPK(account), key)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !set.Value.Enabled) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load setting: %w", err)
		}
		ops, n, err := s.recordOp(ctx, ch, task, set.Value)
		if err != nil {
			return err
		}
		ops = append(ops, store.Check(store.AccountPK(account), key, store.AtVersion(set.Version)), channels.Unchanged(ch))
		if err := s.Store.Transact(ctx, ops); err != nil {
			return fmt.Errorf("pause/resume schedule record: %w", err)
		}
		name = n
		return nil
	})
	return name, err
}

// NeedsReauth marks the channel as refusing its credentials and pauses its schedules.
func (s *Service) NeedsReauth(ctx context.Context, account, channel, reason string) error {
	if _, err := s.Channels.SetStatus(ctx, account, channel, channels.NeedsReauth, reason); err != nil {
		return err
	}
	return s.SetChannelActive(ctx, account, channel)
}

// RemoveChannel deletes the channel's schedules, settings and the channel.
// Each task's record is marked unwanted in the transaction that deletes its
// setting, so a crash part-way leaves Repair to finish the deletions.
//
// The channel (with its credentials) goes last, and only once none of its
// webhook subscription records is left: its credentials are the only way
// to remove a subscription at the cart. When the cart cannot be reached, the
// removal stops with a RemoveError: the channel stays, its tasks stopped,
// and Repair (or the merchant's next attempt) finishes the unsubscription.
// A cart that refuses the credentials cannot be asked to remove anything;
// its subscriptions are forgotten, as Disconnect does, rather than keeping
// the channel for good.
//
// The deletion checks that the subscription records are still absent, and
// every save that writes one checks the channel is unchanged, so a task
// ticked while the channel is removed either is seen (and unsubscribed) by
// the removal, which goes again, or fails for want of a channel.
func (s *Service) RemoveChannel(ctx context.Context, account, channel string) error {
	return store.Retry(ctx, 5, func() error { return s.removeChannelOnce(ctx, account, channel) })
}

func (s *Service) removeChannelOnce(ctx context.Context, account, channel string) error {
	ch, sets, err := s.channelSettings(ctx, account, channel)
	if err != nil {
		return err
	}
	var names, subs []string
	for _, spec := range catalog.Tasks {
		key := settingSK(channel, spec.ID)
		var ops []store.Op
		switch spec.Mode {
		case catalog.Autosync:
			name := schedule.Name(account, channel, spec.ID)
			cur, err := s.getRecord(ctx, name, true)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if err == nil && !cur.Value.settled() {
				r := cur.Value
				r.Want, r.Gen = false, r.Gen+1
				if ops, err = recordOps(name, r, cur.Version); err != nil {
					return err
				}
			}
			if err == nil {
				names = append(names, name)
			}
		case catalog.Instasync:
			sk := subKey(account, channel, spec.ID)
			cur, err := store.GetDoc[subRecord](ctx, s.Store, subsPK, sk)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("load subscription record: %w", err)
			}
			if err == nil && !cur.Value.settled() {
				sops, _, err := s.subOp(ctx, ch, spec.ID, false)
				if err != nil {
					return err
				}
				ops = sops
			}
			if err == nil {
				subs = append(subs, sk)
			}
		}
		if d, ok := sets[key]; ok {
			ops = append(ops, store.Delete(store.AccountPK(account), key, store.AtVersion(d.Version)))
		}
		if len(ops) == 0 {
			continue
		}
		if err := s.Store.Transact(ctx, ops); err != nil {
			return fmt.Errorf("stop %s before removing the channel: %w", spec.ID, err)
		}
	}
	for _, n := range names {
		if err := s.apply(ctx, n); err != nil {
			s.Log.WarnContext(ctx, "schedule deletion left for repair", "account", account, "schedule", n, "err", err)
		}
	}
	var unreachable []error
	for _, key := range subs {
		err := s.applySub(ctx, key)
		var ce *cart.Error
		if err != nil && errors.As(err, &ce) && !ce.Temporary {
			s.Log.WarnContext(ctx, "webhook subscription forgotten: the cart refused to remove it", "account", account, "subscription", key, "err", err)
			err = s.forgetSub(ctx, key)
		}
		if err != nil {
			unreachable = append(unreachable, err)
		}
	}
	if len(unreachable) > 0 {
		// The channel stays, so its records stay too (records of live
		// channels are never deleted; see apply).
		s.Log.WarnContext(ctx, "channel kept: webhook unsubscription left for repair", "account", account, "channel", channel, "err", errors.Join(unreachable...))
		return &RemoveError{
			Err: fmt.Errorf("%w: %w", ErrCartUnreachable, errors.Join(unreachable...)),
			Message: carts.Label(ch.Type) + " could not be reached to remove the channel's webhook subscriptions. " +
				"Its tasks are stopped; try again in a few minutes to remove the channel.",
		}
	}
	for _, n := range names {
		if err := dropSettled[record](ctx, s.Store, schedPKOf(n), n); err != nil {
			return err
		}
	}
	for _, key := range subs {
		if err := dropSettled[subRecord](ctx, s.Store, subsPK, key); err != nil {
			return err
		}
	}
	// Every subscription record is gone (settled ones were dropped); the
	// deletion fails, and the removal goes again, if a save wrote one since.
	var checks []store.Op
	for _, task := range []catalog.Task{catalog.InstasyncOrders, catalog.InstasyncProducts} {
		checks = append(checks, store.Check(subsPK, subKey(account, channel, task), store.MustBeNew))
	}
	return s.Channels.Delete(ctx, account, channel, checks...)
}

// forgetSub marks an unwanted subscription record applied without the
// cart: the cart refused the channel's credentials, so nothing can remove
// the subscription through them.
func (s *Service) forgetSub(ctx context.Context, key string) error {
	_, err := store.Update(ctx, s.Store, subsPK, key, 5, func(r *subRecord, found bool) error {
		if !found || r.Want {
			return errNoRecord
		}
		r.SubscriptionID, r.AppliedGen = "", r.Gen
		return nil
	})
	if err != nil && !errors.Is(err, errNoRecord) {
		return fmt.Errorf("forget subscription %s: %w", key, err)
	}
	return nil
}

// errNoRecord stops an update of a record that does not exist: there is
// nothing to change.
var errNoRecord = errors.New("no record")

// dropSettled deletes a removed channel's record once it is applied and
// unwanted. Records of live channels are kept (see apply); a removed
// channel's id is never reused, so its record can go.
func dropSettled[R interface{ settled() bool }](ctx context.Context, st store.Store, pk, key string) error {
	d, err := store.GetDoc[R](ctx, st, pk, key)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !d.Value.settled()) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load record %s: %w", key, err)
	}
	if err := st.Delete(ctx, pk, key, store.AtVersion(d.Version)); err != nil && !errors.Is(err, store.ErrConditionFailed) {
		return fmt.Errorf("delete record %s: %w", key, err)
	}
	return nil
}

// Enabled reports whether the merchant ticked the task on the channel.
func (s *Service) Enabled(ctx context.Context, account, channel string, task catalog.Task) (bool, error) {
	d, err := store.GetDoc[setting](ctx, s.Store, store.AccountPK(account), settingSK(channel, task))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load setting: %w", err)
	}
	return d.Value.Enabled, nil
}

// Disconnect marks the channel disconnected: the merchant uninstalled the
// app or revoked its access at the cart. Its schedules are deleted and its
// subscription records forgotten (the cart removed the subscriptions with
// the app, and its credentials no longer work to remove them); its
// settings, runs and imported data are kept, so re-authorizing resumes
// the ticked tasks.
func (s *Service) Disconnect(ctx context.Context, account, channel, reason string) error {
	if _, err := s.Channels.SetStatus(ctx, account, channel, channels.Disconnected, reason); err != nil {
		return err
	}
	if err := s.SetChannelActive(ctx, account, channel); err != nil {
		return err
	}
	for _, task := range []catalog.Task{catalog.InstasyncOrders, catalog.InstasyncProducts} {
		key := subKey(account, channel, task)
		_, err := store.Update(ctx, s.Store, subsPK, key, 5, func(r *subRecord, found bool) error {
			if !found {
				return errNoRecord
			}
			r.Want, r.SubscriptionID = false, ""
			r.Gen++
			r.AppliedGen = r.Gen
			return nil
		})
		if err != nil && !errors.Is(err, errNoRecord) {
			return fmt.Errorf("forget subscription %s: %w", key, err)
		}
	}
	return nil
}

// resubscribe subscribes the channel's ticked instasync tasks again. As in
// rederive, the setting and channel are read inside the retry and the
// record's write is conditioned on both, so an untick (or the channel's
// removal) racing it is not undone.
func (s *Service) resubscribe(ctx context.Context, account, channel string) error {
	for _, task := range []catalog.Task{catalog.InstasyncOrders, catalog.InstasyncProducts} {
		key := settingSK(channel, task)
		var sub string
		err := store.Retry(ctx, 5, func() error {
			sub = ""
			ch, err := s.Channels.Get(ctx, account, channel)
			if err != nil {
				return err
			}
			set, err := store.GetDoc[setting](ctx, s.Store, store.AccountPK(account), key)
			if errors.Is(err, store.ErrNotFound) || (err == nil && !set.Value.Enabled) || !s.offered(ch.Type, task).AutosyncAvailable() {
				return nil
			}
			if err != nil {
				return fmt.Errorf("load setting: %w", err)
			}
			cur, err := store.GetDoc[subRecord](ctx, s.Store, subsPK, subKey(account, channel, task))
			if err == nil && cur.Value.Want && cur.Value.Gen == cur.Value.AppliedGen && cur.Value.SubscriptionID != "" {
				return nil // subscribed already
			}
			ops, k, err := s.subOp(ctx, ch, task, true)
			if err != nil {
				return err
			}
			ops = append(ops, store.Check(store.AccountPK(account), key, store.AtVersion(set.Version)), channels.Unchanged(ch))
			if err := s.Store.Transact(ctx, ops); err != nil {
				return err
			}
			sub = k
			return nil
		})
		if err != nil {
			return fmt.Errorf("resubscribe %s: %w", task, err)
		}
		if sub == "" {
			continue
		}
		if err := s.applySub(ctx, sub); err != nil {
			s.Log.WarnContext(ctx, "webhook subscription left for repair", "account", account, "channel", channel, "task", task, "err", err)
		}
	}
	return nil
}

// ErrCartUnreachable: the cart could not be reached to remove the
// channel's webhook subscriptions, so the channel was kept.
var ErrCartUnreachable = errors.New("cart unreachable to remove webhook subscriptions")

// RemoveError is a removal left unfinished; Message is merchant-readable
// and trying again is safe.
type RemoveError struct {
	Err     error
	Message string
}

func (e *RemoveError) Error() string { return e.Message }
func (e *RemoveError) Unwrap() error { return e.Err }
