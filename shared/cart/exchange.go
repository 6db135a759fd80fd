package cart

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxTokenAnswer bounds a token endpoint's answer: a few tokens and their
// lifetimes, never more than a few kilobytes.
const maxTokenAnswer = 64 << 10

// ExchangeCode sends a connect flow's code exchange (hr, built by the cart)
// with client and returns the token endpoint's answer. A 4xx means the
// code is not the cart's to honour any more (used, expired, foreign or
// a wrong PKCE verifier): ErrCallback, so the merchant starts again. A 5xx
// is a temporary *Error saying so in label's name ("Shopify").
func ExchangeCode(client *http.Client, label string, hr *http.Request) ([]byte, error) {
	resp, err := client.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("%s token exchange: %w", strings.ToLower(label), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswer))
	if err != nil {
		return nil, fmt.Errorf("read %s token: %w", strings.ToLower(label), err)
	}
	return raw, TokenStatus(label, resp.StatusCode)
}

// GrantRevoked reports whether an OAuth token endpoint's refusal (RFC 6749
// §5.2: {"error": "..."}) says the grant itself is gone: invalid_grant, the
// answer to a refresh token the merchant revoked or the cart forgot.
func GrantRevoked(body []byte) bool {
	var e struct {
		Error string `json:"error"`
	}
	return json.Unmarshal(body, &e) == nil && e.Error == "invalid_grant"
}

// PostCode is a connect flow's code exchange: it posts body (of
// contentType) to tokenURL, asking for JSON, with client (nil: a client
// with a 20 s timeout) and returns the answer as ExchangeCode does. edit,
// when not nil, adds what else the cart wants on the request (basic
// auth, a user agent).
func PostCode(ctx context.Context, client *http.Client, label, tokenURL, contentType string, body []byte, edit func(*http.Request)) ([]byte, error) {
	if client == nil {
		client = &http.Client{Timeout: 20 * time.Second}
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", contentType)
	hr.Header.Set("Accept", "application/json")
	if edit != nil {
		edit(hr)
	}
	return ExchangeCode(client, label, hr)
}

// PostCodeJSON is PostCode for a token endpoint that takes and answers
// JSON: it posts fields and reads the answer into answer (a pointer to the
// token's fields). An answer that is not JSON is ErrCallback, as a token
// missing from it should be.
func PostCodeJSON(ctx context.Context, client *http.Client, label, tokenURL string, fields map[string]string, answer any) error {
	body, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	raw, err := PostCode(ctx, client, label, tokenURL, "application/json", body, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, answer); err != nil {
		return fmt.Errorf("%s token response without a token: %w", strings.ToLower(label), ErrCallback)
	}
	return nil
}

// TokenStatus classifies a code exchange's HTTP status as ExchangeCode
// does, for carts that send the exchange themselves.
func TokenStatus(label string, status int) error {
	switch {
	case status == http.StatusOK:
		return nil
	case status/100 == 4:
		return fmt.Errorf("%s refused the code (HTTP %d): %w", strings.ToLower(label), status, ErrCallback)
	default:
		return &Error{Status: status, Temporary: true, Message: label + " could not issue a token; try again."}
	}
}
