package cart

import (
	"bytes"
	"context"
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
