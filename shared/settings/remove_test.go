package settings

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/schedule"
	"github.com/autosync/autosync/shared/store"
)

// subRecords returns the shop's stored subscription records by task.
func (f *fixture) subRecords(t *testing.T, channel string) map[catalog.Task]subRecord {
	t.Helper()
	out := map[catalog.Task]subRecord{}
	for _, task := range []catalog.Task{catalog.InstasyncOrders, catalog.InstasyncProducts} {
		d, err := store.GetDoc[subRecord](context.Background(), f.st, subsPK, subKey("acct", channel, task))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out[task] = d.Value
	}
	return out
}

// A channel's credentials are the only way to remove its webhook
// subscriptions at the cart: removal must not delete them while the cart
// cannot be reached, or the cart posts to a deleted channel for good. A
// cart that refuses the credentials for good cannot be asked either, and
// must not make the channel impossible to remove.
func TestRemoveChannelWhileTheCartFails(t *testing.T) {
	cases := []struct {
		name string
		fail error
		// removed: the channel goes at the first attempt.
		removed bool
	}{
		{"outage", &cart.Error{Status: 503, Temporary: true, Message: "down"}, false},
		{"transport", errors.New("connection reset"), false},
		{"credentials refused", &cart.Error{Status: 401, Message: "Invalid API key", Err: cart.ErrAuth}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			hooks := f.tickInstasync(t)
			ctx := context.Background()
			if _, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.ImportOrders, true}}); err != nil {
				t.Fatal(err)
			}
			if len(hooks.list()) != 1 {
				t.Fatalf("setup: %v", hooks.list())
			}
			hooks.mu.Lock()
			hooks.fail = c.fail
			hooks.mu.Unlock()
			err := f.svc.RemoveChannel(ctx, "acct", f.shop.ID)
			_, gerr := f.svc.Channels.Get(ctx, "acct", f.shop.ID)
			if c.removed {
				if err != nil || !errors.Is(gerr, channels.ErrNotFound) {
					t.Fatalf("remove: %v; channel: %v", err, gerr)
				}
				if recs := f.subRecords(t, f.shop.ID); len(recs) != 0 {
					t.Fatalf("records left for a removed channel: %+v", recs)
				}
				return
			}
			var re *RemoveError
			if !errors.As(err, &re) || !errors.Is(err, ErrCartUnreachable) || !strings.Contains(re.Message, "try again") {
				t.Fatalf("remove during the outage: %v, want a RemoveError saying to try again", err)
			}
			if gerr != nil {
				t.Fatalf("channel deleted during the outage: %v", gerr)
			}
			if _, err := f.svc.Channels.Credentials(ctx, "acct", f.shop.ID); err != nil {
				t.Fatalf("credentials gone: %v", err)
			}
			// The removal stopped the channel's tasks: nothing ticked, no
			// schedule, the subscription record unwanted.
			for _, task := range []catalog.Task{catalog.ImportOrders, catalog.InstasyncOrders} {
				if st := f.state(t, f.shop.ID, task); st.Enabled {
					t.Errorf("%s still ticked", task)
				}
			}
			if len(f.sched.snapshot()) != 0 {
				t.Errorf("schedules left: %v", f.sched.snapshot())
			}
			// Records of a channel that stays are kept (see apply).
			if r, ok := f.subRecords(t, f.shop.ID)[catalog.InstasyncOrders]; !ok || r.Want {
				t.Errorf("subscription record %+v (present %v), want kept and unwanted", r, ok)
			}
			if _, err := f.svc.getRecord(ctx, schedule.Name("acct", f.shop.ID, catalog.ImportOrders), false); err != nil {
				t.Errorf("schedule record of a kept channel: %v", err)
			}
			hooks.mu.Lock()
			hooks.fail = nil
			hooks.mu.Unlock()
			// Repair alone finishes the unsubscription (the channel is
			// still there to do it through) ...
			f.svc.Repair(ctx)
			if got := hooks.list(); len(got) != 0 {
				t.Fatalf("after repair the cart still delivers to: %v", got)
			}
			// ... and the merchant's second attempt removes the channel.
			if err := f.svc.RemoveChannel(ctx, "acct", f.shop.ID); err != nil {
				t.Fatalf("second remove: %v", err)
			}
			if _, err := f.svc.Channels.Get(ctx, "acct", f.shop.ID); !errors.Is(err, channels.ErrNotFound) {
				t.Fatalf("channel after the second remove: %v", err)
			}
			if recs := f.subRecords(t, f.shop.ID); len(recs) != 0 {
				t.Fatalf("records left: %+v", recs)
			}
		})
	}
}

// hookStore runs hook once, before the first operation match picks.
type hookStore struct {
	store.Store
	armed atomic.Bool
	match func(op string, pk, sk, prefix string) bool
	hook  func()
}

func (h *hookStore) fire(op, pk, sk, prefix string) {
	if h.match(op, pk, sk, prefix) && h.armed.CompareAndSwap(true, false) {
		h.hook()
	}
}

func (h *hookStore) Get(ctx context.Context, pk, sk string) (store.Item, error) {
	h.fire("get", pk, sk, "")
	return h.Store.Get(ctx, pk, sk)
}

func (h *hookStore) Query(ctx context.Context, q store.Query) (store.Page, error) {
	h.fire("query", q.PK, q.After, q.Prefix)
	return h.Store.Query(ctx, q)
}

func (h *hookStore) Transact(ctx context.Context, ops []store.Op) error {
	for _, op := range ops {
		h.fire("transact", op.Item.PK, op.Item.SK, "")
	}
	return h.Store.Transact(ctx, ops)
}

// An instasync tick racing the channel's removal must end with no
// subscription at the cart and no wanted record of a deleted channel,
// whichever lands first.
func TestRemoveChannelRacingInstasyncTick(t *testing.T) {
	cases := []struct {
		name string
		// match picks where in the first call the second one runs.
		match func(op, pk, sk, prefix string) bool
		// removeFirst: the removal is the outer call, the tick runs inside it.
		removeFirst bool
		// tickRefused: the tick finds the channel gone.
		tickRefused bool
	}{
		{
			// The tick is saved (and subscribed) after the removal read
			// the subscription records, before it deletes the channel.
			name:        "tick lands before the channel is deleted",
			removeFirst: true,
			match:       func(op, pk, _, _ string) bool { return op == "transact" && pk == "CHIDX" },
		},
		{
			// The tick read the channel list before the removal, and
			// saves after the channel is gone.
			name:        "tick read the channel before the removal",
			match:       func(op, pk, _, prefix string) bool { return op == "query" && prefix == "TS#" },
			tickRefused: true,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			hooks := &fakeCartHooks{subs: map[string]string{}}
			f.svc.Subscribers = hooks
			ctx := context.Background()
			hs := &hookStore{Store: f.st, match: c.match}
			f.svc.Store, f.svc.Channels.Store = hs, hs
			tick := func() error {
				_, err := f.svc.Update(ctx, "acct", []Change{{f.shop.ID, catalog.InstasyncOrders, true}})
				return err
			}
			remove := func() error { return f.svc.RemoveChannel(ctx, "acct", f.shop.ID) }
			outer, inner := tick, remove
			if c.removeFirst {
				outer, inner = remove, tick
			}
			var innerErr error
			hs.hook = func() { innerErr = inner() }
			hs.armed.Store(true)
			outerErr := outer()
			f.svc.Store, f.svc.Channels.Store = f.st, f.st
			if hs.armed.Load() {
				t.Fatal("the race was not staged")
			}
			removeErr, tickErr := outerErr, innerErr
			if !c.removeFirst {
				removeErr, tickErr = innerErr, outerErr
			}
			if removeErr != nil {
				t.Fatalf("remove: %v", removeErr)
			}
			var inv *InvalidError
			if refused := errors.As(tickErr, &inv); refused != c.tickRefused || (tickErr != nil && !refused) {
				t.Fatalf("tick: %v, want refused %v", tickErr, c.tickRefused)
			}
			if _, err := f.svc.Channels.Get(ctx, "acct", f.shop.ID); !errors.Is(err, channels.ErrNotFound) {
				t.Fatalf("channel: %v", err)
			}
			if got := hooks.list(); len(got) != 0 {
				t.Fatalf("the cart delivers to a deleted channel: %v", got)
			}
			for task, r := range f.subRecords(t, f.shop.ID) {
				if r.Want {
					t.Fatalf("%s: wanted subscription record of a deleted channel: %+v", task, r)
				}
			}
			if rep, err := f.svc.Repair(ctx); err != nil || rep.Failed != 0 {
				t.Fatalf("repair after the race: %+v %v", rep, err)
			}
		})
	}
}
