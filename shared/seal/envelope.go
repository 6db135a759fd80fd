package seal

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Envelope seals with AES-256-GCM under a data key KMS generated and
// wrapped (envelope encryption), and keeps data keys in memory, as the AWS
// Encryption SDK's data-key caching does. One GenerateDataKey seals many
// secrets; one Decrypt of a wrapped data key opens every secret sealed
// under it, whichever channel it belongs to. A Lambda execution environment
// serves runs of many merchants, so it opens most credentials without
// calling KMS, where a cache of opened credentials only helped when the
// same channel's next run landed on the same environment.
//
// A data key seals for at most MaxAge and MaxSeals, so no one key seals
// without bound; an opened data key is kept for at most MaxAge, and at
// most MaxKeys of them. Data keys are wrapped under a fixed encryption
// context, {"autosync": "data-key"}: the template's policies allow KMS
// only with an "autosync" context, and a channel's context always holds a
// "/" (account/channel), so a wrapped data key never opens as, or in place
// of, a channel's legacy blob. The channel's context is bound by AES-GCM
// as additional data instead. Blobs KMS sealed directly (KMS.Seal) still
// open; they take the new form when next sealed (a token renewal, a
// reconnect).
//
// With Keys set (production), every execution environment seals under one
// shared data key, the record Keys holds, instead of a key of its own: a
// few thousand environments each generating their own would put thousands
// of keys in circulation, and an environment opening some merchant's
// credentials would mostly meet a key it never opened. Without Keys (the
// local stack, tests) each Envelope generates its own.
//
// Safe for concurrent use. Keys and plaintext are never logged.
type Envelope struct {
	API   KMSAPI
	KeyID string
	// MaxAge is how long a data key seals, and an opened one is kept.
	MaxAge time.Duration
	// MaxSeals is how many seals one data key makes (in this Envelope:
	// with Keys, each environment counts its own).
	MaxSeals int
	// MaxKeys is how many opened data keys are kept (the oldest go first).
	MaxKeys int
	// Now reads the clock.
	Now func() time.Time
	// Keys, when set, holds the data key every environment seals under.
	Keys DataKeys

	mu  sync.Mutex // held while a data key is generated or taken up, so only one is
	cur *sealKey

	omu    sync.Mutex
	opened map[[sha256.Size]byte]openedKey
	order  [][sha256.Size]byte // insertion order, for eviction
}

// Defaults of NewEnvelope. MaxSeals counts one execution environment's
// seals: with a shared data key (Keys set) every environment seals under
// the same key for up to MaxAge, so the key's total is environments ×
// their seals. NIST SP 800-38D bounds a key to 2^32 encryptions with
// random 96-bit nonces; seals happen only when a channel connects, its
// token is renewed or its webhook secret is stored (well under 2^24 a
// day), so the daily rotation keeps a shared key far below that bound.
const (
	DefaultDataKeyAge   = 24 * time.Hour
	DefaultDataKeySeals = 1 << 20
	DefaultOpenedKeys   = 1024
)

// NewEnvelope seals under the KMS key keyID with the default limits.
func NewEnvelope(api KMSAPI, keyID string) *Envelope {
	return &Envelope{API: api, KeyID: keyID, MaxAge: DefaultDataKeyAge, MaxSeals: DefaultDataKeySeals,
		MaxKeys: DefaultOpenedKeys, Now: time.Now}
}

// dataKeyContext is the encryption context every data key is wrapped under.
var dataKeyContext = map[string]string{"autosync": "data-key"}

// envelopeMagic begins every envelope blob: 0xE5 'A' 'S', then the format
// version (1). A blob KMS sealed directly begins otherwise: a real KMS
// ciphertext blob with its small version byte (0x01 today), the AWS
// emulator's with the key id in ASCII; 0xE5 is neither, so a legacy blob
// is never taken for an envelope, nor an envelope for a legacy blob.
var envelopeMagic = []byte{0xE5, 'A', 'S', 1}

// Bounds of the blob's parts. A KMS-wrapped 256-bit key is under 200
// bytes; credentials are a few hundred (KMS.Seal took at most 4 KiB).
const (
	maxWrappedKey = 1024
	maxSealed     = 64 << 10
	nonceSize     = 12
	tagSize       = 16
)

// The blob: magic (4) | wrapped key length (2, big-endian) | wrapped key |
// nonce (12) | AES-256-GCM ciphertext and tag. The additional data is
// everything before the nonce followed by the caller's context, so the
// header cannot be altered either.

type sealKey struct {
	aead    cipher.AEAD
	header  []byte // magic, length and wrapped key
	created time.Time
	seals   int
}

type openedKey struct {
	aead    cipher.AEAD
	fetched time.Time
}

func (e *Envelope) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Envelope) maxAge() time.Duration {
	if e.MaxAge > 0 {
		return e.MaxAge
	}
	return DefaultDataKeyAge
}

// Seal seals plaintext (at most 64 KiB) bound to aad, under the current
// data key, generating one first if there is none or it is spent.
func (e *Envelope) Seal(ctx context.Context, plaintext []byte, aad string) ([]byte, error) {
	if len(plaintext) > maxSealed {
		return nil, fmt.Errorf("seal: %d bytes, more than %d", len(plaintext), maxSealed)
	}
	k, err := e.sealKey(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(k.header)+nonceSize+len(plaintext)+tagSize)
	out = append(out, k.header...)
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, plaintext, additional(k.header, aad)), nil
}

// sealKey returns the current data key, counting the seal against it.
func (e *Envelope) sealKey(ctx context.Context) (*sealKey, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	if k := e.cur; k == nil || k.seals >= e.maxSeals() || now.Sub(k.created) >= e.maxAge() || now.Before(k.created) {
		var err error
		if e.Keys != nil {
			k, err = e.sharedKey(ctx, now)
		} else {
			k, err = e.newKey(ctx, now)
		}
		if err != nil {
			return nil, err
		}
		e.cur = k
	}
	e.cur.seals++
	return e.cur, nil
}

func (e *Envelope) maxSeals() int {
	if e.MaxSeals > 0 {
		return e.MaxSeals
	}
	return DefaultDataKeySeals
}

// newKey generates a data key of this Envelope's own.
func (e *Envelope) newKey(ctx context.Context, now time.Time) (*sealKey, error) {
	aead, wrapped, err := e.generate(ctx)
	if err != nil {
		return nil, err
	}
	return newSealKey(aead, wrapped, now), nil
}

// generate makes a data key with KMS: its cipher and its wrapped form.
func (e *Envelope) generate(ctx context.Context) (cipher.AEAD, []byte, error) {
	plain, wrapped, err := e.API.GenerateDataKey(ctx, e.KeyID, dataKeyContext)
	if err != nil {
		return nil, nil, fmt.Errorf("seal: new data key: %w", err)
	}
	defer clear(plain)
	if len(wrapped) == 0 || len(wrapped) > maxWrappedKey {
		return nil, nil, fmt.Errorf("seal: new data key: wrapped form of %d bytes", len(wrapped))
	}
	aead, err := newAEAD(plain)
	if err != nil {
		return nil, nil, fmt.Errorf("seal: new data key: %w", err)
	}
	return aead, wrapped, nil
}

func newSealKey(aead cipher.AEAD, wrapped []byte, created time.Time) *sealKey {
	header := binary.BigEndian.AppendUint16(bytes.Clone(envelopeMagic), uint16(len(wrapped)))
	return &sealKey{aead: aead, header: append(header, wrapped...), created: created}
}

// wrapped is the KMS-wrapped form of the key.
func (k *sealKey) wrapped() []byte { return k.header[len(envelopeMagic)+2:] }

// maxClockSkew is how far in the future a shared key's creation may lie
// (another environment's clock) and the key still count as current.
const maxClockSkew = 5 * time.Minute

// sharedKey returns the key of the shared record when it may still seal;
// otherwise it generates one and puts it in the record, unless another
// environment replaced the record first, in which case it takes that
// environment's key. Whatever this returns is the record's key, so the
// environments seal under one key a day (plus a rare second where two
// rotate at once). When the record cannot be read or written the seal
// fails: sealing runs at connect and token renewal, where a clear error
// beats a key of our own that every other environment would have to open.
func (e *Envelope) sharedKey(ctx context.Context, now time.Time) (*sealKey, error) {
	rec, err := e.Keys.Current(ctx)
	switch {
	case errors.Is(err, ErrNoDataKey):
		rec = DataKey{}
	case err != nil:
		return nil, fmt.Errorf("seal: read the shared data key: %w", err)
	case e.current(rec, now):
		return e.adopt(ctx, rec, now)
	}
	aead, wrapped, err := e.generate(ctx)
	if err != nil {
		return nil, err
	}
	won, err := e.Keys.Replace(ctx, rec, DataKey{Wrapped: wrapped, Created: now, KeyID: e.KeyID})
	if err != nil {
		return nil, fmt.Errorf("seal: replace the shared data key: %w", err)
	}
	if !bytes.Equal(won.Wrapped, wrapped) {
		// Another environment rotated first; ours is dropped unused.
		return e.adopt(ctx, won, now)
	}
	// Remembered as opened too: this environment opens what it sealed
	// without asking KMS.
	e.remember(sha256.Sum256(wrapped), openedKey{aead: aead, fetched: now})
	return newSealKey(aead, wrapped, now), nil
}

// current reports whether the shared record's key may seal: under this
// Envelope's KMS key, younger than MaxAge, and not the key this Envelope
// has just spent (MaxSeals counts per environment).
func (e *Envelope) current(rec DataKey, now time.Time) bool {
	age := now.Sub(rec.Created)
	if len(rec.Wrapped) == 0 || rec.KeyID != e.KeyID || age >= e.maxAge() || age <= -maxClockSkew {
		return false
	}
	return e.cur == nil || !bytes.Equal(e.cur.wrapped(), rec.Wrapped)
}

// adopt opens the shared record's key (from memory, or with one KMS
// Decrypt) to seal under it until it is MaxAge old.
func (e *Envelope) adopt(ctx context.Context, rec DataKey, now time.Time) (*sealKey, error) {
	if len(rec.Wrapped) == 0 || len(rec.Wrapped) > maxWrappedKey {
		return nil, fmt.Errorf("seal: shared data key: wrapped form of %d bytes", len(rec.Wrapped))
	}
	aead, err := e.openKey(ctx, rec.Wrapped)
	if err != nil {
		return nil, fmt.Errorf("seal: open the shared data key: %w", err)
	}
	created := rec.Created
	if created.After(now) {
		created = now // another clock, a little ahead of ours
	}
	return newSealKey(aead, bytes.Clone(rec.Wrapped), created), nil
}

// Open opens an envelope blob, or a blob KMS sealed directly (KMS.Open).
// Anything malformed, sealed under another context or altered is ErrOpen.
func (e *Envelope) Open(ctx context.Context, sealed []byte, aad string) ([]byte, error) {
	if !bytes.HasPrefix(sealed, envelopeMagic) {
		return KMS{API: e.API, KeyID: e.KeyID}.Open(ctx, sealed, aad)
	}
	header, nonce, ciphertext, ok := parseEnvelope(sealed)
	if !ok {
		return nil, ErrOpen
	}
	aead, err := e.openKey(ctx, header[len(envelopeMagic)+2:])
	if err != nil {
		return nil, err
	}
	out, err := aead.Open(nil, nonce, ciphertext, additional(header, aad))
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}

// parseEnvelope splits a blob that begins with envelopeMagic, or reports
// it malformed.
func parseEnvelope(b []byte) (header, nonce, ciphertext []byte, ok bool) {
	if len(b) > len(envelopeMagic)+2+maxWrappedKey+nonceSize+maxSealed+tagSize {
		return nil, nil, nil, false
	}
	rest := b[len(envelopeMagic):]
	if len(rest) < 2 {
		return nil, nil, nil, false
	}
	n := int(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	if n == 0 || n > maxWrappedKey || len(rest) < n+nonceSize+tagSize {
		return nil, nil, nil, false
	}
	end := len(envelopeMagic) + 2 + n
	return b[:end:end], b[end : end+nonceSize], b[end+nonceSize:], true
}

// openKey returns the AEAD of a wrapped data key: from memory, or opened
// by KMS and remembered. A key KMS does not open is not remembered.
// Concurrent misses on one key may each call KMS; that is rare and
// harmless.
func (e *Envelope) openKey(ctx context.Context, wrapped []byte) (cipher.AEAD, error) {
	id := sha256.Sum256(wrapped)
	now := e.now()
	e.omu.Lock()
	k, ok := e.opened[id]
	fresh := ok && now.Sub(k.fetched) < e.maxAge() && !now.Before(k.fetched)
	e.omu.Unlock()
	if fresh {
		return k.aead, nil
	}
	plain, err := e.API.Decrypt(ctx, e.KeyID, wrapped, dataKeyContext)
	if err != nil {
		return nil, fmt.Errorf("%w: data key: %w", ErrOpen, err)
	}
	aead, err := newAEAD(plain)
	clear(plain)
	if err != nil {
		return nil, fmt.Errorf("%w: data key: %w", ErrOpen, err)
	}
	e.remember(id, openedKey{aead: aead, fetched: now})
	return aead, nil
}

func (e *Envelope) remember(id [sha256.Size]byte, k openedKey) {
	e.omu.Lock()
	defer e.omu.Unlock()
	if e.opened == nil {
		e.opened = map[[sha256.Size]byte]openedKey{}
	}
	if _, ok := e.opened[id]; ok {
		// Expired, or opened meanwhile by another caller: refresh in place,
		// moved to the back of the eviction order.
		e.order = slices.DeleteFunc(e.order, func(o [sha256.Size]byte) bool { return o == id })
	}
	limit := e.MaxKeys
	if limit <= 0 {
		limit = DefaultOpenedKeys
	}
	for len(e.order) >= limit {
		delete(e.opened, e.order[0])
		e.order = e.order[1:]
	}
	e.opened[id] = k
	e.order = append(e.order, id)
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("data key is not 256 bits")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// additional is the AES-GCM additional data: the blob's header, then the
// caller's context (the header is length-prefixed, so the two cannot run
// into each other).
func additional(header []byte, aad string) []byte {
	return append(bytes.Clone(header), aad...)
}
