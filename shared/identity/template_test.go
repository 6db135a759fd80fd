package identity

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// node is a parsed YAML node with CloudFormation's short tags (!Ref,
// !Sub, ...) left as they are.
type node struct{ *yaml.Node }

func (n node) get(path ...string) node {
	cur := n.Node
	for _, key := range path {
		if cur == nil || cur.Kind != yaml.MappingNode {
			return node{}
		}
		var next *yaml.Node
		for i := 0; i+1 < len(cur.Content); i += 2 {
			if cur.Content[i].Value == key {
				next = cur.Content[i+1]
			}
		}
		cur = next
	}
	return node{cur}
}

func (n node) str() string {
	if n.Node == nil {
		return ""
	}
	return n.Value
}

// strs is a flow or block sequence of plain strings.
func (n node) strs() []string {
	if n.Node == nil {
		return nil
	}
	var out []string
	for _, c := range n.Content {
		out = append(out, c.Value)
	}
	return out
}

func loadTemplate(t *testing.T) node {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	return node{doc.Content[0]}
}

// TestTemplateMatchesTheTrigger keeps template.yaml and this package in
// step: what the trigger and the sign-in settings assume of the user pool
// is what the template creates.
func TestTemplateMatchesTheTrigger(t *testing.T) {
	tpl := loadTemplate(t)
	res := tpl.get("Resources")

	pool := res.get("UserPool", "Properties")
	if got := pool.get("UserPoolTier").str(); got != "ESSENTIALS" && got != "PLUS" {
		t.Errorf("UserPoolTier %q: access token customization needs ESSENTIALS or PLUS", got)
	}
	if got := pool.get("LambdaConfig", "PreTokenGenerationConfig", "LambdaVersion").str(); got != "V2_0" {
		t.Errorf("pre token generation LambdaVersion %q; the trigger answers V2_0 events", got)
	}
	attr := false
	for _, a := range pool.get("Schema").Content {
		an := node{a}
		if "custom:"+an.get("Name").str() == AttrAccountID {
			attr = true
			if max := an.get("StringAttributeConstraints", "MaxLength").str(); max != "128" {
				t.Errorf("%s MaxLength %s; the API accepts account ids of at most 128 bytes", AttrAccountID, max)
			}
		}
	}
	if !attr {
		t.Errorf("the user pool has no %s attribute", AttrAccountID)
	}

	rs := res.get("UserPoolResourceServer", "Properties")
	var scopes []string
	for _, s := range rs.get("Scopes").Content {
		sn := node{s}
		scopes = append(scopes, rs.get("Identifier").str()+"/"+sn.get("ScopeName").str())
	}
	if !slices.Equal(scopes, []string{ScopeMerchant, ScopeAdmin}) {
		t.Errorf("resource server scopes %q; want %q, %q", scopes, ScopeMerchant, ScopeAdmin)
	}

	cl := res.get("UserPoolClient", "Properties")
	if w := cl.get("WriteAttributes"); w.Node == nil || slices.Contains(w.strs(), AttrAccountID) {
		t.Errorf("client WriteAttributes %q: must be set and must not include %s (users would pick their account)", w.strs(), AttrAccountID)
	}
	if got := cl.get("AllowedOAuthScopes").strs(); slices.Contains(got, ScopeAdmin) || !slices.Contains(got, ScopeMerchant) {
		t.Errorf("client scopes %q: the page asks for %s, never %s", got, ScopeMerchant, ScopeAdmin)
	}
	for _, s := range strings.Fields(SignInScope) {
		if !slices.Contains(cl.get("AllowedOAuthScopes").strs(), s) {
			t.Errorf("the page asks for %q, which the client does not allow", s)
		}
	}
	if got := cl.get("AllowedOAuthFlows").strs(); !slices.Equal(got, []string{"code"}) {
		t.Errorf("client flows %q; want only code (with PKCE)", got)
	}
	if got := cl.get("GenerateSecret").str(); got != "false" {
		t.Errorf("GenerateSecret %q: a browser keeps no secret", got)
	}

	if got := tpl.get("Parameters", "AdminGroupName", "Default").str(); got != DefaultAdminGroup {
		t.Errorf("AdminGroupName default %q; the trigger's default is %q", got, DefaultAdminGroup)
	}
	if got := res.get("PreTokenFunction", "Properties", "Environment", "Variables", "ADMIN_GROUP").str(); got != "AdminGroupName" {
		t.Errorf("PreTokenFunction ADMIN_GROUP is %q; want !Ref AdminGroupName", got)
	}

	vars := res.get("ApiFunction", "Properties", "Environment", "Variables")
	for _, k := range []string{EnvDomainURL, EnvClientID, EnvRedirectURL} {
		if vars.get(k).Node == nil {
			t.Errorf("ApiFunction has no %s", k)
		}
	}
	route := ""
	for i := 0; i+1 < len(res.Content); i += 2 {
		p := node{Node: res.Content[i+1]}
		if p.get("Type").str() == "AWS::ApiGatewayV2::Route" && p.get("Properties", "RouteKey").str() == ConfigRoute {
			route = p.get("Properties", "AuthorizationType").str()
		}
	}
	if route != "NONE" {
		t.Errorf("route %q has authorization %q; the page asks before it has a token, so NONE", ConfigRoute, route)
	}
}
