package adminschema

import (
	"compress/gzip"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestLoad checks the conversion keeps what the conformance tests rely on:
// every published type, the directives, and deprecations with reasons.
func TestLoad(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(Path())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var in Introspection
	if err := json.NewDecoder(zr).Decode(&in); err != nil {
		t.Fatal(err)
	}
	for _, typ := range in.Data.Schema.Types {
		if s.Types[typ.Name] == nil {
			t.Errorf("type %s was lost", typ.Name)
		}
	}
	if d := s.Directives["idempotent"]; d == nil || d.Arguments.ForName("key") == nil || d.Arguments.ForName("key").Type.String() != "String!" {
		t.Errorf("@idempotent(key: String!) was lost: %+v", d)
	}
	in2 := s.Types["WebhookSubscriptionInput"]
	if r, dep := Deprecation(in2.Fields.ForName("callbackUrl").Directives); !dep || !strings.Contains(r, "uri") {
		t.Errorf("WebhookSubscriptionInput.callbackUrl: deprecated %v (%q); want deprecated for uri", dep, r)
	}
	if _, dep := Deprecation(in2.Fields.ForName("uri").Directives); dep {
		t.Error("WebhookSubscriptionInput.uri is deprecated")
	}
	q := s.Types["InventoryQuantityInput"]
	if q.Fields.ForName("changeFromQuantity") == nil || q.Fields.ForName("compareQuantity") != nil {
		t.Errorf("InventoryQuantityInput fields %v", q.Fields)
	}
	codes := s.Types["InventorySetQuantitiesUserErrorCode"]
	if codes.EnumValues.ForName("CHANGE_FROM_QUANTITY_STALE") == nil {
		t.Error("no CHANGE_FROM_QUANTITY_STALE")
	}
	sub := s.Query.Fields.ForName("webhookSubscriptions")
	if _, dep := Deprecation(sub.Arguments.ForName("callbackUrl").Directives); !dep {
		t.Error("webhookSubscriptions(callbackUrl:) is not deprecated")
	}
}

func TestSDLRefusesUnknownKinds(t *testing.T) {
	var in Introspection
	in.Data.Schema.QueryType = &named{Name: "Q"}
	in.Data.Schema.Types = []fullType{{Kind: "MYSTERY", Name: "X"}}
	if _, err := in.SDL(); err == nil {
		t.Error("an unknown kind was accepted")
	}
	if _, err := (&Introspection{}).SDL(); err == nil {
		t.Error("a schema without a query type was accepted")
	}
}
