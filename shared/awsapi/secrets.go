package awsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// SecretString reads a Secrets Manager secret's current string value (the
// carts' app credentials) by ARN or name.
func (c *Client) SecretString(ctx context.Context, id string) (string, error) {
	body, err := json.Marshal(map[string]string{"SecretId": id})
	if err != nil {
		return "", err
	}
	answer, err := c.do(ctx, request{
		service: "secretsmanager", method: http.MethodPost, path: "/",
		header: http.Header{
			"X-Amz-Target": {"secretsmanager.GetSecretValue"},
			"Content-Type": {"application/x-amz-json-1.1"},
		},
		body: body, ok: http.StatusOK,
	})
	if err != nil {
		return "", fmt.Errorf("get secret value: %w", err)
	}
	var out struct {
		SecretString *string
	}
	if err := json.Unmarshal(answer, &out); err != nil {
		return "", fmt.Errorf("read the GetSecretValue answer: %w", err)
	}
	if out.SecretString == nil {
		return "", errors.New("get secret value: the secret holds no string")
	}
	return *out.SecretString, nil
}
