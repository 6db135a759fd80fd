// Package settings is the Sync modal's use case: which tasks a merchant has
// ticked, at which interval support set them, and keeping exactly one
// schedule per enabled autosync task.
//
// The store is the source of truth. Each autosync task has a schedule record
// (in one of 16 partitions "SCHED#xx", keyed by schedule name) holding the
// desired schedule and a generation; the record is written in the same
// transaction as the setting, and the Scheduler is called afterwards. A
// record whose applied generation lags its generation is pending and queued
// (records.go): Repair applies every queued record, and a slow bounded sweep
// re-creates schedules the Scheduler lost and removes schedules no record
// wants (repair.go), so a crash between the settings write and the
// Scheduler call, a Scheduler outage, or drift converges.
package settings

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/schedule"
	"github.com/autosync/autosync/shared/store"
)

// TaskState is one task of one channel as the modal shows it.
type TaskState struct {
	Task              catalog.Task     `json:"task"`
	Label             string           `json:"label"`
	Mode              catalog.Mode     `json:"mode"`
	Available         bool             `json:"available"`
	AutosyncAvailable bool             `json:"autosync_available"`
	UnavailableReason string           `json:"unavailable_reason"`
	Note              string           `json:"note,omitempty"`
	Enabled           bool             `json:"enabled"`
	Indicator         string           `json:"indicator"`
	Interval          catalog.Interval `json:"interval"`
	IntervalLabel     string           `json:"interval_label,omitempty"`
	DefaultInterval   catalog.Interval `json:"default_interval"`
	NextRunAt         *time.Time       `json:"next_run_at"`
	// Paused: the task is ticked but its schedule does not fire, with the
	// merchant-readable reason (the channel needs re-authorization).
	Paused       bool      `json:"paused"`
	PausedReason string    `json:"paused_reason,omitempty"`
	LastRun      *runs.Run `json:"last_run"`
}

// ChannelTasks is one channel's section of the modal.
type ChannelTasks struct {
	Channel channels.Channel `json:"channel"`
	// CartLabel is the name merchants know the channel's cart by.
	CartLabel string      `json:"cart_label"`
	Tasks     []TaskState `json:"tasks"`
}

// Change is one entry of Update Autosync Settings.
type Change struct {
	ChannelID string       `json:"channel_id"`
	Task      catalog.Task `json:"task"`
	Enabled   bool         `json:"enabled"`
}

// Problem is one reason a request was refused, tied to its entry.
type Problem struct {
	Index     int          `json:"index"`
	ChannelID string       `json:"channel_id,omitempty"`
	Task      catalog.Task `json:"task,omitempty"`
	Field     string       `json:"field,omitempty"`
	Message   string       `json:"message"`
}

// InvalidError lists every problem of a refused request; nothing was changed.
type InvalidError struct{ Problems []Problem }

func (e *InvalidError) Error() string { return fmt.Sprintf("%d invalid entries", len(e.Problems)) }

// Errors of the admin interval route.
var (
	ErrIntervalNotAllowed = errors.New("interval not allowed for this task")
	ErrTooSlow            = errors.New("recent runs take too long for this interval")
	ErrNotFound           = errors.New("not found")
)

// GuardError explains a refused interval change.
type GuardError struct {
	Err     error
	Message string
}

func (e *GuardError) Error() string { return e.Message }
func (e *GuardError) Unwrap() error { return e.Err }

// MaxChanges bounds one Update (each change writes three items in one
// transaction: the setting, its record and the record's queue marker; and
// checks its channel, once per channel).
const MaxChanges = store.MaxTransactItems / 4

// RunHistory is what the service needs of run records.
type RunHistory interface {
	LastRuns(ctx context.Context, account string) (map[string]map[catalog.Task]runs.Run, error)
	List(ctx context.Context, account string, f runs.Filter) ([]runs.Run, string, error)
	// NewRun and Create record a failed webhook subscription as a run.
	NewRun(account, channel string, task catalog.Task, trig runs.Trigger, status runs.Status) runs.Run
	Create(ctx context.Context, run runs.Run) error
}

// NextRunner is implemented by schedulers that know exactly when a schedule fires next.
type NextRunner interface {
	NextRun(name string) (time.Time, bool)
}

// Capabilities says which tasks the executor can run for a cart; a task the
// catalog offers but the executor cannot run yet is shown unavailable.
type Capabilities interface {
	Supports(c catalog.Cart, t catalog.Task) bool
}

// Service is the use case.
type Service struct {
	// Subscribers manages carts' webhook subscriptions (instasync).
	Subscribers Subscribers
	// WebhookBaseURL is the public base URL carts post webhooks to.
	WebhookBaseURL string
	// Capabilities may be nil: everything the catalog offers is runnable.
	Capabilities Capabilities
	Store        store.Store
	Channels     *channels.Repo
	Runs         RunHistory
	Scheduler    schedule.Scheduler
	Now          func() time.Time
	Log          *slog.Logger
	// RepairLimits bound one Repair pass; zero takes DefaultRepairLimits.
	RepairLimits RepairLimits
}

type setting struct {
	Enabled   bool             `json:"enabled"`
	Interval  catalog.Interval `json:"interval,omitempty"` // "" = the task's default
	UpdatedAt time.Time        `json:"updated_at"`
}

func settingSK(channel string, task catalog.Task) string { return "TS#" + channel + "#" + string(task) }

type record struct {
	Account    string           `json:"account_id"`
	Channel    string           `json:"channel_id"`
	Task       catalog.Task     `json:"task"`
	Want       bool             `json:"want"`
	Paused     bool             `json:"paused"`
	Interval   catalog.Interval `json:"interval"`
	Gen        int64            `json:"gen"`
	AppliedGen int64            `json:"applied_gen"`
	// Anchor is when the schedule was last created or re-timed: rate
	// schedules fire at anchor + k × interval.
	Anchor          time.Time        `json:"anchor"`
	AppliedInterval catalog.Interval `json:"applied_interval,omitempty"`
}

func (r record) name() string { return schedule.Name(r.Account, r.Channel, r.Task) }

func (r record) pending() bool { return r.Gen != r.AppliedGen }

// schedule is what applying the wanted record r, named name, Puts.
func (r record) schedule(name string) schedule.Schedule {
	in := runs.Input{AccountID: r.Account, ChannelID: r.Channel, Task: r.Task, Trigger: runs.Schedule}
	// AppliedInterval is set while the schedule is recorded as existing.
	return schedule.Schedule{Name: name, Interval: r.Interval, Enabled: !r.Paused, Input: in.JSON(), Replace: r.AppliedInterval != ""}
}

// settled: applied and unwanted, so nothing at the Scheduler.
func (r record) settled() bool { return !r.Want && !r.pending() }

func (s *Service) now() time.Time { return s.Now().UTC() }

// channelSettings loads the channel, which must exist, and the settings of
// its account.
func (s *Service) channelSettings(ctx context.Context, account, channel string) (channels.Channel, map[string]store.Doc[setting], error) {
	ch, err := s.Channels.Get(ctx, account, channel)
	if err != nil {
		return channels.Channel{}, nil, err
	}
	sets, err := s.settings(ctx, account)
	return ch, sets, err
}

func (s *Service) settings(ctx context.Context, account string) (map[string]store.Doc[setting], error) {
	out := map[string]store.Doc[setting]{}
	_, err := store.All(ctx, s.Store, store.Query{PK: store.AccountPK(account), Prefix: "TS#"}, 0, func(it store.Item) (bool, error) {
		v, err := store.Decode[setting](it)
		out[it.SK] = store.Doc[setting]{Value: v, Version: it.Version}
		return true, err
	})
	if err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	return out, nil
}

// Modal returns the Sync modal for the account.
func (s *Service) Modal(ctx context.Context, account string) ([]ChannelTasks, error) {
	chs, err := s.Channels.List(ctx, account)
	if err != nil {
		return nil, err
	}
	sets, err := s.settings(ctx, account)
	if err != nil {
		return nil, err
	}
	last, err := s.Runs.LastRuns(ctx, account)
	if err != nil {
		return nil, err
	}
	out := make([]ChannelTasks, 0, len(chs))
	for _, ch := range chs {
		sec := ChannelTasks{Channel: ch, CartLabel: carts.Label(ch.Type)}
		for _, spec := range catalog.Tasks {
			st, err := s.taskState(ctx, ch, spec, sets[settingSK(ch.ID, spec.ID)].Value, last[ch.ID][spec.ID])
			if err != nil {
				return nil, err
			}
			sec.Tasks = append(sec.Tasks, st)
		}
		out = append(out, sec)
	}
	return out, nil
}

func (s *Service) taskState(ctx context.Context, ch channels.Channel, spec catalog.TaskSpec, set setting, last runs.Run) (TaskState, error) {
	av := s.offered(ch.Type, spec.ID)
	st := TaskState{
		Task: spec.ID, Label: spec.Label, Mode: spec.Mode,
		Available: av.Available(), AutosyncAvailable: av.AutosyncAvailable(),
		UnavailableReason: av.Reason, Note: av.Note,
		Enabled:         set.Enabled && av.AutosyncAvailable(),
		Indicator:       "none",
		DefaultInterval: spec.DefaultInterval,
		Interval:        spec.DefaultInterval,
	}
	if set.Interval != "" {
		st.Interval = set.Interval
	}
	if st.Interval != "" {
		st.IntervalLabel = st.Interval.Label()
	}
	if st.Enabled {
		st.Indicator = string(spec.Mode)
	}
	if last.ID != "" {
		st.LastRun = &last
	}
	if st.Enabled && spec.Mode == catalog.Autosync {
		if ch.Status != channels.Active {
			st.Paused, st.PausedReason = true, pausedReason(ch)
			return st, nil
		}
		d, err := s.getRecord(ctx, schedule.Name(ch.AccountID, ch.ID, spec.ID), false)
		switch {
		case err == nil && d.Value.Want && d.Value.Paused:
			// The channel is active again but the schedule has not caught
			// up yet; repair resumes it within minutes.
			st.Paused, st.PausedReason = true, reasonResuming
		case err == nil && !d.Value.pending() && d.Value.Want:
			t := s.nextRun(d.Value)
			st.NextRunAt = &t
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return st, fmt.Errorf("load schedule record: %w", err)
		}
	}
	return st, nil
}

const reasonResuming = "Paused while the channel was disconnected; it resumes within a few minutes."

// pausedReason says why a channel's ticked tasks do not run: the reason
// the channel was marked (already merchant-safe), or a generic one.
func pausedReason(ch channels.Channel) string {
	if ch.StatusReason != "" {
		return "Paused: " + ch.StatusReason
	}
	return "Paused: " + carts.Label(ch.Type) + " refused this channel's credentials. Re-authorize the channel to resume its tasks."
}

// offered is the cart driver's offer, narrowed to what the executor can run.
func (s *Service) offered(c catalog.Cart, t catalog.Task) catalog.Availability {
	av := carts.Offered(c, t)
	if !av.Available() {
		return av
	}
	spec, _ := catalog.Spec(t)
	if s.Capabilities != nil && !s.Capabilities.Supports(c, t) {
		return catalog.Availability{Reason: spec.Label + " is not available for " + carts.Label(c) + " yet."}
	}
	// Without a public address no cart can reach us: a ticked box would
	// show the bolt while nothing arrives.
	if spec.Mode == catalog.Instasync && s.WebhookBaseURL == "" {
		return catalog.Availability{Reason: reasonNoWebhookURL}
	}
	return av
}

// Offered is how the channel's cart offers the task, as the modal shows it.
func (s *Service) Offered(c catalog.Cart, t catalog.Task) catalog.Availability {
	return s.offered(c, t)
}

func (s *Service) nextRun(r record) time.Time {
	if nr, ok := s.Scheduler.(NextRunner); ok {
		if t, ok := nr.NextRun(r.name()); ok {
			return t.UTC()
		}
	}
	every := r.Interval.Duration()
	now := s.now()
	if every <= 0 || r.Anchor.IsZero() {
		return now
	}
	k := now.Sub(r.Anchor)/every + 1
	return r.Anchor.Add(k * every)
}

// Update applies Update Autosync Settings: all entries or none.
//
// The save is conditioned on every setting and record it read and on each
// changed channel being unchanged since it was read: a record is derived
// from its channel's status, and a channel removed meanwhile must not get
// a record (see RemoveChannel). A save that loses to a concurrent change is
// made again from fresh reads (each change says what the task should be,
// not how to change it); ErrConflict only when that keeps losing.
func (s *Service) Update(ctx context.Context, account string, changes []Change) ([]ChannelTasks, error) {
	var touched, subs []string
	err := store.Retry(ctx, 5, func() error {
		var err error
		touched, subs, err = s.save(ctx, account, changes)
		return err
	})
	if errors.Is(err, store.ErrConditionFailed) {
		return nil, ErrConflict
	}
	if err != nil {
		return nil, err
	}
	// The settings are saved; a Scheduler failure now leaves records
	// pending for Repair rather than failing the merchant's save.
	for _, name := range touched {
		if err := s.apply(ctx, name); err != nil {
			s.Log.WarnContext(ctx, "schedule left pending for repair", "account", account, "schedule", name, "err", err)
		}
	}
	for _, key := range subs {
		if err := s.applySub(ctx, key); err != nil {
			s.Log.WarnContext(ctx, "webhook subscription left pending for repair", "account", account, "subscription", key, "err", err)
		}
	}
	return s.Modal(ctx, account)
}

// save validates the changes against fresh reads and writes them in one
// transaction; it returns the records to apply.
func (s *Service) save(ctx context.Context, account string, changes []Change) (touched, subs []string, err error) {
	chs, err := s.Channels.List(ctx, account)
	if err != nil {
		return nil, nil, err
	}
	byID := map[string]channels.Channel{}
	for _, c := range chs {
		byID[c.ID] = c
	}
	sets, err := s.settings(ctx, account)
	if err != nil {
		return nil, nil, err
	}
	var problems []Problem
	seen := map[string]bool{}
	checked := map[string]bool{}
	verifiable := map[string]bool{}
	var ops []store.Op
	now := s.now()
	for i, c := range changes {
		p := Problem{Index: i, ChannelID: c.ChannelID, Task: c.Task}
		ch, ok := byID[c.ChannelID]
		spec, known := catalog.Spec(c.Task)
		switch {
		case c.ChannelID == "":
			p.Field, p.Message = "channel_id", "channel_id is required."
		case !ok:
			p.Field, p.Message = "channel_id", "No such channel."
		case c.Task == "":
			p.Field, p.Message = "task", "task is required."
		case !known:
			p.Field, p.Message = "task", fmt.Sprintf("Unknown task %q.", c.Task)
		case seen[c.ChannelID+"#"+string(c.Task)]:
			p.Field, p.Message = "task", "This task is listed more than once."
		}
		if p.Message == "" && c.Enabled {
			av := s.offered(ch.Type, c.Task)
			switch {
			case !av.Available():
				p.Field, p.Message = "enabled", av.Reason
			case !av.AutosyncAvailable():
				p.Field, p.Message = "enabled", spec.Label+" can only be run once on "+carts.Label(ch.Type)+": "+av.Reason
			}
		}
		if p.Message != "" {
			problems = append(problems, p)
			continue
		}
		seen[c.ChannelID+"#"+string(c.Task)] = true
		key := settingSK(c.ChannelID, c.Task)
		cur := sets[key]
		if cur.Value.Enabled == c.Enabled {
			continue
		}
		if c.Enabled && spec.Mode == catalog.Instasync {
			ok, err := s.canVerifyHooks(ctx, ch, verifiable)
			if err != nil {
				return nil, nil, err
			}
			if !ok {
				p.Field, p.Message = "enabled", reasonNoClientSecret(ch.Type)
				problems = append(problems, p)
				continue
			}
		}
		next := cur.Value
		next.Enabled, next.UpdatedAt = c.Enabled, now
		it, err := store.NewDoc(store.AccountPK(account), key, next, time.Time{})
		if err != nil {
			return nil, nil, err
		}
		ops = append(ops, store.Put(it, store.AtVersion(cur.Version)))
		if !checked[ch.ID] {
			checked[ch.ID] = true
			ops = append(ops, channels.Unchanged(ch))
		}
		if spec.Mode == catalog.Autosync {
			rops, name, err := s.recordOp(ctx, ch, c.Task, next)
			if err != nil {
				return nil, nil, err
			}
			ops = append(ops, rops...)
			touched = append(touched, name)
		} else {
			// A channel that is not active subscribes nothing: its
			// credentials are refused or gone, and repair would ask the
			// cart every pass. Re-authorizing subscribes the ticked tasks.
			sops, key, err := s.subOp(ctx, ch, c.Task, c.Enabled && ch.Status == channels.Active)
			if err != nil {
				return nil, nil, err
			}
			ops = append(ops, sops...)
			subs = append(subs, key)
		}
	}
	if len(problems) > 0 {
		return nil, nil, &InvalidError{Problems: problems}
	}
	// Counted in tasks changed, as the message says; at most MaxChanges
	// always fit one transaction.
	if len(touched)+len(subs) > MaxChanges || len(ops) > store.MaxTransactItems {
		return nil, nil, &InvalidError{Problems: []Problem{{Index: -1, Message: fmt.Sprintf("Change at most %d tasks at once.", MaxChanges)}}}
	}
	if len(ops) > 0 {
		if err := s.Store.Transact(ctx, ops); err != nil {
			if errors.Is(err, store.ErrConditionFailed) {
				return nil, nil, err
			}
			return nil, nil, fmt.Errorf("save settings: %w", err)
		}
	}
	return touched, subs, nil
}

// canVerifyHooks reports whether Autosync can check the signatures of the
// channel's webhooks: a cart that signs with the app's client secret needs
// the channel's client_secret, which only its authorization stores (a
// channel created with a bare access token has none). known caches the
// answer per channel.
func (s *Service) canVerifyHooks(ctx context.Context, ch channels.Channel, known map[string]bool) (bool, error) {
	if !channels.SignsWithClientSecret(ch.Type) {
		return true, nil
	}
	if ok, seen := known[ch.ID]; seen {
		return ok, nil
	}
	creds, err := s.Channels.Credentials(ctx, ch.AccountID, ch.ID)
	if errors.Is(err, channels.ErrNotFound) {
		// Removed since the list was read: save again from fresh reads.
		return false, fmt.Errorf("channel %s removed meanwhile: %w", ch.ID, store.ErrConditionFailed)
	}
	if err != nil {
		return false, fmt.Errorf("read credentials of %s: %w", ch.ID, err)
	}
	known[ch.ID] = creds["client_secret"] != ""
	return known[ch.ID], nil
}

func reasonNoClientSecret(c catalog.Cart) string {
	l := carts.Label(c)
	return "Instasync needs this channel connected through " + l + "'s authorization (Add channel) so that Autosync can check " + l + "'s signatures; re-authorize the channel."
}

const reasonNoWebhookURL = "Instasync is not set up on this installation yet (it has no public webhook address), so autosync imports on a schedule instead. Ask support to set it up."

// ErrConflict means a concurrent change won; the client should reload and retry.
var ErrConflict = errors.New("settings changed concurrently")

// recordOp builds the writes that make the schedule record want what the
// setting and channel say, bumping its generation: the record and its
// queue marker.
func (s *Service) recordOp(ctx context.Context, ch channels.Channel, task catalog.Task, set setting) ([]store.Op, string, error) {
	name := schedule.Name(ch.AccountID, ch.ID, task)
	cur, err := s.getRecord(ctx, name, true)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, "", fmt.Errorf("load schedule record: %w", err)
	}
	r := desired(cur.Value, ch, task, set)
	r.Gen++
	ops, err := recordOps(name, r, cur.Version)
	if err != nil {
		return nil, "", err
	}
	return ops, name, nil
}

// desired is the record r as the setting and the channel's status want it:
// wanted when ticked, paused while the channel is not active.
func desired(r record, ch channels.Channel, task catalog.Task, set setting) record {
	spec, _ := catalog.Spec(task)
	r.Account, r.Channel, r.Task = ch.AccountID, ch.ID, task
	// A disconnected channel keeps its settings but no schedules: the
	// cart no longer lets us in, and re-authorizing recreates them.
	r.Want = set.Enabled && ch.Status != channels.Disconnected
	r.Paused = ch.Status != channels.Active
	r.Interval = spec.DefaultInterval
	if set.Interval != "" {
		r.Interval = set.Interval
	}
	return r
}

// apply makes the Scheduler match one schedule record, then marks it applied.
//
// Records are never deleted, only marked unwanted: item versions restart
// after a delete, and a stale conditional write could then land on a newer
// record (ABA). Two appliers may also race, and the Scheduler keeps
// whichever call came last; so an applier whose mark fails because the
// record moved on applies the record's latest state again. Whoever
// finishes last has therefore set the Scheduler from the latest record.
func (s *Service) apply(ctx context.Context, name string) error {
	force := false
	err := store.Retry(ctx, maxApplyAttempts, func() error {
		err := s.applyOnce(ctx, name, force)
		force = true
		return err
	})
	if errors.Is(err, store.ErrConditionFailed) {
		return fmt.Errorf("apply schedule %s: changed while applying, %d times; left for repair: %w", name, maxApplyAttempts+1, err)
	}
	return err
}

const maxApplyAttempts = 5

func (s *Service) applyOnce(ctx context.Context, name string, force bool) error {
	d, err := s.getRecord(ctx, name, true)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load schedule record %s: %w", name, err)
	}
	r := d.Value
	if !r.pending() && !force {
		return nil
	}
	if r.Want {
		if err := s.Scheduler.Put(ctx, r.schedule(name)); err != nil {
			return fmt.Errorf("put schedule %s: %w", name, err)
		}
		// Rate schedules count from when they were created or re-timed.
		if r.AppliedInterval != r.Interval || r.Anchor.IsZero() {
			r.Anchor = s.now()
		}
		r.AppliedInterval = r.Interval
	} else {
		if err := s.Scheduler.Delete(ctx, name); err != nil {
			return fmt.Errorf("delete schedule %s: %w", name, err)
		}
		r.Anchor, r.AppliedInterval = time.Time{}, ""
	}
	// Written even on a forced re-apply of an applied record: the
	// conditional write is what tells a stale applier to go again.
	r.AppliedGen = r.Gen
	if err := s.putRecord(ctx, name, r, d.Version); err != nil {
		if errors.Is(err, store.ErrConditionFailed) {
			return err
		}
		return fmt.Errorf("mark schedule %s applied: %w", name, err)
	}
	return nil
}
