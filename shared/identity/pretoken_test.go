package identity

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/input"
)

const sub = "a36036a8-9061-424d-a737-56d57dae7bc6"

// event builds a V2_0 event as Cognito sends it, with the given
// attributes and groups.
func event(t testing.TB, version, source string, attrs map[string]string, groups []string) []byte {
	t.Helper()
	if groups == nil {
		groups = []string{}
	}
	b, err := json.Marshal(map[string]any{
		"version":       version,
		"triggerSource": source,
		"region":        "us-east-1",
		"userPoolId":    "us-east-1_EXAMPLE",
		"userName":      "merchant@example.com",
		"callerContext": map[string]any{"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "1example23456789"},
		"request": map[string]any{
			"userAttributes":     attrs,
			"groupConfiguration": map[string]any{"groupsToOverride": groups, "iamRolesToOverride": []string{}, "preferredRole": nil},
			"scopes":             []string{"openid", "email", "autosync/merchant"},
		},
		"response": map[string]any{},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestScopesAreAuths(t *testing.T) {
	if ScopeMerchant != auth.ScopeMerchant || ScopeAdmin != auth.ScopeAdmin {
		t.Fatalf("identity scopes %q, %q; auth's %q, %q", ScopeMerchant, ScopeAdmin, auth.ScopeMerchant, auth.ScopeAdmin)
	}
}

// TestHandle: event in, claims and scopes out, decoded with aws-lambda-go's
// own V2_0 types (an independent reading of the wire shape).
func TestHandle(t *testing.T) {
	long := strings.Repeat("a", input.MaxAccount+1)
	for _, c := range []struct {
		name        string
		version     string
		source      string
		attrs       map[string]string
		groups      []string
		adminGroup  string
		wantAccount string
		wantAdd     []string
		wantRemove  []string
		wantErr     string
	}{
		{name: "self sign-up: the user's sub", attrs: map[string]string{"sub": sub, "email": "m@example.com"},
			wantAccount: sub, wantAdd: []string{ScopeMerchant}, wantRemove: []string{ScopeAdmin}},
		{name: "assigned account wins over sub", attrs: map[string]string{"sub": sub, AttrAccountID: "acct-42"},
			wantAccount: "acct-42", wantAdd: []string{ScopeMerchant}, wantRemove: []string{ScopeAdmin}},
		{name: "empty custom attribute falls back to sub", attrs: map[string]string{"sub": sub, AttrAccountID: ""},
			wantAccount: sub, wantAdd: []string{ScopeMerchant}, wantRemove: []string{ScopeAdmin}},
		{name: "admin group member", attrs: map[string]string{"sub": sub}, groups: []string{"other", DefaultAdminGroup},
			wantAccount: sub, wantAdd: []string{ScopeMerchant, ScopeAdmin}},
		{name: "configured admin group", attrs: map[string]string{"sub": sub}, groups: []string{"support"}, adminGroup: "support",
			wantAccount: sub, wantAdd: []string{ScopeMerchant, ScopeAdmin}},
		{name: "default group name is not admin when another is configured", attrs: map[string]string{"sub": sub},
			groups: []string{DefaultAdminGroup}, adminGroup: "support",
			wantAccount: sub, wantAdd: []string{ScopeMerchant}, wantRemove: []string{ScopeAdmin}},
		{name: "refresh", source: "TokenGeneration_RefreshTokens", attrs: map[string]string{"sub": sub},
			wantAccount: sub, wantAdd: []string{ScopeMerchant}, wantRemove: []string{ScopeAdmin}},
		{name: "V3_0 event", version: "3", attrs: map[string]string{"sub": sub},
			wantAccount: sub, wantAdd: []string{ScopeMerchant}, wantRemove: []string{ScopeAdmin}},
		{name: "padded assigned account refused, not trimmed", attrs: map[string]string{"sub": sub, AttrAccountID: " acct-42"},
			wantErr: "custom:account_id has leading or trailing spaces"},
		{name: "control character refused", attrs: map[string]string{"sub": sub, AttrAccountID: "acct\n42"},
			wantErr: "contains control characters"},
		{name: "too long refused", attrs: map[string]string{"sub": sub, AttrAccountID: long}, wantErr: "too long"},
		{name: "no sub, no account", attrs: map[string]string{"email": "m@example.com"}, wantErr: "from sub is required"},
		{name: "V1 event refused", version: "1", attrs: map[string]string{"sub": sub}, wantErr: "configure the trigger as V2_0"},
		{name: "another trigger refused", source: "PostConfirmation_ConfirmSignUp", attrs: map[string]string{"sub": sub}, wantErr: "trigger source"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.version == "" {
				c.version = "2"
			}
			if c.source == "" {
				c.source = "TokenGeneration_HostedAuth"
			}
			raw := event(t, c.version, c.source, c.attrs, c.groups)
			out, err := Trigger{AdminGroup: c.adminGroup}.Handle(context.Background(), raw)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v; want one containing %q", err, c.wantErr)
				}
				if out != nil {
					t.Fatalf("answered %s with an error", out)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got events.CognitoEventUserPoolsPreTokenGenV2_0
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("answer is not a V2_0 event: %v: %s", err, out)
			}
			d := got.Response.ClaimsAndScopeOverrideDetails
			for name, claims := range map[string]map[string]any{
				"access": d.AccessTokenGeneration.ClaimsToAddOrOverride,
				"id":     d.IDTokenGeneration.ClaimsToAddOrOverride,
			} {
				if len(claims) != 1 || claims[ClaimAccountID] != c.wantAccount {
					t.Errorf("%s token claims %v; want only %s=%q", name, claims, ClaimAccountID, c.wantAccount)
				}
			}
			if a := d.AccessTokenGeneration; !reflect.DeepEqual(a.ScopesToAdd, c.wantAdd) || !reflect.DeepEqual(a.ScopesToSuppress, nonNil(c.wantRemove)) {
				t.Errorf("scopes add %q suppress %q; want add %q suppress %q", a.ScopesToAdd, a.ScopesToSuppress, c.wantAdd, nonNil(c.wantRemove))
			}
			// Everything but the response comes back as it was sent.
			var in, back map[string]json.RawMessage
			_ = json.Unmarshal(raw, &in)
			_ = json.Unmarshal(out, &back)
			delete(in, "response")
			delete(back, "response")
			if !reflect.DeepEqual(in, back) {
				t.Errorf("event changed beyond its response:\n in %s\nout %s", raw, out)
			}
		})
	}
}

// TestPublishedSample answers AWS's own V2_0 sample event (aws-lambda-go's
// testdata): its sub becomes the account, and the sample's response (which
// adds made-up claims and scopes) is replaced, not merged.
func TestPublishedSample(t *testing.T) {
	raw, err := os.ReadFile("testdata/aws-lambda-go-pretokengen-v2_0.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Trigger{}.Handle(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	var got events.CognitoEventUserPoolsPreTokenGenV2_0
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	a := got.Response.ClaimsAndScopeOverrideDetails.AccessTokenGeneration
	if a.ClaimsToAddOrOverride[ClaimAccountID] != sub || len(a.ClaimsToAddOrOverride) != 1 {
		t.Errorf("access token claims %v; want only account_id=%s", a.ClaimsToAddOrOverride, sub)
	}
	if len(a.ClaimsToSuppress) != 0 || !reflect.DeepEqual(a.ScopesToAdd, []string{ScopeMerchant}) {
		t.Errorf("suppress %v add %v; want nothing suppressed and %s added", a.ClaimsToSuppress, a.ScopesToAdd, ScopeMerchant)
	}
	if g := got.Response.ClaimsAndScopeOverrideDetails.GroupOverrideDetails.GroupsToOverride; len(g) != 0 {
		t.Errorf("groups overridden: %v; the trigger leaves groups alone", g)
	}
}

// TestGarbage: events that are not pre token generation events are refused
// with ErrEvent, without a panic and without an answer.
func TestGarbage(t *testing.T) {
	huge := `{"version":"2","triggerSource":"TokenGeneration_HostedAuth","request":{"userAttributes":{"sub":"` +
		strings.Repeat("x", MaxEvent) + `"}}}`
	for name, raw := range map[string]string{
		"empty":               ``,
		"null":                `null`,
		"array":               `[]`,
		"string":              `"2"`,
		"truncated":           `{"version":"2","triggerSource":"TokenGeneration_HostedAuth","request":{"userAttributes":{"sub":"x"`,
		"no version":          `{"triggerSource":"TokenGeneration_HostedAuth","request":{"userAttributes":{"sub":"x"}}}`,
		"version as number":   `{"version":2,"triggerSource":"TokenGeneration_HostedAuth","request":{"userAttributes":{"sub":"x"}}}`,
		"no trigger source":   `{"version":"2","request":{"userAttributes":{"sub":"x"}}}`,
		"no request":          `{"version":"2","triggerSource":"TokenGeneration_HostedAuth"}`,
		"null attributes":     `{"version":"2","triggerSource":"TokenGeneration_HostedAuth","request":{"userAttributes":null}}`,
		"attribute not text":  `{"version":"2","triggerSource":"TokenGeneration_HostedAuth","request":{"userAttributes":{"sub":1}}}`,
		"groups not a list":   `{"version":"2","triggerSource":"TokenGeneration_HostedAuth","request":{"userAttributes":{"sub":"x"},"groupConfiguration":{"groupsToOverride":"admins"}}}`,
		"client credentials":  `{"version":"3","triggerSource":"TokenGeneration_ClientCredentials","request":{"scopes":["autosync/admin"]}}`,
		"larger than a bound": huge,
	} {
		t.Run(name, func(t *testing.T) {
			out, err := Trigger{}.Handle(context.Background(), json.RawMessage(raw))
			if !errors.Is(err, ErrEvent) {
				t.Fatalf("err %v; want ErrEvent", err)
			}
			if out != nil {
				t.Fatalf("answered %s", out)
			}
		})
	}
}

// FuzzParseEvent: no input panics the parser or the trigger, and whatever
// the trigger answers carries an account id the API accepts, with the
// admin scope only for members of the admin group.
func FuzzParseEvent(f *testing.F) {
	f.Add(event(f, "2", "TokenGeneration_HostedAuth", map[string]string{"sub": sub}, nil))
	f.Add(event(f, "2", "TokenGeneration_Authentication", map[string]string{"sub": sub, AttrAccountID: "acct"}, []string{DefaultAdminGroup}))
	if b, err := os.ReadFile("testdata/aws-lambda-go-pretokengen-v2_0.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"version":"2"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, perr := ParseEvent(raw)
		out, err := Trigger{}.Handle(context.Background(), raw)
		if perr != nil {
			if err == nil {
				t.Fatalf("parse refused (%v) but the trigger answered", perr)
			}
			return
		}
		if err != nil {
			return // a refused account id
		}
		var got events.CognitoEventUserPoolsPreTokenGenV2_0
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("answer is not a V2_0 event: %v", err)
		}
		a := got.Response.ClaimsAndScopeOverrideDetails.AccessTokenGeneration
		account, _ := a.ClaimsToAddOrOverride[ClaimAccountID].(string)
		if err := input.Account(account); err != nil {
			t.Fatalf("issued account id %q the API refuses: %v", account, err)
		}
		admin := false
		for _, s := range a.ScopesToAdd {
			admin = admin || s == ScopeAdmin
		}
		member := false
		for _, g := range e.Groups {
			member = member || g == DefaultAdminGroup
		}
		if admin != member {
			t.Fatalf("admin scope %v for groups %q", admin, e.Groups)
		}
	})
}
