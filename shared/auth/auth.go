// Package auth says who is calling. In AWS the HTTP API's JWT authorizer has
// already verified the token and the handler reads its claims from the
// request context; locally tokens are HS256 JWTs signed with a secret kept in
// the data folder. Either way a request ends up with a Principal whose
// account id came from the token — never from the path or body.
package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/golang-jwt/jwt/v5"

	"github.com/autosync/autosync/shared/input"
	"github.com/autosync/autosync/shared/secretfile"
)

// Scopes.
const (
	ScopeMerchant = "autosync/merchant"
	ScopeAdmin    = "autosync/admin"
)

// Principal is the authenticated caller.
type Principal struct {
	AccountID string
	Scopes    []string
}

// Has reports whether the principal holds scope.
func (p Principal) Has(scope string) bool {
	for _, s := range p.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// Authenticator finds the principal of a request.
type Authenticator interface {
	Authenticate(r *http.Request) (Principal, error)
}

// ErrUnauthenticated means no valid credentials came with the request.
var ErrUnauthenticated = errors.New("unauthenticated")

// fromClaims takes the account id exactly as signed: a padded or otherwise
// odd id is refused, never trimmed into another account's id.
func fromClaims(account, scope string) (Principal, error) {
	if err := input.Account(account); err != nil {
		return Principal{}, fmt.Errorf("%w: account_id claim %w", ErrUnauthenticated, err)
	}
	return Principal{AccountID: account, Scopes: strings.Fields(scope)}, nil
}

// APIGateway reads the claims the HTTP API's JWT authorizer verified.
type APIGateway struct{}

// Authenticate implements Authenticator.
func (APIGateway) Authenticate(r *http.Request) (Principal, error) {
	rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context())
	if !ok || rc.Authorizer == nil || rc.Authorizer.JWT == nil {
		return Principal{}, fmt.Errorf("%w: no authorizer claims", ErrUnauthenticated)
	}
	c := rc.Authorizer.JWT.Claims
	return fromClaims(c["account_id"], c["scope"])
}

// HS256 verifies locally issued tokens.
type HS256 struct {
	Secret []byte
	Now    func() time.Time
}

type claims struct {
	AccountID string `json:"account_id"`
	Scope     string `json:"scope"`
	jwt.RegisteredClaims
}

const issuer = "autosync-local"

// Authenticate implements Authenticator.
func (h HS256) Authenticate(r *http.Request) (Principal, error) {
	scheme, raw, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	raw = strings.TrimSpace(raw)
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return Principal{}, fmt.Errorf("%w: no bearer token", ErrUnauthenticated)
	}
	var c claims
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(issuer), jwt.WithExpirationRequired()}
	if h.Now != nil {
		opts = append(opts, jwt.WithTimeFunc(h.Now))
	}
	_, err := jwt.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return h.Secret, nil }, opts...)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	return fromClaims(c.AccountID, c.Scope)
}

// Issue signs a local token.
func (h HS256) Issue(account, scope string, ttl time.Duration) (string, error) {
	now := time.Now()
	if h.Now != nil {
		now = h.Now()
	}
	c := claims{AccountID: account, Scope: scope, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: issuer, Subject: account, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(h.Secret)
}

// LoadOrCreateSecret reads the local signing secret (32 bytes or more),
// creating it on first use.
func LoadOrCreateSecret(path string) ([]byte, error) {
	s, err := secretfile.LoadOrCreate(path, 32, false)
	if err != nil {
		return nil, fmt.Errorf("token secret: %w", err)
	}
	return s, nil
}

type ctxKey struct{}

// With stores the principal in ctx.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the principal stored in ctx.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}
