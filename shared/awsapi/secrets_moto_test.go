package awsapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/autosync/autosync/shared/awstest"
)

// TestSecretStringAgainstEmulator reads a secret made in the AWS emulator
// by ARN, and is refused for one that does not exist.
func TestSecretStringAgainstEmulator(t *testing.T) {
	c, err := New(awstest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	body, _ := json.Marshal(map[string]string{"Name": awstest.Unique("autosync-carts-shopify"), "SecretString": `{"api_key":"cid","api_secret":"sec"}`})
	raw, err := c.do(ctx, request{service: "secretsmanager", method: http.MethodPost, path: "/",
		header: http.Header{"X-Amz-Target": {"secretsmanager.CreateSecret"}, "Content-Type": {"application/x-amz-json-1.1"}},
		body:   body, ok: http.StatusOK})
	if err != nil {
		t.Fatal(err)
	}
	var made struct{ ARN string }
	if err := json.Unmarshal(raw, &made); err != nil || made.ARN == "" {
		t.Fatalf("create secret: %s %v", raw, err)
	}
	got, err := c.SecretString(ctx, made.ARN)
	if err != nil || got != `{"api_key":"cid","api_secret":"sec"}` {
		t.Fatalf("secret %q: %v", got, err)
	}
	_, err = c.SecretString(ctx, made.ARN+"-missing")
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != "ResourceNotFoundException" {
		t.Fatalf("missing secret: %v", err)
	}
}
