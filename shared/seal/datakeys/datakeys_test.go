package datakeys_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/autosync/autosync/shared/awstest"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/seal/datakeys"
	"github.com/autosync/autosync/shared/store"
	"github.com/autosync/autosync/shared/store/boltstore"
	"github.com/autosync/autosync/shared/store/dynamostore"
)

func boltStore(t *testing.T) store.Store {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func dynamoStore(t *testing.T) store.Store {
	// Serial, as in the dynamostore contract tests: the race tests below
	// need DynamoDB's per-request atomicity, which moto lacks otherwise.
	client := dynamodb.NewFromConfig(awstest.SerialConfig(t))
	return dynamostore.New(client, awstest.Table(t, client, "datakeys"))
}

var adapters = []struct {
	name string
	open func(t *testing.T) store.Store
}{
	{"bolt", boltStore},
	{"dynamodb", dynamoStore},
}

func key(n byte, created time.Time) seal.DataKey {
	return seal.DataKey{Wrapped: bytes.Repeat([]byte{n}, 150), Created: created, KeyID: "alias/autosync"}
}

func same(a, b seal.DataKey) bool {
	return bytes.Equal(a.Wrapped, b.Wrapped) && a.Created.Equal(b.Created) && a.KeyID == b.KeyID && a.Version == b.Version
}

// The record's contract, against both adapters.
func TestContract(t *testing.T) {
	for _, ad := range adapters {
		t.Run(ad.name, func(t *testing.T) {
			ctx := t.Context()
			st := ad.open(t)
			keys := datakeys.New(st)
			t0 := time.Date(2026, 12, 1, 8, 30, 0, 123456789, time.UTC)

			if _, err := keys.Current(ctx); !errors.Is(err, seal.ErrNoDataKey) {
				t.Fatalf("Current of no record: %v, want ErrNoDataKey", err)
			}
			// An invalid key is refused and writes nothing.
			for _, bad := range []seal.DataKey{{}, {Wrapped: []byte{1}, KeyID: "k"}, {Wrapped: []byte{1}, Created: t0}} {
				if _, err := keys.Replace(ctx, seal.DataKey{}, bad); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("Replace with %+v: %v, want ErrInvalid", bad, err)
				}
			}
			if _, err := keys.Current(ctx); !errors.Is(err, seal.ErrNoDataKey) {
				t.Fatalf("an invalid key was written: %v", err)
			}

			k1, err := keys.Replace(ctx, seal.DataKey{}, key(1, t0))
			if err != nil || k1.Version == 0 || !bytes.Equal(k1.Wrapped, key(1, t0).Wrapped) {
				t.Fatalf("first Replace = %+v, %v", k1, err)
			}
			if got, err := keys.Current(ctx); err != nil || !same(got, k1) {
				t.Fatalf("Current = %+v, %v; want %+v", got, err, k1)
			}
			// Written as if there were none: the record stays, and is returned.
			if got, err := keys.Replace(ctx, seal.DataKey{}, key(2, t0)); err != nil || !same(got, k1) {
				t.Fatalf("Replace expecting no record = %+v, %v; want the record %+v", got, err, k1)
			}
			k3, err := keys.Replace(ctx, k1, key(3, t0.Add(24*time.Hour)))
			if err != nil || k3.Version <= k1.Version || !bytes.Equal(k3.Wrapped, key(3, t0).Wrapped) {
				t.Fatalf("Replace at the record's version = %+v, %v", k3, err)
			}
			// A stale version loses to the record written since.
			if got, err := keys.Replace(ctx, k1, key(4, t0)); err != nil || !same(got, k3) {
				t.Fatalf("Replace at a stale version = %+v, %v; want %+v", got, err, k3)
			}
			if got, err := keys.Current(ctx); err != nil || !same(got, k3) {
				t.Fatalf("Current = %+v, %v; want %+v", got, err, k3)
			}

			// Only the wrapped key, its creation and its KMS key are stored.
			it, err := st.Get(ctx, datakeys.PK, datakeys.SK)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(it.Data, &doc); err != nil {
				t.Fatal(err)
			}
			if fields := slices.Sorted(maps.Keys(doc)); !slices.Equal(fields, []string{"created", "kms_key", "wrapped"}) {
				t.Errorf("record fields %v", fields)
			}
			if !it.ExpiresAt.IsZero() {
				t.Errorf("record expires at %v", it.ExpiresAt)
			}
		})
	}
}

// Environments that all read the record and then replace it: one writes,
// every one gets its key back.
func TestContractRace(t *testing.T) {
	for _, ad := range adapters {
		t.Run(ad.name, func(t *testing.T) {
			ctx := t.Context()
			keys := datakeys.New(ad.open(t))
			t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
			for round, start := range []string{"missing", "old"} {
				old, err := keys.Current(ctx)
				if start == "missing" && !errors.Is(err, seal.ErrNoDataKey) || start == "old" && err != nil {
					t.Fatalf("%s: Current: %v", start, err)
				}
				const n = 6
				got := make([]seal.DataKey, n)
				errs := make([]error, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() { got[i], errs[i] = keys.Replace(ctx, old, key(byte(10*round+i+1), t0)) })
				}
				wg.Wait()
				won := 0
				for i := range n {
					if errs[i] != nil {
						t.Fatalf("%s: Replace %d: %v", start, i, errs[i])
					}
					if bytes.Equal(got[i].Wrapped, key(byte(10*round+i+1), t0).Wrapped) {
						won++
					}
					if !same(got[i], got[0]) {
						t.Errorf("%s: writers got different records: %+v and %+v", start, got[i], got[0])
					}
				}
				cur, err := keys.Current(ctx)
				if won != 1 || err != nil || !same(cur, got[0]) {
					t.Fatalf("%s: %d writers won; record %+v, %v", start, won, cur, err)
				}
			}
		})
	}
}

type failingStore struct {
	store.Store
	err error
}

func (f failingStore) Get(context.Context, string, string) (store.Item, error) {
	return store.Item{}, f.err
}

func (f failingStore) Put(context.Context, store.Item, store.Cond) (store.Item, error) {
	return store.Item{}, f.err
}

// A store that fails is an error naming the record, never a missing record.
func TestStoreFailure(t *testing.T) {
	cause := errors.New("ProvisionedThroughputExceededException")
	keys := datakeys.New(failingStore{Store: boltStore(t), err: cause})
	ctx := t.Context()
	if _, err := keys.Current(ctx); !errors.Is(err, cause) || errors.Is(err, seal.ErrNoDataKey) || !strings.Contains(err.Error(), "data key record") {
		t.Errorf("Current: %v", err)
	}
	if _, err := keys.Replace(ctx, seal.DataKey{}, key(1, time.Now())); !errors.Is(err, cause) || !strings.Contains(err.Error(), "data key record: write") {
		t.Errorf("Replace: %v", err)
	}
	st := boltStore(t)
	if _, err := st.Put(ctx, store.Item{PK: datakeys.PK, SK: datakeys.SK, Data: []byte("not json")}, store.NoCond); err != nil {
		t.Fatal(err)
	}
	if _, err := datakeys.New(st).Current(ctx); err == nil || errors.Is(err, seal.ErrNoDataKey) {
		t.Errorf("Current of a malformed record: %v", err)
	}
}

// fakeKMS wraps data keys under one in-memory key and counts its calls.
type fakeKMS struct {
	aead  cipher.AEAD
	mu    sync.Mutex
	calls map[string]int
}

func newFakeKMS(t *testing.T) *fakeKMS {
	block, err := aes.NewCipher(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	aead, _ := cipher.NewGCM(block)
	return &fakeKMS{aead: aead, calls: map[string]int{}}
}

func (f *fakeKMS) n(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fakeKMS) count(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
}

func (f *fakeKMS) Encrypt(context.Context, string, []byte, map[string]string) ([]byte, error) {
	return nil, errors.New("Encrypt is not used")
}

func (f *fakeKMS) Decrypt(_ context.Context, keyID string, c []byte, _ map[string]string) ([]byte, error) {
	f.count("Decrypt")
	if len(c) < 12 {
		return nil, errors.New("InvalidCiphertextException")
	}
	return f.aead.Open(nil, c[:12], c[12:], []byte(keyID))
}

func (f *fakeKMS) GenerateDataKey(_ context.Context, keyID string, _ map[string]string) ([]byte, []byte, error) {
	f.count("GenerateDataKey")
	key, nonce := make([]byte, 32), make([]byte, 12)
	rand.Read(key)
	rand.Read(nonce)
	return key, f.aead.Seal(nonce, nonce, key, []byte(keyID)), nil
}

// Two execution environments over one table seal under one data key; a
// third opens both's blobs with one Decrypt.
func TestEnvelopesShareTheRecord(t *testing.T) {
	for _, ad := range adapters {
		t.Run(ad.name, func(t *testing.T) {
			ctx := t.Context()
			st := ad.open(t)
			f := newFakeKMS(t)
			envs := make([]*seal.Envelope, 2)
			for i := range envs {
				envs[i] = seal.NewEnvelope(f, "alias/autosync")
				envs[i].Keys = datakeys.New(st)
			}
			var blobs [][]byte
			for i := range 4 {
				b, err := envs[i%2].Seal(ctx, fmt.Appendf(nil, "secret-%d", i), fmt.Sprintf("acct/ch%d", i))
				if err != nil {
					t.Fatal(err)
				}
				blobs = append(blobs, b)
			}
			if n := f.n("GenerateDataKey"); n != 1 {
				t.Errorf("%d GenerateDataKey calls for two environments, want 1", n)
			}
			opener := seal.NewEnvelope(f, "alias/autosync")
			before := f.n("Decrypt")
			for i, b := range blobs {
				if got, err := opener.Open(ctx, b, fmt.Sprintf("acct/ch%d", i)); err != nil || string(got) != fmt.Sprintf("secret-%d", i) {
					t.Fatalf("Open blob %d = %q, %v", i, got, err)
				}
			}
			if n := f.n("Decrypt") - before; n != 1 {
				t.Errorf("%d Decrypt calls to open blobs of two environments, want 1", n)
			}
		})
	}
}
