// Package seal encrypts cart credentials at rest. In AWS the sealer is
// Envelope: AES-256-GCM under data keys KMS generates and wraps, kept in
// memory per execution environment, the one sealing shared by every
// environment through DataKeys (KMS, which sealed with KMS alone, still
// opens the blobs it made); locally it is AES-256-GCM under a key file kept
// in the data folder. Either way the channel's identity is bound in as
// additional data, so a sealed blob copied onto another channel does not
// open.
package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/autosync/autosync/shared/secretfile"
)

// Sealer seals and opens small secrets.
type Sealer interface {
	Seal(ctx context.Context, plaintext []byte, context string) ([]byte, error)
	Open(ctx context.Context, sealed []byte, context string) ([]byte, error)
}

// ErrOpen means a sealed blob did not open: wrong key, wrong context, or tampering.
var ErrOpen = errors.New("seal: cannot open sealed data")

// AESGCM seals with a local 256-bit key.
type AESGCM struct{ aead cipher.AEAD }

// NewAESGCM uses key (32 bytes).
func NewAESGCM(key []byte) (*AESGCM, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &AESGCM{aead: aead}, nil
}

// LoadOrCreateKey reads a base64 key from path, creating it (mode 0600) on first use.
func LoadOrCreateKey(path string) ([]byte, error) {
	key, err := secretfile.LoadOrCreate(path, 32, true)
	if err != nil {
		return nil, fmt.Errorf("seal: key file: %w", err)
	}
	return key, nil
}

func (s *AESGCM) Seal(_ context.Context, plaintext []byte, aad string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, plaintext, []byte(aad)), nil
}

func (s *AESGCM) Open(_ context.Context, sealed []byte, aad string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, ErrOpen
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(aad))
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}

// KMSAPI is what the sealers need of KMS (awsapi.Client).
type KMSAPI interface {
	Encrypt(ctx context.Context, keyID string, plaintext []byte, encCtx map[string]string) ([]byte, error)
	Decrypt(ctx context.Context, keyID string, ciphertext []byte, encCtx map[string]string) ([]byte, error)
	// GenerateDataKey returns a 256-bit key and its form wrapped under keyID.
	GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) (plaintext, wrapped []byte, err error)
}

// KMS seals with a KMS key, one KMS call per seal and per open; credentials
// are far below KMS's 4 KiB plaintext limit. The additional data is bound
// as the encryption context, so a sealed value moved to another record does
// not open. Envelope replaces it and opens what it sealed.
type KMS struct {
	API   KMSAPI
	KeyID string
}

func (k KMS) Seal(ctx context.Context, plaintext []byte, aad string) ([]byte, error) {
	return k.API.Encrypt(ctx, k.KeyID, plaintext, map[string]string{"autosync": aad})
}

func (k KMS) Open(ctx context.Context, sealed []byte, aad string) ([]byte, error) {
	out, err := k.API.Decrypt(ctx, k.KeyID, sealed, map[string]string{"autosync": aad})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	return out, nil
}
