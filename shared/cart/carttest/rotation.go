package carttest

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/clock"
)

// Rotation is one connected test channel whose refresh token two runs of
// the channel hold (Import Orders and Write Inventory hold separate
// leases, say), each with a connector of type C built from Store.
type Rotation[C any] struct {
	Clock *clock.Fake
	Store *CredStore
	// Run builds the connector of one run from what Store holds now,
	// reading it back with load (nil: Build.LoadCredentials is nil).
	Run func(load func(context.Context) (cart.Credentials, error)) C
	// Request makes one request with a run's connector, which renews its
	// access token first when it is due.
	Request func(context.Context, C) error
	// Revoke has the cart revoke the grant (the owner disconnected).
	Revoke func()
	// Refreshes counts the renewals the cart granted.
	Refreshes func() int
	// Renewed checks, once the second run succeeded, the credentials
	// Store holds and the runs' connectors.
	Renewed func(t *testing.T, stored cart.Credentials, first, second C)
	// Continued, when set, checks the same after both runs made one more
	// request.
	Continued func(t *testing.T, stored cart.Credentials, first, second C)
}

// rotationCase is one case of RunRotation.
type rotationCase struct {
	name string
	// again: the clock moves on by the due time between the two runs'
	// requests, so that tokens the first run renewed are due again.
	again bool
	// first: the first run renews before the second; load: the second
	// has Build.LoadCredentials; revoke: the owner revoked the grant
	// before the second ran; loadErr: reading the store fails; lateSave:
	// the first run's tokens reach the store only after the second read
	// it first (they renewed at the same moment).
	first, load, revoke, lateSave bool
	loadErr                       error
	// wantSettle: the second run read the store again after a wait.
	wantSettle bool
	// want of the second run: err (nil: success), the cart's renewals in
	// all, and whether the second saved tokens.
	wantErr       error
	wantRefreshes int
	secondSaves   bool
}

var rotationCases = []rotationCase{
	{name: "adopts the tokens the other run saved", first: true, load: true, wantRefreshes: 1},
	{name: "adopted tokens due too are renewed", first: true, load: true, again: true, wantRefreshes: 2, secondSaves: true},
	{name: "other run's tokens saved late", first: true, load: true, lateSave: true, wantRefreshes: 1, wantSettle: true},
	{name: "revoked grant", load: true, revoke: true, wantErr: cart.ErrRevoked, wantSettle: true},
	{name: "revoked after the other run renewed", first: true, load: true, again: true, revoke: true, wantErr: cart.ErrRevoked, wantRefreshes: 1},
	{name: "without LoadCredentials a refusal stays revoked", first: true, wantErr: cart.ErrRevoked, wantRefreshes: 1},
	{name: "store unreadable", first: true, load: true, loadErr: errors.New("store down"), wantRefreshes: 1},
}

// RunRotation is the test of a connector whose cart rotates refresh
// tokens: two runs of one channel build their connectors from the stored
// credentials and, once the clock has moved on by due, find the access
// token due for renewal. The first renews it, which retires the refresh
// token both were given; the second's renewal with it is refused, and
// the connector reads the stored credentials: the tokens the first run
// saved are adopted, and renewed again if due too, instead of the
// channel being disconnected as revoked. Only a refused refresh token
// that is still the stored one is a revoked grant. connect sets up a
// freshly connected channel for each case.
func RunRotation[C any](t *testing.T, due time.Duration, connect func(t *testing.T) Rotation[C]) {
	t.Helper()
	for _, tc := range rotationCases {
		t.Run(tc.name, func(t *testing.T) {
			r := connect(t)
			clk, store := r.Clock, r.Store
			// Both runs start before either renews.
			a := r.Run(store.Load)
			var load func(context.Context) (cart.Credentials, error)
			if tc.load {
				load = store.Load
			}
			if tc.lateSave {
				stale, reads := store.Creds(), 0
				load = func(ctx context.Context) (cart.Credentials, error) {
					if reads++; reads == 1 {
						return stale, nil
					}
					return store.Load(ctx)
				}
			}
			b := r.Run(load)
			ctx := t.Context()

			clk.Add(due)
			if tc.first {
				if err := r.Request(ctx, a); err != nil {
					t.Fatalf("first run: %v", err)
				}
			}
			if tc.again {
				clk.Add(due)
			}
			if tc.revoke {
				r.Revoke()
			}
			store.Fail = tc.loadErr
			before, savesBefore := store.Creds(), store.Saves()

			slept := clk.Slept()
			err := r.Request(ctx, b)
			if settled := clk.Slept() > slept; settled != tc.wantSettle {
				t.Errorf("the second run waited to read the store again: %v; want %v", settled, tc.wantSettle)
			}
			switch {
			case tc.loadErr != nil:
				if err == nil || errors.Is(err, cart.ErrAuth) || !errors.Is(err, tc.loadErr) {
					t.Fatalf("second run: %v; want the store's error, not cart.ErrAuth", err)
				}
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("second run: %v; want %v", err, tc.wantErr)
				}
			case err != nil:
				t.Fatalf("second run: %v", err)
			}
			if got := r.Refreshes(); got != tc.wantRefreshes {
				t.Errorf("%d token refreshes; want %d", got, tc.wantRefreshes)
			}
			if saved := store.Saves() > savesBefore; saved != tc.secondSaves {
				t.Errorf("second run saved tokens: %v; want %v", saved, tc.secondSaves)
			}
			after := store.Creds()
			if err != nil {
				if !maps.Equal(after, before) {
					t.Error("a failed renewal changed the stored credentials")
				}
				return
			}
			r.Renewed(t, after, a, b)
			// Both runs go on with the stored tokens without another
			// renewal: a first run whose token is due again after the gap
			// (its refresh token spent) adopts the second run's too.
			for _, c := range []C{b, a} {
				if err := r.Request(ctx, c); err != nil {
					t.Fatalf("next request: %v", err)
				}
			}
			if got := r.Refreshes(); got != tc.wantRefreshes {
				t.Errorf("%d token refreshes after the next requests; want still %d", got, tc.wantRefreshes)
			}
			if r.Continued != nil {
				r.Continued(t, after, a, b)
			}
		})
	}
}
