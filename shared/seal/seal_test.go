package seal

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/autosync/autosync/shared/awsapi"
	"github.com/autosync/autosync/shared/awstest"
)

func contract(t *testing.T, s Sealer) {
	ctx := context.Background()
	sealed, err := s.Seal(ctx, []byte("shpat_secret"), "acct/ch1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("shpat_secret")) {
		t.Fatal("sealed blob contains the plaintext")
	}
	got, err := s.Open(ctx, sealed, "acct/ch1")
	if err != nil || string(got) != "shpat_secret" {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := s.Open(ctx, sealed, "acct/ch2"); !errors.Is(err, ErrOpen) {
		t.Fatalf("open under another channel: %v, want ErrOpen", err)
	}
	bad := append([]byte(nil), sealed...)
	bad[len(bad)-1] ^= 1
	if _, err := s.Open(ctx, bad, "acct/ch1"); err == nil {
		t.Fatal("tampered blob opened")
	}
}

func TestAESGCM(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k", "seal.key")
	key, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreateKey(path)
	if err != nil || !bytes.Equal(key, again) {
		t.Fatalf("key not stable: %v", err)
	}
	s, err := NewAESGCM(key)
	if err != nil {
		t.Fatal(err)
	}
	contract(t, s)
}

func TestKMS(t *testing.T) {
	cfg := awstest.Config(t)
	client := kms.NewFromConfig(cfg)
	out, err := client.CreateKey(context.Background(), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	api, err := awsapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	contract(t, KMS{API: api, KeyID: *out.KeyMetadata.KeyId})
}
