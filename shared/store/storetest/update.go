package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/autosync/autosync/shared/store"
)

// counter is the document the Update tests change.
type counter struct {
	N int `json:"n"`
}

func addOne(c *counter, _ bool) error {
	c.N++
	return nil
}

// testUpdateConcurrent checks that store.Update loses no update when
// writers contend for one item: every one lands, through retries.
func testUpdateConcurrent(t *testing.T, s store.Store) {
	pk := partition(t)
	const workers, each = 8, 5
	errs := make(chan error, workers)
	for range workers {
		go func() {
			for range each {
				// A generous limit: the test is about lost updates, not
				// about how much contention a production limit absorbs.
				if _, err := store.Update(t.Context(), s, pk, "counter", 200, addOne); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	wantItem(t, s, pk, "counter", workers*each, fmt.Sprintf(`{"n":%d}`, workers*each))
}

// testUpdateAbsent checks what fn sees of a missing item, that an update
// creates it, and that fn refusing leaves it missing.
func testUpdateAbsent(t *testing.T, s store.Store) {
	pk := partition(t)
	refused := errors.New("not here")
	calls := 0
	_, err := store.Update(t.Context(), s, pk, "refused", 5, func(c *counter, found bool) error {
		calls++
		if found || c.N != 0 {
			t.Errorf("missing item: fn got %+v, found=%v; want the zero value, found=false", *c, found)
		}
		return refused
	})
	if err != refused || calls != 1 {
		t.Fatalf("refusing a missing item: err %v after %d calls; want fn's error itself after 1", err, calls)
	}
	wantMissing(t, s, pk, "refused")

	d, err := store.Update(t.Context(), s, pk, "created", 5, func(c *counter, found bool) error {
		if found {
			t.Error("missing item reported found")
		}
		c.N = 7
		return nil
	})
	if err != nil || d.Value.N != 7 || d.Version != 1 {
		t.Fatalf("creating: %+v, %v; want n 7 at version 1", d, err)
	}
	wantItem(t, s, pk, "created", 1, `{"n":7}`)

	// An expired item is as missing as one never written.
	mustPut(t, s, store.Item{PK: pk, SK: "expired", Data: []byte(`{"n":3}`), ExpiresAt: past()}, store.NoCond)
	d, err = store.Update(t.Context(), s, pk, "expired", 5, func(c *counter, found bool) error {
		if found || c.N != 0 {
			t.Errorf("expired item: fn got %+v, found=%v; want the zero value, found=false", *c, found)
		}
		return addOne(c, found)
	})
	if err != nil || d.Value.N != 1 {
		t.Fatalf("updating over an expired item: %+v, %v; want n 1", d, err)
	}
	if got := mustGet(t, s, pk, "expired"); string(got.Data) != `{"n":1}` || !got.ExpiresAt.IsZero() {
		t.Fatalf("after updating over an expired item: %+v", got)
	}
}

// testUpdateFnError checks that fn's error stops the update at once, is
// returned as it is, and writes nothing, even when it looks like a lost
// write: only the store's own conflicts are retried.
func testUpdateFnError(t *testing.T, s store.Store) {
	pk := partition(t)
	mustPut(t, s, store.Item{PK: pk, SK: "k", Data: []byte(`{"n":1}`)}, store.NoCond)
	for _, refused := range []error{
		errors.New("not allowed"),
		fmt.Errorf("fn's own: %w", store.ErrConditionFailed),
	} {
		calls := 0
		d, err := store.Update(t.Context(), s, pk, "k", 5, func(c *counter, found bool) error {
			calls++
			if !found || c.N != 1 {
				t.Errorf("fn got %+v, found=%v; want n 1, found", *c, found)
			}
			c.N = 99 // a change fn then refuses must not be written
			return refused
		})
		if err != refused || calls != 1 || d != (store.Doc[counter]{}) {
			t.Errorf("fn returning %q: %+v, %v after %d calls; want fn's error itself after 1 call", refused, d, err, calls)
		}
		wantItem(t, s, pk, "k", 1, `{"n":1}`)
	}
}

// testUpdateLimit checks that a writer that loses every time gives up
// after limit retries with an error matching ErrConditionFailed, and that
// each retry starts from a fresh read.
func testUpdateLimit(t *testing.T, s store.Store) {
	pk := partition(t)
	mustPut(t, s, store.Item{PK: pk, SK: "k", Data: []byte(`{"n":0}`)}, store.NoCond)
	const limit = 3
	var seen []int
	_, err := store.Update(t.Context(), s, pk, "k", limit, func(c *counter, found bool) error {
		seen = append(seen, c.N)
		// Another writer gets in between this read and the write.
		mustPut(t, s, store.Item{PK: pk, SK: "k", Data: fmt.Appendf(nil, `{"n":%d}`, c.N+10)}, store.NoCond)
		c.N++
		return nil
	})
	if !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("always losing: %v; want ErrConditionFailed", err)
	}
	if fmt.Sprint(seen) != "[0 10 20 30]" {
		t.Fatalf("fn read %v; want [0 10 20 30] (one first try, %d retries, each re-read)", seen, limit)
	}
	wantItem(t, s, pk, "k", 5, `{"n":40}`)
}

// testUpdateCanceled checks that an update whose context ends stops
// there: no retry, no write.
func testUpdateCanceled(t *testing.T, s store.Store) {
	pk := partition(t)
	mustPut(t, s, store.Item{PK: pk, SK: "k", Data: []byte(`{"n":1}`)}, store.NoCond)
	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	_, err := store.Update(ctx, s, pk, "k", 5, func(c *counter, found bool) error {
		calls++
		cancel()
		return addOne(c, found)
	})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("canceled: %v after %d calls; want context.Canceled after 1", err, calls)
	}
	wantItem(t, s, pk, "k", 1, `{"n":1}`)

	_, err = store.Update(ctx, s, pk, "k", 5, func(*counter, bool) error {
		t.Error("fn called with a canceled context")
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("already canceled: %v; want context.Canceled", err)
	}
}
