package seal

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/autosync/autosync/shared/awsapi"
	"github.com/autosync/autosync/shared/awstest"
	"github.com/autosync/autosync/shared/clock"
)

// fakeKMS seals under one in-memory master key, binding the encryption
// context as KMS does, and counts its calls. Its blobs begin with 0x01, a
// real KMS ciphertext blob's version byte.
type fakeKMS struct {
	aead cipher.AEAD

	mu        sync.Mutex
	calls     map[string]int
	failNext  error             // the next Decrypt fails with it
	lastCtx   map[string]string // of the last call
	decrypted [][]byte          // ciphertexts Decrypt was given
}

func newFakeKMS(t testing.TB) *fakeKMS {
	block, err := aes.NewCipher(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	aead, _ := cipher.NewGCM(block)
	return &fakeKMS{aead: aead, calls: map[string]int{}}
}

func encCtxAAD(keyID string, encCtx map[string]string) []byte {
	var b strings.Builder
	b.WriteString(keyID)
	for _, k := range slices.Sorted(maps.Keys(encCtx)) {
		fmt.Fprintf(&b, "\x00%s\x00%s", k, encCtx[k])
	}
	return []byte(b.String())
}

func (f *fakeKMS) count(op string, encCtx map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	f.lastCtx = maps.Clone(encCtx)
}

func (f *fakeKMS) n(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *fakeKMS) Encrypt(_ context.Context, keyID string, plaintext []byte, encCtx map[string]string) ([]byte, error) {
	f.count("Encrypt", encCtx)
	nonce := make([]byte, 12)
	rand.Read(nonce)
	return f.aead.Seal(append([]byte{0x01}, nonce...), nonce, plaintext, encCtxAAD(keyID, encCtx)), nil
}

func (f *fakeKMS) Decrypt(_ context.Context, keyID string, ciphertext []byte, encCtx map[string]string) ([]byte, error) {
	f.count("Decrypt", encCtx)
	f.mu.Lock()
	failed := f.failNext
	f.failNext = nil
	f.decrypted = append(f.decrypted, bytes.Clone(ciphertext))
	f.mu.Unlock()
	if failed != nil {
		return nil, failed
	}
	if len(ciphertext) < 1+12 || ciphertext[0] != 0x01 {
		return nil, errors.New("InvalidCiphertextException")
	}
	out, err := f.aead.Open(nil, ciphertext[1:13], ciphertext[13:], encCtxAAD(keyID, encCtx))
	if err != nil {
		return nil, errors.New("InvalidCiphertextException")
	}
	return out, nil
}

func (f *fakeKMS) GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) ([]byte, []byte, error) {
	key := make([]byte, 32)
	rand.Read(key)
	wrapped, err := f.Encrypt(ctx, keyID, key, encCtx)
	f.mu.Lock()
	f.calls["Encrypt"]--
	f.mu.Unlock()
	f.count("GenerateDataKey", encCtx)
	return key, wrapped, err
}

// wrappedKey is the wrapped data key a blob names.
func wrappedKey(t *testing.T, blob []byte) []byte {
	t.Helper()
	h, _, _, ok := parseEnvelope(blob)
	if !ok {
		t.Fatalf("blob %x does not parse", blob)
	}
	return h[len(envelopeMagic)+2:]
}

func TestEnvelopeRoundTrip(t *testing.T) {
	ctx := context.Background()
	f := newFakeKMS(t)
	e := NewEnvelope(f, "alias/autosync")
	contract(t, e)
	tests := []struct {
		name      string
		plaintext []byte
		aad       string
	}{
		{"credentials", []byte(`{"access_token":"shpat_x","client_secret":"shpss_y"}`), "acct/ch1"},
		{"webhook secret", []byte("whsec"), "acct/ch1/webhook"},
		{"empty", []byte{}, "acct/ch2"},
		{"binary", []byte{0, 0xE5, 'A', 'S', 1, 0xff}, "acct/ch3"},
		{"largest", bytes.Repeat([]byte{'x'}, maxSealed), "acct/ch4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blob, err := e.Seal(ctx, tt.plaintext, tt.aad)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(blob, envelopeMagic) {
				t.Fatalf("blob begins %x, want the envelope prefix", blob[:4])
			}
			if len(tt.plaintext) > 4 && bytes.Contains(blob, tt.plaintext) {
				t.Fatal("the blob holds the plaintext")
			}
			got, err := e.Open(ctx, blob, tt.aad)
			if err != nil || !bytes.Equal(got, tt.plaintext) {
				t.Fatalf("Open = %q, %v", got, err)
			}
			for _, other := range []string{tt.aad + "x", "", "acct/other", strings.TrimSuffix(tt.aad, "/webhook")} {
				if other == tt.aad {
					continue
				}
				if _, err := e.Open(ctx, blob, other); !errors.Is(err, ErrOpen) {
					t.Errorf("Open under %q: %v, want ErrOpen", other, err)
				}
			}
		})
	}
	if _, err := e.Seal(ctx, make([]byte, maxSealed+1), "acct/ch1"); err == nil {
		t.Error("sealed more than 64 KiB")
	}
	// Every data key was made and opened under the fixed context the
	// template's policies require a key "autosync" in.
	if want := map[string]string{"autosync": "data-key"}; !maps.Equal(f.lastCtx, want) {
		t.Errorf("last KMS call under %v, want %v", f.lastCtx, want)
	}
	if n := f.n("Encrypt"); n != 0 {
		t.Errorf("%d KMS Encrypt calls, want none", n)
	}
}

// Every single-byte change and every truncation of a blob is refused with
// ErrOpen, whether it breaks the framing, the wrapped key, the nonce or the
// ciphertext, or turns the blob into something taken for a legacy one.
func TestEnvelopeTampering(t *testing.T) {
	ctx := context.Background()
	e := NewEnvelope(newFakeKMS(t), "alias/autosync")
	blob, err := e.Seal(ctx, []byte("shpat_secret"), "acct/ch1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range blob {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(blob)
			bad[i] ^= mask
			if got, err := e.Open(ctx, bad, "acct/ch1"); !errors.Is(err, ErrOpen) {
				t.Fatalf("byte %d ^ %#x: Open = %q, %v; want ErrOpen", i, mask, got, err)
			}
		}
	}
	for n := range len(blob) {
		if got, err := e.Open(ctx, blob[:n], "acct/ch1"); !errors.Is(err, ErrOpen) {
			t.Fatalf("first %d of %d bytes: Open = %q, %v; want ErrOpen", n, len(blob), got, err)
		}
	}
	if _, err := e.Open(ctx, append(bytes.Clone(blob), 0), "acct/ch1"); !errors.Is(err, ErrOpen) {
		t.Fatalf("a byte appended: %v", err)
	}
	// Framing that lies about its length.
	for _, tt := range []struct {
		name string
		blob []byte
	}{
		{"no length", envelopeMagic},
		{"zero-length key", append(bytes.Clone(envelopeMagic), 0, 0, 1, 2, 3)},
		{"key longer than the blob", append(bytes.Clone(envelopeMagic), 0xff, 0xff, 1, 2, 3)},
		{"key over the bound", append(append(bytes.Clone(envelopeMagic), 0x04, 0x01), make([]byte, 2000)...)},
		{"no tag", append(append(bytes.Clone(envelopeMagic), 0, 1, 0x01), make([]byte, nonceSize+tagSize-1)...)},
		{"oversized", append(bytes.Clone(envelopeMagic), make([]byte, 70<<10)...)},
	} {
		if _, err := e.Open(ctx, tt.blob, "acct/ch1"); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: %v, want ErrOpen", tt.name, err)
		}
	}
}

// A blob KMS sealed directly, as every deployment before the envelope
// did, opens with Decrypt under {"autosync": context}, exactly as KMS.Open.
func TestEnvelopeOpensLegacyBlobs(t *testing.T) {
	ctx := context.Background()
	f := newFakeKMS(t)
	legacy, err := KMS{API: f, KeyID: "alias/autosync"}.Seal(ctx, []byte("shpat_old"), "acct/ch1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(legacy, envelopeMagic[:1]) {
		t.Fatal("the fake's KMS blob begins like an envelope")
	}
	e := NewEnvelope(f, "alias/autosync")
	got, err := e.Open(ctx, legacy, "acct/ch1")
	if err != nil || string(got) != "shpat_old" {
		t.Fatalf("legacy Open = %q, %v", got, err)
	}
	if want := map[string]string{"autosync": "acct/ch1"}; !maps.Equal(f.lastCtx, want) {
		t.Errorf("legacy Decrypt under %v, want %v", f.lastCtx, want)
	}
	if _, err := e.Open(ctx, legacy, "acct/ch2"); !errors.Is(err, ErrOpen) {
		t.Errorf("legacy blob under another channel: %v", err)
	}
	// Sealed again (a renewal), it takes the envelope's form.
	again, err := e.Seal(ctx, got, "acct/ch1")
	if err != nil || !bytes.HasPrefix(again, envelopeMagic) {
		t.Fatalf("resealed %x, %v", again[:4], err)
	}
	// A wrapped data key copied into a channel's record does not open as
	// that channel's legacy blob: its context is the data keys', not the
	// channel's.
	if got, err := e.Open(ctx, wrappedKey(t, again), "acct/ch1"); !errors.Is(err, ErrOpen) {
		t.Fatalf("a wrapped data key opened as a channel's blob: %x, %v", got, err)
	}
}

// Data keys: one GenerateDataKey for many seals; a new key after MaxAge
// and after MaxSeals; blobs under an earlier key still open.
func TestEnvelopeDataKeyRotation(t *testing.T) {
	ctx := context.Background()
	f := newFakeKMS(t)
	clk := clock.NewFake(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	e := NewEnvelope(f, "alias/autosync")
	e.Now, e.MaxSeals = clk.Now, 5
	type sealed struct {
		blob  []byte
		plain string
	}
	var all []sealed
	seal := func(n int) {
		t.Helper()
		for range n {
			p := fmt.Sprintf("secret-%d", len(all))
			b, err := e.Seal(ctx, []byte(p), "acct/ch1")
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, sealed{b, p})
		}
	}
	steps := []struct {
		name    string
		advance time.Duration
		seals   int
		wantGen int // GenerateDataKey calls so far
	}{
		{"first seals share a key", 0, 5, 1},
		{"the sixth seal takes a new key", 0, 1, 2},
		{"within the age the key serves on", 23 * time.Hour, 3, 2},
		{"at 24 hours a new key", time.Hour, 1, 3},
		{"its count starts again", time.Minute, 4, 3},
		{"and ends at MaxSeals", time.Minute, 1, 4},
	}
	for _, s := range steps {
		clk.Add(s.advance)
		seal(s.seals)
		if got := f.n("GenerateDataKey"); got != s.wantGen {
			t.Fatalf("%s: %d GenerateDataKey calls, want %d", s.name, got, s.wantGen)
		}
	}
	keys := map[string]int{}
	for _, s := range all {
		keys[string(wrappedKey(t, s.blob))]++
		got, err := e.Open(ctx, s.blob, "acct/ch1")
		if err != nil || string(got) != s.plain {
			t.Fatalf("Open %s = %q, %v", s.plain, got, err)
		}
	}
	if len(keys) != 4 {
		t.Errorf("%d distinct wrapped keys, want 4", len(keys))
	}
	for k, n := range keys {
		if n > 5 {
			t.Errorf("one data key sealed %d blobs, MaxSeals is 5 (%x)", n, k[:8])
		}
	}
	// One Decrypt per data key, not per blob.
	if got := f.n("Decrypt"); got != 4 {
		t.Errorf("%d Decrypt calls for %d blobs under 4 keys, want 4", got, len(all))
	}
	// A failed GenerateDataKey seals nothing and leaves no key.
	e2 := NewEnvelope(failingGen{f}, "alias/autosync")
	if b, err := e2.Seal(ctx, []byte("x"), "acct/ch1"); err == nil || b != nil {
		t.Fatalf("Seal with KMS refusing = %x, %v", b, err)
	}
}

type failingGen struct{ *fakeKMS }

func (failingGen) GenerateDataKey(context.Context, string, map[string]string) ([]byte, []byte, error) {
	return nil, nil, errors.New("AccessDeniedException")
}

// Opened data keys: one Decrypt for many opens of blobs under one wrapped
// key, whichever channel they belong to; again after eviction and after
// MaxAge; a failed Decrypt is not remembered.
func TestEnvelopeOpenedKeys(t *testing.T) {
	ctx := context.Background()
	f := newFakeKMS(t)
	clk := clock.NewFake(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	sealer := NewEnvelope(f, "alias/autosync") // another environment's
	sealer.MaxSeals = 3
	var blobs [][]byte
	for i := range 6 { // two data keys, three blobs each
		b, err := sealer.Seal(ctx, fmt.Appendf(nil, "secret-%d", i), fmt.Sprintf("acct/ch%d", i))
		if err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, b)
	}
	e := NewEnvelope(f, "alias/autosync")
	e.Now, e.MaxKeys = clk.Now, 1
	open := func(i int) error {
		got, err := e.Open(ctx, blobs[i], fmt.Sprintf("acct/ch%d", i))
		if err == nil && string(got) != fmt.Sprintf("secret-%d", i) {
			t.Fatalf("blob %d opened to %q", i, got)
		}
		return err
	}
	decrypts := func() int { return f.n("Decrypt") }
	steps := []struct {
		name         string
		do           func()
		wantDecrypts int // more than before the step
		wantErr      bool
	}{
		{"three channels, one key", func() {
			for range 4 {
				for i := range 3 {
					open(i)
				}
			}
		}, 1, false},
		{"the other key evicts the first (MaxKeys 1)", func() { open(3); open(4); open(5) }, 1, false},
		{"the first is opened again", func() { open(0); open(1) }, 1, false},
		{"KMS fails once", func() {
			f.mu.Lock()
			f.failNext = errors.New("ThrottlingException")
			f.mu.Unlock()
		}, 0, false},
		{"the failure is ErrOpen", func() {
			if err := open(3); !errors.Is(err, ErrOpen) {
				t.Fatalf("Open while KMS fails: %v", err)
			}
		}, 1, false},
		{"and not remembered", func() { open(3); open(4) }, 1, false},
		{"within MaxAge the key is kept", func() { clk.Add(23 * time.Hour); open(5) }, 0, false},
		{"after MaxAge it is opened again", func() { clk.Add(time.Hour); open(5); open(3) }, 1, false},
	}
	for _, s := range steps {
		before := decrypts()
		s.do()
		if got := decrypts() - before; got != s.wantDecrypts {
			t.Fatalf("%s: %d Decrypt calls, want %d", s.name, got, s.wantDecrypts)
		}
	}
	if len(e.opened) != 1 || len(e.order) != 1 {
		t.Errorf("%d keys kept (%d in order), MaxKeys is 1", len(e.opened), len(e.order))
	}
	// The opener never generated a key; it asked KMS only with the data
	// keys' context and only for wrapped keys.
	if got := f.n("GenerateDataKey"); got != 2 {
		t.Errorf("%d GenerateDataKey calls, want the sealer's 2", got)
	}
	for _, c := range f.decrypted {
		if bytes.HasPrefix(c, envelopeMagic) {
			t.Fatal("a whole envelope blob reached KMS")
		}
	}
}

// Runs share the process: seals and opens from many goroutines, with data
// keys rotating under them (go test -race).
func TestEnvelopeConcurrent(t *testing.T) {
	ctx := context.Background()
	f := newFakeKMS(t)
	e := NewEnvelope(f, "alias/autosync")
	e.MaxSeals, e.MaxKeys = 7, 3
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				aad := fmt.Sprintf("acct/ch%d", g)
				p := fmt.Sprintf("secret-%d-%d", g, i)
				b, err := e.Seal(ctx, []byte(p), aad)
				if err != nil {
					errs <- err
					return
				}
				got, err := e.Open(ctx, b, aad)
				if err != nil || string(got) != p {
					errs <- fmt.Errorf("Open %s = %q, %v", p, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if gen := f.n("GenerateDataKey"); gen < 320/7 {
		t.Errorf("%d data keys for 320 seals at 7 each", gen)
	}
}

// TestEnvelopeKMS seals and opens through awsapi against the AWS emulator,
// and opens a blob KMS sealed directly there.
func TestEnvelopeKMS(t *testing.T) {
	cfg := awstest.Config(t)
	out, err := kms.NewFromConfig(cfg).CreateKey(context.Background(), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	api, err := awsapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEnvelope(api, *out.KeyMetadata.KeyId)
	contract(t, e)
	ctx := context.Background()
	legacy, err := KMS{API: api, KeyID: *out.KeyMetadata.KeyId}.Seal(ctx, []byte("shpat_old"), "acct/ch1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(legacy, envelopeMagic[:1]) {
		t.Fatalf("the emulator's KMS blob begins %#x, like an envelope", legacy[0])
	}
	if got, err := e.Open(ctx, legacy, "acct/ch1"); err != nil || string(got) != "shpat_old" {
		t.Fatalf("legacy blob: %q, %v", got, err)
	}
}

// FuzzEnvelopeOpen: whatever the stored bytes, Open returns ErrOpen (or,
// for a genuine blob, what was sealed) and never panics.
func FuzzEnvelopeOpen(f *testing.F) {
	fk := newFakeKMS(f)
	e := NewEnvelope(fk, "alias/autosync")
	ctx := context.Background()
	good, err := e.Seal(ctx, []byte("shpat_secret"), "acct/ch1")
	if err != nil {
		f.Fatal(err)
	}
	legacy, _ := KMS{API: fk, KeyID: "alias/autosync"}.Seal(ctx, []byte("shpat_old"), "acct/ch1")
	f.Add(good)
	f.Add(legacy)
	f.Add([]byte{})
	f.Add(envelopeMagic)
	f.Add(append(bytes.Clone(envelopeMagic), 0xff, 0xff))
	f.Add(good[:len(good)-1])
	f.Fuzz(func(t *testing.T, blob []byte) {
		got, err := e.Open(ctx, blob, "acct/ch1")
		if err == nil {
			// Only what was sealed opens (under the fake's fixed master
			// key, the seeds of another fuzzing process too).
			if string(got) != "shpat_secret" && string(got) != "shpat_old" {
				t.Fatalf("blob %x opened to %q", blob, got)
			}
			return
		}
		if !errors.Is(err, ErrOpen) {
			t.Fatalf("Open error %v is not ErrOpen", err)
		}
	})
}
