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
