package settings

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/schedule"
)

// A schedule record is derived from its task's setting and its channel's
// status; a write built from either as read before a concurrent change
// must not land, or the Scheduler fires a task the merchant unticked (the
// runner does not check the tick) or one of a channel that needs
// re-authorization, until repair's sweep comes by.
func TestRecordWritesRacingTheirInputs(t *testing.T) {
	cases := []struct {
		name string
		// ticked: Import Orders is ticked before the race.
		ticked bool
		// before runs ahead of the race.
		before func(f *fixture) error
		// outer is interrupted, at the first store operation match picks,
		// by inner.
		outer, inner func(f *fixture) error
		match        func(op, pk, sk, prefix string) bool
		// want: the schedule must exist (enabled as enabled says) or not.
		want, enabled bool
		// hooks, when set, are the cart's webhooks: none may be left.
		hooks bool
	}{
		{
			name:   "re-authorization racing an untick",
			ticked: true,
			before: func(f *fixture) error { return f.svc.NeedsReauth(context.Background(), "acct", f.shop.ID, "401") },
			outer: func(f *fixture) error {
				_, err := f.svc.Reauthorize(context.Background(), "acct", f.shop.ID, cart.Credentials{"access_token": "y"})
				return err
			},
			inner: func(f *fixture) error {
				_, err := f.svc.Update(context.Background(), "acct", []Change{{f.shop.ID, catalog.ImportOrders, false}})
				return err
			},
			// SetChannelActive has read the setting and now reads the record.
			match: func(op, pk, _, _ string) bool { return op == "get" && strings.HasPrefix(pk, "SCHED#") },
			want:  false,
		},
		{
			name: "tick racing the channel's loss of authorization",
			outer: func(f *fixture) error {
				_, err := f.svc.Update(context.Background(), "acct", []Change{{f.shop.ID, catalog.ImportOrders, true}})
				return err
			},
			inner: func(f *fixture) error { return f.svc.NeedsReauth(context.Background(), "acct", f.shop.ID, "401") },
			// Update has read the channel list and now reads the settings.
			match:   func(op, _, _, prefix string) bool { return op == "query" && prefix == "TS#" },
			want:    true,
			enabled: false,
		},
		{
			name:  "re-authorization of a disconnected channel racing an instasync untick",
			hooks: true,
			before: func(f *fixture) error {
				ctx := context.Background()
				if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.InstasyncOrders, true}}); err != nil {
					return err
				}
				if err := f.svc.Disconnect(ctx, "acct", f.shop.ID, "uninstalled"); err != nil {
					return err
				}
				// The cart dropped the subscriptions with the app.
				hooks := f.svc.Subscribers.(*fakeCartHooks)
				hooks.mu.Lock()
				clear(hooks.subs)
				hooks.mu.Unlock()
				return nil
			},
			outer: func(f *fixture) error {
				_, err := f.svc.Reauthorize(context.Background(), "acct", f.shop.ID, cart.Credentials{"access_token": "y"})
				return err
			},
			inner: func(f *fixture) error {
				_, err := f.svc.Update(context.Background(), "acct", []Change{{f.shop.ID, catalog.InstasyncOrders, false}})
				return err
			},
			// resubscribe has read the setting and now reads the record.
			match: func(op, pk, _, _ string) bool { return op == "get" && pk == subsPK },
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			hooks := &fakeCartHooks{subs: map[string]string{}}
			f.svc.Subscribers = hooks
			if c.ticked {
				if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.ImportOrders, true}}); err != nil {
					t.Fatal(err)
				}
			}
			if c.before != nil {
				if err := c.before(f); err != nil {
					t.Fatal(err)
				}
			}
			hs := &hookStore{Store: f.st, match: c.match}
			f.svc.Store, f.svc.Channels.Store = hs, hs
			hs.hook = func() {
				if err := c.inner(f); err != nil {
					t.Errorf("inner: %v", err)
				}
			}
			hs.armed.Store(true)
			if err := c.outer(f); err != nil {
				t.Fatalf("outer: %v", err)
			}
			f.svc.Store, f.svc.Channels.Store = f.st, f.st
			if hs.armed.Load() {
				t.Fatal("the race was not staged")
			}
			name := schedule.Name("acct", f.shop.ID, catalog.ImportOrders)
			s, ok := f.sched.snapshot()[name]
			st := f.state(t, f.shop.ID, catalog.ImportOrders)
			if ok != c.want || (ok && s.Enabled != c.enabled) {
				t.Fatalf("schedule present %v enabled %v, want present %v enabled %v (modal: ticked %v paused %v)",
					ok, s.Enabled, c.want, c.enabled, st.Enabled, st.Paused)
			}
			if got := hooks.list(); c.hooks && len(got) != 0 {
				t.Fatalf("the cart delivers for an unticked task: %v", got)
			}
			// Nothing is left for repair to converge: the records agree.
			if rep, err := f.svc.Repair(ctx); err != nil || rep.Converged != 0 {
				t.Fatalf("repair converged %d records after the race (%v)", rep.Converged, err)
			}
		})
	}
}

// MaxChanges changes fit one transaction even when each is on its own
// channel (and so checks its own channel); one more is refused whole.
func TestUpdateMaxChangesOnAsManyChannels(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var cs []Change
	for i := range MaxChanges + 1 {
		ch, err := f.svc.Channels.Create(ctx, "acct", channels.Channel{Type: catalog.Shopify, Name: fmt.Sprint("shop", i)}, cart.Credentials{"access_token": "x"})
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, Change{ch.ID, catalog.ImportOrders, true})
	}
	var inv *InvalidError
	if _, err := f.svc.Update(ctx, "acct", cs); !errors.As(err, &inv) {
		t.Fatalf("%d changes: %v, want refused", len(cs), err)
	}
	if n := len(f.sched.snapshot()); n != 0 {
		t.Fatalf("a refused save made %d schedules", n)
	}
	if _, err := f.svc.Update(ctx, "acct", cs[:MaxChanges]); err != nil {
		t.Fatalf("%d changes on as many channels: %v", MaxChanges, err)
	}
	if n := len(f.sched.snapshot()); n != MaxChanges {
		t.Fatalf("%d schedules, want %d", n, MaxChanges)
	}
}
