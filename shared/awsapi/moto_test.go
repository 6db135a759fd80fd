package awsapi_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/autosync/autosync/shared/awsapi"
	"github.com/autosync/autosync/shared/awstest"
)

// TestAgainstEmulator queues an event for a function that exists in the
// AWS emulator, by name and by ARN, and is refused for one that does not.
func TestAgainstEmulator(t *testing.T) {
	name := awstest.Unique("autosync-invoke")
	arn := awstest.CreateFunction(t, name)
	c, err := awsapi.New(awstest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, f := range []string{name, arn} {
		if err := c.InvokeAsync(ctx, f, []byte(`{"task":"import_orders"}`)); err != nil {
			t.Errorf("invoke %s: %v", f, err)
		}
	}
	err = c.InvokeAsync(ctx, name+"-missing", []byte(`{}`))
	var le *awsapi.Error
	if !errors.As(err, &le) || le.Code != "ResourceNotFoundException" || le.Status != 404 {
		t.Fatalf("missing function: %v", err)
	}
}

// emulatorKey is a client of the AWS emulator and a new KMS key there.
func emulatorKey(t *testing.T) (*awsapi.Client, *kms.CreateKeyOutput) {
	t.Helper()
	cfg := awstest.Config(t)
	key, err := kms.NewFromConfig(cfg).CreateKey(context.Background(), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := awsapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

// TestKMSAgainstEmulator seals and opens with a key in the AWS emulator.
func TestKMSAgainstEmulator(t *testing.T) {
	ctx := context.Background()
	c, key := emulatorKey(t)
	encCtx := map[string]string{"autosync": "acct/ch"}
	sealed, err := c.Encrypt(ctx, *key.KeyMetadata.KeyId, []byte(`{"access_token":"shpat_x"}`), encCtx)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("shpat_x")) {
		t.Fatal("the ciphertext holds the plaintext")
	}
	plain, err := c.Decrypt(ctx, *key.KeyMetadata.KeyId, sealed, encCtx)
	if err != nil || string(plain) != `{"access_token":"shpat_x"}` {
		t.Fatalf("round trip %q: %v", plain, err)
	}
	var ae *awsapi.Error
	if _, err := c.Encrypt(ctx, "00000000-0000-0000-0000-000000000000", []byte("x"), encCtx); !errors.As(err, &ae) || ae.Code != "NotFoundException" {
		t.Fatalf("missing key: %v", err)
	}
}

// TestDataKeyAgainstEmulator makes a data key under a key in the AWS
// emulator and opens its wrapped form with Decrypt, given the encryption
// context it was made under and refused under another.
func TestDataKeyAgainstEmulator(t *testing.T) {
	ctx := context.Background()
	c, key := emulatorKey(t)
	id := *key.KeyMetadata.KeyId
	encCtx := map[string]string{"autosync": "data-key"}
	plain, wrapped, err := c.GenerateDataKey(ctx, id, encCtx)
	if err != nil {
		t.Fatal(err)
	}
	if len(plain) != 32 || bytes.Contains(wrapped, plain) {
		t.Fatalf("data key of %d bytes, wrapped form holds it: %v", len(plain), bytes.Contains(wrapped, plain))
	}
	opened, err := c.Decrypt(ctx, id, wrapped, encCtx)
	if err != nil || !bytes.Equal(opened, plain) {
		t.Fatalf("Decrypt of the wrapped key = %x, %v; want %x", opened, err, plain)
	}
	if _, err := c.Decrypt(ctx, id, wrapped, map[string]string{"autosync": "acct/ch"}); err == nil {
		t.Fatal("the wrapped key opened under another encryption context")
	}
}
