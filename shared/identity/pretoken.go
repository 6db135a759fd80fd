// Package identity is what Autosync asks of its identity provider in AWS:
// the Cognito pre token generation trigger that puts the claims the HTTP API
// needs (account_id, and the autosync/merchant or autosync/admin scope)
// into access tokens, and the sign-in settings the Sync page needs to send
// a merchant to the pool's hosted sign-in page.
//
// Who belongs to which account is decided here, once, at token time:
//
//   - a user whose custom:account_id attribute is set (by an administrator,
//     for a second user of an existing account) gets that account;
//   - anyone else (a merchant who signed themselves up) gets their own
//     Cognito sub: a fresh, immutable id nobody else in the pool has, so
//     self sign-up needs no extra trigger and no write to the pool.
//
// The app client may not write custom:account_id (template.yaml leaves it
// out of WriteAttributes), so a user cannot move themselves into another
// account.
package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/autosync/autosync/shared/input"
)

// Claim and attribute names.
const (
	// ClaimAccountID is the claim the HTTP API reads the account from.
	ClaimAccountID = "account_id"
	// AttrAccountID is the user attribute an administrator sets to put a
	// user into an existing account.
	AttrAccountID = "custom:account_id"
	// DefaultAdminGroup is the Cognito group whose members get the
	// autosync/admin scope (support staff).
	DefaultAdminGroup = "autosync-admins"
	// ScopeMerchant and ScopeAdmin are auth's scopes, named here so the
	// trigger's bootstrap does not link the HTTP side of package auth (a
	// test keeps them equal).
	ScopeMerchant = "autosync/merchant"
	ScopeAdmin    = "autosync/admin"
	// MaxEvent bounds the event the trigger parses; Cognito's are a few KB.
	MaxEvent = 64 << 10
)

// ErrEvent means the event is not a pre token generation V2 event the
// trigger can answer; Cognito then refuses the sign-in rather than issue a
// token the API would refuse anyway.
var ErrEvent = errors.New("not a pre token generation V2 event")

// Event is the part of Cognito's pre token generation event (trigger
// version V2_0) the trigger reads.
type Event struct {
	Version       string
	TriggerSource string
	UserPoolID    string
	ClientID      string
	Attributes    map[string]string
	Groups        []string
	Scopes        []string
}

// wireEvent mirrors the JSON; pointers tell a missing field from an empty one.
type wireEvent struct {
	Version       *string `json:"version"`
	TriggerSource *string `json:"triggerSource"`
	UserPoolID    string  `json:"userPoolId"`
	CallerContext struct {
		ClientID string `json:"clientId"`
	} `json:"callerContext"`
	Request *struct {
		UserAttributes     map[string]string `json:"userAttributes"`
		GroupConfiguration struct {
			GroupsToOverride []string `json:"groupsToOverride"`
		} `json:"groupConfiguration"`
		Scopes []string `json:"scopes"`
	} `json:"request"`
}

// ParseEvent reads a pre token generation event and refuses anything
// else: another trigger's event, a V1 event (it cannot change access
// tokens), or one without the user's sub.
func ParseEvent(raw []byte) (Event, error) {
	if len(raw) > MaxEvent {
		return Event{}, fmt.Errorf("%w: %d bytes, at most %d", ErrEvent, len(raw), MaxEvent)
	}
	var w wireEvent
	if err := json.Unmarshal(raw, &w); err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrEvent, err)
	}
	switch {
	case w.Version == nil:
		return Event{}, fmt.Errorf("%w: no version", ErrEvent)
	case *w.Version != "2" && *w.Version != "3":
		// V3_0 events are V2_0 events that also come for client
		// credentials grants; V1_0 events cannot change access tokens.
		return Event{}, fmt.Errorf("%w: version %q (configure the trigger as V2_0)", ErrEvent, *w.Version)
	case w.TriggerSource == nil || !strings.HasPrefix(*w.TriggerSource, "TokenGeneration_"):
		return Event{}, fmt.Errorf("%w: trigger source %q", ErrEvent, deref(w.TriggerSource))
	case w.Request == nil || w.Request.UserAttributes == nil:
		return Event{}, fmt.Errorf("%w: no user attributes", ErrEvent)
	}
	return Event{
		Version:       *w.Version,
		TriggerSource: *w.TriggerSource,
		UserPoolID:    w.UserPoolID,
		ClientID:      w.CallerContext.ClientID,
		Attributes:    w.Request.UserAttributes,
		Groups:        w.Request.GroupConfiguration.GroupsToOverride,
		Scopes:        w.Request.Scopes,
	}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// AccountID is the account the user belongs to: custom:account_id where an
// administrator set it, else the user's own sub. Either must pass the same
// check the API applies to the claim, so a token is never issued with an
// account id the API would refuse.
func (e Event) AccountID() (string, error) {
	a, from := e.Attributes[AttrAccountID], AttrAccountID
	if a == "" {
		a, from = e.Attributes["sub"], "sub"
	}
	if err := input.Account(a); err != nil {
		return "", fmt.Errorf("account id from %s %w", from, err)
	}
	return a, nil
}

// Overrides is what the trigger changes in the tokens.
type Overrides struct {
	AccountID      string
	ScopesToAdd    []string
	ScopesToRemove []string
}

// Trigger answers pre token generation events.
type Trigger struct {
	// AdminGroup's members get autosync/admin; "" means DefaultAdminGroup.
	AdminGroup string
	Log        *slog.Logger
}

// Decide says what the tokens of the event's user carry: their account id
// in both tokens; autosync/merchant in the access token (every user of the
// pool is a merchant of their account); autosync/admin only for members of
// the admin group, and removed from anyone else's token whatever they asked
// for.
func (t Trigger) Decide(e Event) (Overrides, error) {
	account, err := e.AccountID()
	if err != nil {
		return Overrides{}, err
	}
	o := Overrides{AccountID: account, ScopesToAdd: []string{ScopeMerchant}}
	group := t.AdminGroup
	if group == "" {
		group = DefaultAdminGroup
	}
	if slices.Contains(e.Groups, group) {
		o.ScopesToAdd = append(o.ScopesToAdd, ScopeAdmin)
	} else {
		o.ScopesToRemove = []string{ScopeAdmin}
	}
	return o, nil
}

// Response is the trigger's answer in Cognito's V2_0 shape.
type Response struct {
	ClaimsAndScopeOverrideDetails ClaimsAndScopeOverrideDetails `json:"claimsAndScopeOverrideDetails"`
}

// ClaimsAndScopeOverrideDetails changes the ID and access tokens.
type ClaimsAndScopeOverrideDetails struct {
	IDTokenGeneration     IDTokenGeneration     `json:"idTokenGeneration"`
	AccessTokenGeneration AccessTokenGeneration `json:"accessTokenGeneration"`
}

// IDTokenGeneration changes the ID token. Empty lists are sent as [] rather
// than null: the answer names every field Cognito reads.
type IDTokenGeneration struct {
	ClaimsToAddOrOverride map[string]string `json:"claimsToAddOrOverride"`
	ClaimsToSuppress      []string          `json:"claimsToSuppress"`
}

// AccessTokenGeneration changes the access token, scopes included.
type AccessTokenGeneration struct {
	ClaimsToAddOrOverride map[string]string `json:"claimsToAddOrOverride"`
	ClaimsToSuppress      []string          `json:"claimsToSuppress"`
	ScopesToAdd           []string          `json:"scopesToAdd"`
	ScopesToSuppress      []string          `json:"scopesToSuppress"`
}

// Response builds Cognito's answer from the overrides.
func (o Overrides) Response() Response {
	claims := map[string]string{ClaimAccountID: o.AccountID}
	return Response{ClaimsAndScopeOverrideDetails{
		IDTokenGeneration: IDTokenGeneration{ClaimsToAddOrOverride: claims, ClaimsToSuppress: []string{}},
		AccessTokenGeneration: AccessTokenGeneration{
			ClaimsToAddOrOverride: claims,
			ClaimsToSuppress:      []string{},
			ScopesToAdd:           nonNil(o.ScopesToAdd),
			ScopesToSuppress:      nonNil(o.ScopesToRemove),
		},
	}}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Handle is the Lambda handler: Cognito sends the event and takes it back
// with its response filled in. Every other field of the event is returned
// as it came. An event it cannot answer is an error, which makes Cognito
// refuse the sign-in.
func (t Trigger) Handle(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
	log := t.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e, err := ParseEvent(raw)
	if err != nil {
		log.WarnContext(ctx, "pre token generation: event refused", "error", err.Error())
		return nil, err
	}
	o, err := t.Decide(e)
	if err != nil {
		// The pool and source say where to look; the attributes (an
		// email address among them) are never logged.
		log.WarnContext(ctx, "pre token generation: no usable account id",
			"user_pool_id", e.UserPoolID, "trigger_source", e.TriggerSource, "error", err.Error())
		return nil, fmt.Errorf("issue tokens: %w", err)
	}
	out, err := withResponse(raw, o.Response())
	if err != nil {
		return nil, err
	}
	log.InfoContext(ctx, "pre token generation",
		"account_id", o.AccountID, "user_pool_id", e.UserPoolID, "trigger_source", e.TriggerSource,
		"admin", slices.Contains(o.ScopesToAdd, ScopeAdmin))
	return out, nil
}

// withResponse returns the event with its "response" replaced.
func withResponse(raw []byte, r Response) (json.RawMessage, error) {
	var doc map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(raw))
	if err := d.Decode(&doc); err != nil || doc == nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrEvent)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode the trigger's response: %w", err)
	}
	doc["response"] = b
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode the event: %w", err)
	}
	return out, nil
}
