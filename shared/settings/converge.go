package settings

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/store"
)

// accountState is what repair has read of one account to check its
// records: each channel and setting read once, when a record needs it. A
// sweep's records are spread over many accounts (they are sharded by a
// hash), so it reads two items per record, not whole accounts.
type accountState struct {
	chans map[string]*channels.Channel // nil: the channel is gone
	sets  map[string]setting
}

// accountCache is a pass's accountStates, shared by its workers.
type accountCache struct {
	mu sync.Mutex
	m  map[string]*accountState
}

func newAccountCache() *accountCache { return &accountCache{m: map[string]*accountState{}} }

func (c *accountCache) of(account string) *accountState {
	a, ok := c.m[account]
	if !ok {
		a = &accountState{chans: map[string]*channels.Channel{}, sets: map[string]setting{}}
		c.m[account] = a
	}
	return a
}

func (s *Service) channelOf(ctx context.Context, c *accountCache, account, channel string) (*channels.Channel, error) {
	c.mu.Lock()
	ch, ok := c.of(account).chans[channel]
	c.mu.Unlock()
	if ok {
		return ch, nil
	}
	got, err := s.Channels.Get(ctx, account, channel)
	if errors.Is(err, channels.ErrNotFound) {
		ch = nil
	} else if err != nil {
		return nil, err
	} else {
		ch = &got
	}
	c.mu.Lock()
	c.of(account).chans[channel] = ch
	c.mu.Unlock()
	return ch, nil
}

func (s *Service) settingOf(ctx context.Context, c *accountCache, account, key string) (setting, error) {
	c.mu.Lock()
	v, ok := c.of(account).sets[key]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	d, err := store.GetDoc[setting](ctx, s.Store, store.AccountPK(account), key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return setting{}, fmt.Errorf("load setting: %w", err)
	}
	c.mu.Lock()
	c.of(account).sets[key] = d.Value
	c.mu.Unlock()
	return d.Value, nil
}

// converge makes one schedule record agree with its setting and its
// channel's status: wanted when ticked, paused exactly while the channel is
// not active, at the setting's interval; a record whose channel is gone is
// unwanted. It returns the record as written, or nil when it already agreed
// (or changed since it was read: whoever changed it applies it).
//
// The write is conditioned on the version read before the setting and
// channel were, so a record a concurrent save moved on is left alone.
func (s *Service) converge(ctx context.Context, accts *accountCache, d store.Doc[record]) (*record, error) {
	r := d.Value
	ch, err := s.channelOf(ctx, accts, r.Account, r.Channel)
	if err != nil {
		return nil, fmt.Errorf("load channel of %s for repair: %w", r.name(), err)
	}
	want := r
	if ch != nil {
		set, err := s.settingOf(ctx, accts, r.Account, settingSK(r.Channel, r.Task))
		if err != nil {
			return nil, fmt.Errorf("load setting of %s for repair: %w", r.name(), err)
		}
		want = desired(r, *ch, r.Task, set)
	} else {
		want.Want = false
	}
	agrees := want.Want == r.Want && (!r.Want || (want.Paused == r.Paused && want.Interval == r.Interval))
	if agrees {
		return nil, nil
	}
	want.Gen++
	if err := s.putRecord(ctx, r.name(), want, d.Version); err != nil {
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
	if before.Status != channels.Active {
		// A disconnected channel's cart dropped the webhook subscriptions
		// with the app; a paused one's ticks made meanwhile subscribed
		// nothing (Update). Those already in place are left as they are.
		if err := s.resubscribe(ctx, account, channel); err != nil {
			return channels.Channel{}, err
		}
	}
	return ch, nil
}
