package awsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Encrypt seals plaintext (at most 4 KiB) under the KMS key, bound to the
// encryption context: Decrypt must be given the same context.
func (c *Client) Encrypt(ctx context.Context, keyID string, plaintext []byte, encCtx map[string]string) ([]byte, error) {
	var out struct {
		CiphertextBlob []byte
	}
	err := c.kms(ctx, "Encrypt", map[string]any{"KeyId": keyID, "Plaintext": plaintext, "EncryptionContext": encCtx}, &out)
	if err == nil && len(out.CiphertextBlob) == 0 {
		err = errors.New("no ciphertext in the answer")
	}
	if err != nil {
		return nil, fmt.Errorf("kms encrypt: %w", err)
	}
	return out.CiphertextBlob, nil
}

// Decrypt opens a ciphertext Encrypt made with the same key and context.
func (c *Client) Decrypt(ctx context.Context, keyID string, ciphertext []byte, encCtx map[string]string) ([]byte, error) {
	var out struct {
		Plaintext []byte
	}
	if err := c.kms(ctx, "Decrypt", map[string]any{"KeyId": keyID, "CiphertextBlob": ciphertext, "EncryptionContext": encCtx}, &out); err != nil {
		return nil, fmt.Errorf("kms decrypt: %w", err)
	}
	return out.Plaintext, nil
}

// GenerateDataKey makes a 256-bit data key under the KMS key: its
// plaintext, to seal with locally and forget, and its ciphertext (wrapped),
// which Decrypt opens given the same encryption context.
func (c *Client) GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) (plaintext, wrapped []byte, err error) {
	var out struct {
		Plaintext      []byte
		CiphertextBlob []byte
	}
	err = c.kms(ctx, "GenerateDataKey", map[string]any{"KeyId": keyID, "KeySpec": "AES_256", "EncryptionContext": encCtx}, &out)
	if err == nil && (len(out.Plaintext) != 32 || len(out.CiphertextBlob) == 0) {
		err = fmt.Errorf("answer holds a %d-byte key and a %d-byte ciphertext, want 32 and some", len(out.Plaintext), len(out.CiphertextBlob))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("kms generate data key: %w", err)
	}
	return out.Plaintext, out.CiphertextBlob, nil
}

// kms calls one operation of KMS's JSON 1.1 API ([]byte fields travel as
// base64, as encoding/json writes and reads them).
func (c *Client) kms(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	answer, err := c.do(ctx, request{
		service: "kms", method: http.MethodPost, path: "/",
		header: http.Header{
			"X-Amz-Target": {"TrentService." + op},
			"Content-Type": {"application/x-amz-json-1.1"},
		},
		body: body, ok: http.StatusOK,
	})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("read the %s answer: %w", op, err)
	}
	return nil
}
