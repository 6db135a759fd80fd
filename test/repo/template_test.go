package repo_test

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// child is the value of key in a YAML mapping node, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// loadTemplate parses the SAM template, CloudFormation's short tags kept.
func loadTemplate(t *testing.T) *yaml.Node {
	t.Helper()
	b, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

// The LogLevel parameter reaches CloudWatch: Lambda drops a JSON-format
// function's log lines below its ApplicationLogLevel (INFO unless set), so
// every function's comes from LogLevel, and the mapping covers each value
// the parameter allows. LogLevel=debug once changed nothing support could
// read.
func TestTemplateLogLevelReachesEveryFunction(t *testing.T) {
	root := loadTemplate(t)
	levels := child(child(root, "Mappings"), "LogLevels")
	for _, v := range child(child(child(root, "Parameters"), "LogLevel"), "AllowedValues").Content {
		got := child(child(levels, v.Value), "Lambda")
		if got == nil || got.Value != strings.ToUpper(v.Value) {
			t.Errorf("LogLevel %q: Mappings.LogLevels gives no Lambda level %q", v.Value, strings.ToUpper(v.Value))
		}
	}
	resources := child(root, "Resources")
	functions := 0
	for i := 0; i+1 < len(resources.Content); i += 2 {
		name, res := resources.Content[i].Value, resources.Content[i+1]
		if child(res, "Type").Value != "AWS::Serverless::Function" {
			continue
		}
		functions++
		lc := child(child(res, "Properties"), "LoggingConfig")
		if lc == nil || child(lc, "LogFormat").Value != "JSON" {
			t.Errorf("%s: logs not in JSON format", name)
			continue
		}
		lvl := child(lc, "ApplicationLogLevel")
		if lvl == nil || lvl.Tag != "!FindInMap" || len(lvl.Content) != 3 ||
			lvl.Content[0].Value != "LogLevels" || lvl.Content[1].Tag != "!Ref" || lvl.Content[1].Value != "LogLevel" {
			t.Errorf("%s: ApplicationLogLevel does not follow the LogLevel parameter", name)
		}
	}
	if functions == 0 {
		t.Fatal("no functions found in the template")
	}
}

// actions lists the IAM actions a function's inline policies allow.
func actions(res *yaml.Node) []string {
	var out []string
	pols := child(child(res, "Properties"), "Policies")
	if pols == nil {
		return nil
	}
	for _, p := range pols.Content {
		for _, st := range child(p, "Statement").Content {
			a := child(st, "Action")
			switch {
			case a == nil:
			case a.Kind == yaml.ScalarNode:
				out = append(out, a.Value)
			default:
				for _, v := range a.Content {
					out = append(out, v.Value)
				}
			}
		}
	}
	return out
}

// Only a function whose composition root reads the carts' app secrets
// (connect.SecretApps) may read them, and has their ARNs: the task function
// once had both for nothing, a channel keeping its own client credentials.
func TestTemplateAppSecretsOnlyWhereRead(t *testing.T) {
	resources := child(loadTemplate(t), "Resources")
	dirs := map[string]string{"ApiFunction": "api", "WebhookFunction": "webhook", "TaskFunction": "task", "PreTokenFunction": "pretoken"}
	for name, dir := range dirs {
		res := child(resources, name)
		if res == nil {
			t.Fatalf("no %s in the template", name)
		}
		src, err := os.ReadFile("../../functions/" + dir + "/main.go")
		if err != nil {
			t.Fatal(err)
		}
		reads := strings.Contains(string(src), "connect.SecretApps")
		allowed := false
		for _, a := range actions(res) {
			if a == "secretsmanager:GetSecretValue" {
				allowed = true
			}
		}
		env := child(child(child(res, "Properties"), "Environment"), "Variables")
		named := child(env, "CART_APP_SECRET_SHOPIFY") != nil
		if allowed != reads || named != reads {
			t.Errorf("%s: reads the app secrets %v, may read them %v, is given their ARNs %v", name, reads, allowed, named)
		}
	}
}
