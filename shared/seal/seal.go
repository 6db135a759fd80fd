// Package seal encrypts cart credentials at rest. In AWS the sealer is KMS;
// locally it is AES-256-GCM under a key file kept in the data folder. Either
// way the channel's identity is bound in as additional data, so a sealed blob
// copied onto another channel does not open.
package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	b, err := os.ReadFile(path)
	if err == nil {
		key, derr := base64.StdEncoding.DecodeString(string(b))
		if derr != nil || len(key) != 32 {
			return nil, fmt.Errorf("seal: key file %s is not a base64 32-byte key", path)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("seal: read key file: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("seal: create key folder: %w", err)
	}
	// O_EXCL: two processes starting at once must not each write a key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadOrCreateKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("seal: create key file: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key)); err != nil {
		return nil, fmt.Errorf("seal: write key file: %w", err)
	}
	return key, f.Sync()
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

// KMSAPI is what the sealer needs of KMS (awsapi.Client).
type KMSAPI interface {
	Encrypt(ctx context.Context, keyID string, plaintext []byte, encCtx map[string]string) ([]byte, error)
	Decrypt(ctx context.Context, keyID string, ciphertext []byte, encCtx map[string]string) ([]byte, error)
}

// KMS seals with a KMS key; credentials are far below KMS's 4 KiB plaintext
// limit. The additional data is bound as the encryption context, so a
// sealed value moved to another record does not open.
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
