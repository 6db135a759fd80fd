package settings

import (
	"context"
	"errors"
	"fmt"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/store"
)

// accountState is what repair reads once per account to check its records.
type accountState struct {
	chans map[string]channels.Channel
	sets  map[string]store.Doc[setting]
}

func (s *Service) account(ctx context.Context, accts map[string]*accountState, account string) (*accountState, error) {
	if a, ok := accts[account]; ok {
		return a, nil
	}
	chs, err := s.Channels.List(ctx, account)
	if err != nil {
		return nil, err
	}
	sets, err := s.settings(ctx, account)
	if err != nil {
		return nil, err
	}
	a := &accountState{chans: make(map[string]channels.Channel, len(chs)), sets: sets}
	for _, c := range chs {
		a.chans[c.ID] = c
	}
	accts[account] = a
	return a, nil
}

// converge makes one schedule record agree with its setting and its
// channel's status: wanted when ticked, paused exactly while the channel is
// not active, at the setting's interval; a record whose channel is gone is
// unwanted. It returns the record as written, or nil when it already agreed
// (or changed since it was read: whoever changed it applies it).
//
// The write is conditioned on the version read before the setting and
// channel were, so a record a concurrent save moved on is left alone.
func (s *Service) converge(ctx context.Context, accts map[string]*accountState, d store.Doc[record]) (*record, error) {
	r := d.Value
	a, err := s.account(ctx, accts, r.Account)
	if err != nil {
		return nil, fmt.Errorf("load account %s for repair: %w", r.Account, err)
	}
	want := r
	if ch, ok := a.chans[r.Channel]; ok {
		want = desired(r, ch, r.Task, a.sets[settingSK(r.Channel, r.Task)].Value)
	} else {
		want.Want = false
	}
	agrees := want.Want == r.Want && (!r.Want || (want.Paused == r.Paused && want.Interval == r.Interval))
	if agrees {
		return nil, nil
	}
	want.Gen++
	if _, err := store.PutDoc(ctx, s.Store, schedPK, r.name(), want, store.AtVersion(d.Version)); err != nil {
		if errors.Is(err, store.ErrConditionFailed) {
			return nil, nil
		}
		return nil, fmt.Errorf("converge schedule record %s: %w", r.name(), err)
	}
	s.Log.InfoContext(ctx, "schedule record converged", "account", r.Account, "channel", r.Channel, "task", r.Task,
		"want", want.Want, "paused", want.Paused)
	return &want, nil
}

// Reauthorize saves a channel's new credentials, marks it active and
// resumes its ticked tasks. Saving credentials without resuming left a
// channel "active" with its schedules paused until the next repair.
func (s *Service) Reauthorize(ctx context.Context, account, channel string, creds cart.Credentials) (channels.Channel, error) {
	before, err := s.Channels.Get(ctx, account, channel)
	if err != nil {
		return channels.Channel{}, err
	}
	ch, err := s.Channels.UpdateCredentials(ctx, account, channel, creds)
	if err != nil {
		return channels.Channel{}, err
	}
	if err := s.SetChannelActive(ctx, account, channel); err != nil {
		return channels.Channel{}, err
	}
	if before.Status == channels.Disconnected {
		// The cart dropped the webhook subscriptions with the app.
		if err := s.resubscribe(ctx, ch); err != nil {
			return channels.Channel{}, err
		}
	}
	return ch, nil
}
