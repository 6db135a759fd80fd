package settings

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

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
		ops := []store.Op{store.Put(it, store.AtVersion(cur.Version))}
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
	ch, sets, err := s.channelSettings(ctx, account, channel)
	if err != nil {
		return err
	}
	var names []string
	for _, spec := range catalog.Tasks {
		if spec.Mode != catalog.Autosync {
			continue
		}
		set := sets[settingSK(channel, spec.ID)].Value
		if !set.Enabled {
			continue
		}
		var name string
		err := store.Retry(ctx, 5, func() error {
			ops, n, err := s.recordOp(ctx, ch, spec.ID, set)
			if err != nil {
				return err
			}
			name = n
			if err := s.Store.Transact(ctx, ops); err != nil {
				return fmt.Errorf("pause/resume schedule record: %w", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		names = append(names, name)
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

// NeedsReauth marks the channel as refusing its credentials and pauses its schedules.
func (s *Service) NeedsReauth(ctx context.Context, account, channel, reason string) error {
	if _, err := s.Channels.SetStatus(ctx, account, channel, channels.NeedsReauth, reason); err != nil {
		return err
	}
	return s.SetChannelActive(ctx, account, channel)
}

// RemoveChannel deletes the channel's schedules, settings and the channel.
// Schedule records are marked unwanted first, so a crash part-way leaves
// Repair to finish the deletions.
func (s *Service) RemoveChannel(ctx context.Context, account, channel string) error {
	ch, sets, err := s.channelSettings(ctx, account, channel)
	if err != nil {
		return err
	}
	var names []string
	for _, spec := range catalog.Tasks {
		key := settingSK(channel, spec.ID)
		if spec.Mode == catalog.Autosync {
			name := schedule.Name(account, channel, spec.ID)
			cur, err := s.getRecord(ctx, name, true)
			if err == nil {
				r := cur.Value
				r.Want, r.Gen = false, r.Gen+1
				if err := s.putRecord(ctx, name, r, cur.Version); err != nil {
					return fmt.Errorf("unschedule %s: %w", name, err)
				}
				names = append(names, name)
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if _, ok := sets[key]; ok {
			if err := s.Store.Delete(ctx, store.AccountPK(account), key, store.NoCond); err != nil {
				return fmt.Errorf("delete setting: %w", err)
			}
		}
	}
	for _, n := range names {
		if err := s.apply(ctx, n); err != nil {
			s.Log.WarnContext(ctx, "schedule deletion left for repair", "account", account, "schedule", n, "err", err)
			continue
		}
		if err := dropSettled[record](ctx, s.Store, schedPKOf(n), n); err != nil {
			return err
		}
	}
	// Webhook subscriptions go before the channel: its credentials are
	// needed to remove them.
	for _, task := range []catalog.Task{catalog.InstasyncOrders, catalog.InstasyncProducts} {
		if _, err := store.GetDoc[subRecord](ctx, s.Store, subsPK, subKey(account, channel, task)); errors.Is(err, store.ErrNotFound) {
			continue
		}
		ops, key, err := s.subOp(ctx, ch, task, false)
		if err != nil {
			return err
		}
		if err := s.Store.Transact(ctx, ops); err != nil {
			return fmt.Errorf("unsubscribe record: %w", err)
		}
		if err := s.applySub(ctx, key); err != nil {
			s.Log.WarnContext(ctx, "webhook unsubscription left for repair", "account", account, "subscription", key, "err", err)
			continue
		}
		if err := dropSettled[subRecord](ctx, s.Store, subsPK, key); err != nil {
			return err
		}
	}
	return s.Channels.Delete(ctx, account, channel)
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

// resubscribe subscribes the channel's ticked instasync tasks again.
func (s *Service) resubscribe(ctx context.Context, ch channels.Channel) error {
	sets, err := s.settings(ctx, ch.AccountID)
	if err != nil {
		return err
	}
	for _, task := range []catalog.Task{catalog.InstasyncOrders, catalog.InstasyncProducts} {
		if !sets[settingSK(ch.ID, task)].Value.Enabled || !s.offered(ch.Type, task).AutosyncAvailable() {
			continue
		}
		var key string
		err := store.Retry(ctx, 5, func() error {
			ops, k, err := s.subOp(ctx, ch, task, true)
			if err != nil {
				return err
			}
			key = k
			return s.Store.Transact(ctx, ops)
		})
		if err != nil {
			return fmt.Errorf("resubscribe %s: %w", task, err)
		}
		if err := s.applySub(ctx, key); err != nil {
			s.Log.WarnContext(ctx, "webhook subscription left for repair", "account", ch.AccountID, "channel", ch.ID, "task", task, "err", err)
		}
	}
	return nil
}
