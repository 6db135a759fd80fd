package seal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/clock"
)

// memKeys is the shared record in memory, written under the same condition
// the store's adapter uses.
type memKeys struct {
	mu       sync.Mutex
	rec      *DataKey
	reads    int
	writes   int
	readErr  error
	writeErr error
	// arrive, when set, holds every Current until all it counts have
	// arrived, so the callers all read the record before any replaces it.
	arrive *sync.WaitGroup
}

func (m *memKeys) Current(context.Context) (DataKey, error) {
	m.mu.Lock()
	m.reads++
	err, rec, arrive := m.readErr, m.rec, m.arrive
	m.mu.Unlock()
	if arrive != nil {
		arrive.Done()
		arrive.Wait()
	}
	if err != nil {
		return DataKey{}, err
	}
	if rec == nil {
		return DataKey{}, ErrNoDataKey
	}
	out := *rec
	out.Wrapped = bytes.Clone(rec.Wrapped)
	return out, nil
}

func (m *memKeys) Replace(_ context.Context, old, next DataKey) (DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.writeErr != nil {
		return DataKey{}, m.writeErr
	}
	if m.rec != nil && m.rec.Version != old.Version || m.rec == nil && old.Version != 0 {
		return *m.rec, nil // another writer came first
	}
	next.Version = old.Version + 1
	next.Wrapped = bytes.Clone(next.Wrapped)
	m.rec = &next
	m.writes++
	return next, nil
}

func (m *memKeys) record(t *testing.T) DataKey {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rec == nil {
		t.Fatal("no shared record")
	}
	return *m.rec
}

func sharedEnvelope(f *fakeKMS, keys DataKeys, now func() time.Time) *Envelope {
	e := NewEnvelope(f, "alias/autosync")
	e.Keys = keys
	if now != nil {
		e.Now = now
	}
	return e
}

// Two environments share the record: the second seals under the first's
// data key, and a third environment opens both's blobs with one Decrypt.
func TestEnvelopeSharedDataKey(t *testing.T) {
	ctx := context.Background()
	f := newFakeKMS(t)
	keys := &memKeys{}
	a, b := sharedEnvelope(f, keys, nil), sharedEnvelope(f, keys, nil)
	contract(t, a)
	var blobs [][]byte
	for i, e := range []*Envelope{a, b, a, b, b} {
		blob, err := e.Seal(ctx, fmt.Appendf(nil, "secret-%d", i), fmt.Sprintf("acct/ch%d", i))
		if err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, blob)
	}
	if n := f.n("GenerateDataKey"); n != 1 {
		t.Fatalf("%d GenerateDataKey calls for two environments, want 1", n)
	}
	rec := keys.record(t)
	for i, blob := range blobs {
		if !bytes.Equal(wrappedKey(t, blob), rec.Wrapped) {
			t.Errorf("blob %d is sealed under a key that is not the shared record's", i)
		}
	}
	// Each environment read the record once (contract's seal included).
	if keys.reads != 2 || keys.writes != 1 {
		t.Errorf("record read %d times, written %d; want 2 and 1", keys.reads, keys.writes)
	}
	// The second environment opened the key to seal under it; the first
	// generated it. Neither asks KMS to open the other's blobs.
	before := f.n("Decrypt")
	if before != 1 {
		t.Errorf("%d Decrypt calls to seal, want the second environment's 1", before)
	}
	for i, blob := range blobs {
		for _, e := range []*Envelope{a, b} {
			if got, err := e.Open(ctx, blob, fmt.Sprintf("acct/ch%d", i)); err != nil || string(got) != fmt.Sprintf("secret-%d", i) {
				t.Fatalf("Open blob %d = %q, %v", i, got, err)
			}
		}
	}
	if n := f.n("Decrypt") - before; n != 0 {
		t.Errorf("the sealing environments called Decrypt %d times to open", n)
	}
	// An environment that opened nothing yet opens them all with one Decrypt.
	c := NewEnvelope(f, "alias/autosync")
	before = f.n("Decrypt")
	for i, blob := range blobs {
		if got, err := c.Open(ctx, blob, fmt.Sprintf("acct/ch%d", i)); err != nil || string(got) != fmt.Sprintf("secret-%d", i) {
			t.Fatalf("fresh environment: Open blob %d = %q, %v", i, got, err)
		}
	}
	if n := f.n("Decrypt") - before; n != 1 {
		t.Errorf("a fresh environment called Decrypt %d times for blobs of two environments, want 1", n)
	}
}

// What a seal does with the record it reads.
func TestEnvelopeSharedRecordUse(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	f := newFakeKMS(t)
	_, wrapped, err := f.GenerateDataKey(context.Background(), "alias/autosync", dataKeyContext)
	if err != nil {
		t.Fatal(err)
	}
	rec := func(created time.Time, keyID string) *DataKey {
		return &DataKey{Wrapped: wrapped, Created: created, KeyID: keyID, Version: 7}
	}
	tests := []struct {
		name     string
		rec      *DataKey
		generate bool // a new key replaces the record
	}{
		{"no record", nil, true},
		{"a fresh key", rec(now.Add(-23*time.Hour), "alias/autosync"), false},
		{"a key MaxAge old", rec(now.Add(-24*time.Hour), "alias/autosync"), true},
		{"a key under another KMS key", rec(now.Add(-time.Hour), "alias/old"), true},
		{"a clock a little ahead", rec(now.Add(2*time.Minute), "alias/autosync"), false},
		{"a clock far ahead", rec(now.Add(10*time.Minute), "alias/autosync"), true},
		{"an empty key", &DataKey{Created: now, KeyID: "alias/autosync", Version: 7}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeKMS(t)
			keys := &memKeys{rec: tt.rec}
			e := sharedEnvelope(f, keys, func() time.Time { return now })
			blob, err := e.Seal(context.Background(), []byte("shpat_x"), "acct/ch1")
			if err != nil {
				t.Fatal(err)
			}
			got := keys.record(t)
			if !bytes.Equal(wrappedKey(t, blob), got.Wrapped) {
				t.Error("sealed under a key that is not the record's")
			}
			if gen := f.n("GenerateDataKey") == 1; gen != tt.generate || (keys.writes == 1) != tt.generate {
				t.Errorf("generated %v, record written %d times; want a new key %v", gen, keys.writes, tt.generate)
			}
			if tt.generate && (!got.Created.Equal(now) || got.KeyID != "alias/autosync") {
				t.Errorf("new record created %v under %q", got.Created, got.KeyID)
			}
			if pt, err := e.Open(context.Background(), blob, "acct/ch1"); err != nil || string(pt) != "shpat_x" {
				t.Errorf("Open = %q, %v", pt, err)
			}
		})
	}
}

// Rotation: the environments seal under the shared key until it is MaxAge
// old (whenever each took it up), then the first to seal replaces it and
// the others take the new one; a key spent by MaxSeals in one environment
// is replaced too. Blobs under every earlier key still open.
func TestEnvelopeSharedRotation(t *testing.T) {
	ctx := context.Background()
	f := newFakeKMS(t)
	clk := clock.NewFake(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	keys := &memKeys{}
	a, b := sharedEnvelope(f, keys, clk.Now), sharedEnvelope(f, keys, clk.Now)
	a.MaxSeals = 3
	envs := map[string]*Envelope{"a": a, "b": b}
	type sealed struct {
		blob []byte
		aad  string
	}
	var all []sealed
	steps := []struct {
		name        string
		advance     time.Duration
		who         string
		wantGen     int   // GenerateDataKey calls so far
		wantVersion int64 // of the record
	}{
		{"a generates the first key", 0, "a", 1, 1},
		{"b takes it up late", 23 * time.Hour, "b", 1, 1},
		{"at the key's 24 hours b replaces it", time.Hour, "b", 2, 2},
		{"a takes the new key", time.Minute, "a", 2, 2},
		{"a's second seal under it", 0, "a", 2, 2},
		{"a's third, its MaxSeals", 0, "a", 2, 2},
		{"a spent the key: it replaces it", 0, "a", 3, 3},
		{"b's key is still young: b seals on under it", time.Minute, "b", 3, 3},
	}
	for i, s := range steps {
		clk.Add(s.advance)
		aad := fmt.Sprintf("acct/ch%d", i)
		blob, err := envs[s.who].Seal(ctx, fmt.Appendf(nil, "secret-%d", i), aad)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		all = append(all, sealed{blob, aad})
		rec := keys.record(t)
		if gen := f.n("GenerateDataKey"); gen != s.wantGen || rec.Version != s.wantVersion {
			t.Fatalf("%s: %d GenerateDataKey calls, record version %d; want %d and %d", s.name, gen, rec.Version, s.wantGen, s.wantVersion)
		}
	}
	// b sealed the last blob under the key it rotated in, not the key a
	// put in the record after spending its own count.
	if !bytes.Equal(wrappedKey(t, all[len(all)-1].blob), wrappedKey(t, all[2].blob)) {
		t.Error("b's last seal is not under the key it rotated in")
	}
	c := NewEnvelope(f, "alias/autosync")
	c.Now = clk.Now
	before := f.n("Decrypt")
	for i, s := range all {
		if got, err := c.Open(ctx, s.blob, s.aad); err != nil || string(got) != fmt.Sprintf("secret-%d", i) {
			t.Fatalf("Open blob %d = %q, %v", i, got, err)
		}
	}
	if n := f.n("Decrypt") - before; n != 3 {
		t.Errorf("%d Decrypt calls to open blobs under 3 keys, want 3", n)
	}
}

// Two environments find the record missing or old at once: both generate,
// one replaces it, and the other seals under the winner's key.
func TestEnvelopeSharedRace(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, start := range []string{"missing", "old"} {
		t.Run(start, func(t *testing.T) {
			ctx := context.Background()
			f := newFakeKMS(t)
			keys := &memKeys{arrive: &sync.WaitGroup{}}
			keys.arrive.Add(2)
			if start == "old" {
				_, w, _ := f.GenerateDataKey(ctx, "alias/autosync", dataKeyContext)
				keys.rec = &DataKey{Wrapped: w, Created: now.Add(-25 * time.Hour), KeyID: "alias/autosync", Version: 4}
			}
			genBefore := f.n("GenerateDataKey")
			envs := []*Envelope{sharedEnvelope(f, keys, func() time.Time { return now }), sharedEnvelope(f, keys, func() time.Time { return now })}
			blobs := make([][]byte, 2)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i, e := range envs {
				wg.Go(func() { blobs[i], errs[i] = e.Seal(ctx, fmt.Appendf(nil, "secret-%d", i), "acct/ch1") })
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if gen := f.n("GenerateDataKey") - genBefore; gen != 2 || keys.writes != 1 {
				t.Fatalf("%d keys generated, record written %d times; want 2 and 1", gen, keys.writes)
			}
			rec := keys.record(t)
			for i, blob := range blobs {
				if !bytes.Equal(wrappedKey(t, blob), rec.Wrapped) {
					t.Errorf("environment %d sealed under a key that is not the record's", i)
				}
				if got, err := envs[1-i].Open(ctx, blob, "acct/ch1"); err != nil || string(got) != fmt.Sprintf("secret-%d", i) {
					t.Errorf("Open blob %d = %q, %v", i, got, err)
				}
			}
			// The loser opened the winner's key: one Decrypt, and the
			// winner needs none to open the loser's blob.
			if n := f.n("Decrypt"); n != 1 {
				t.Errorf("%d Decrypt calls, want the loser's 1", n)
			}
		})
	}
}

// When the record cannot be read or written, or its key not opened, the
// seal fails saying which, seals nothing, and the next seal tries again.
func TestEnvelopeSharedFailures(t *testing.T) {
	storeErr := errors.New("ProvisionedThroughputExceededException")
	tests := []struct {
		name    string
		setup   func(*memKeys, *fakeKMS)
		wantErr string
		wantGen int
	}{
		{"record unreadable", func(m *memKeys, _ *fakeKMS) { m.readErr = storeErr }, "seal: read the shared data key", 0},
		{"record not written", func(m *memKeys, _ *fakeKMS) { m.writeErr = storeErr }, "seal: replace the shared data key", 1},
		{"record's key not opened", func(m *memKeys, f *fakeKMS) {
			_, w, _ := f.GenerateDataKey(context.Background(), "alias/autosync", dataKeyContext)
			m.rec = &DataKey{Wrapped: w, Created: time.Now(), KeyID: "alias/autosync", Version: 1}
			f.failNext = storeErr
		}, "seal: open the shared data key", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFakeKMS(t)
			keys := &memKeys{}
			tt.setup(keys, f)
			e := sharedEnvelope(f, keys, nil)
			blob, err := e.Seal(ctx, []byte("shpat_x"), "acct/ch1")
			if blob != nil || err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || !errors.Is(err, storeErr) {
				t.Fatalf("Seal = %x, %v; want no blob and %q wrapping the cause", blob, err, tt.wantErr)
			}
			if n := f.n("GenerateDataKey"); n != tt.wantGen {
				t.Errorf("%d GenerateDataKey calls, want %d", n, tt.wantGen)
			}
			if keys.writes != 0 {
				t.Errorf("record written %d times", keys.writes)
			}
			keys.mu.Lock()
			keys.readErr, keys.writeErr = nil, nil
			keys.mu.Unlock()
			blob, err = e.Seal(ctx, []byte("shpat_x"), "acct/ch1")
			if err != nil || !bytes.Equal(wrappedKey(t, blob), keys.record(t).Wrapped) {
				t.Fatalf("the next seal: %v", err)
			}
		})
	}
}

// Opening never reads the record (the webhook function only opens): a
// blob carries its wrapped key.
func TestEnvelopeSharedOpenReadsNoRecord(t *testing.T) {
	ctx := context.Background()
	f := newFakeKMS(t)
	blob, err := sharedEnvelope(f, &memKeys{}, nil).Seal(ctx, []byte("shpat_x"), "acct/ch1")
	if err != nil {
		t.Fatal(err)
	}
	unreadable := &memKeys{readErr: errors.New("AccessDeniedException")}
	opener := sharedEnvelope(f, unreadable, nil)
	if got, err := opener.Open(ctx, blob, "acct/ch1"); err != nil || string(got) != "shpat_x" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if unreadable.reads != 0 {
		t.Errorf("Open read the record %d times", unreadable.reads)
	}
}
