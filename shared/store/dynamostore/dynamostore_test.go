package dynamostore_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/autosync/autosync/shared/awstest"
	"github.com/autosync/autosync/shared/store"
	"github.com/autosync/autosync/shared/store/dynamostore"
	"github.com/autosync/autosync/shared/store/storetest"
)

// newTable creates a table of its own for t and drops it afterwards.
func newTable(t *testing.T, client *dynamodb.Client) string {
	return awstest.Table(t, client, "storetest")
}

func TestContract(t *testing.T) {
	client := dynamodb.NewFromConfig(awstest.SerialConfig(t))
	storetest.Run(t, func(t *testing.T) store.Store {
		return dynamostore.New(client, newTable(t, client))
	})
}

// TestCreateTable checks that CreateTable may run again on an existing
// table and leaves TTL enabled on the ttl attribute.
func TestCreateTable(t *testing.T) {
	client := dynamodb.NewFromConfig(awstest.Config(t))
	table := newTable(t, client)
	if err := dynamostore.CreateTable(t.Context(), client, table); err != nil {
		t.Fatalf("second CreateTable: %v", err)
	}
	out, err := client.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if d := out.TimeToLiveDescription; d == nil || aws.ToString(d.AttributeName) != "ttl" || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Fatalf("TTL description %+v; want enabled on ttl", d)
	}
}

// TestSchema pins the stored attributes the table's TTL setting and any
// operator reading the table rely on.
func TestSchema(t *testing.T) {
	client := dynamodb.NewFromConfig(awstest.Config(t))
	table := newTable(t, client)
	s := dynamostore.New(client, table)
	exp := time.Unix(1_900_000_000, 0)
	if _, err := s.Put(t.Context(), store.Item{PK: "p", SK: "s", Data: []byte(`{"a":1}`), ExpiresAt: exp}, store.NoCond); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(t.Context(), store.Item{PK: "p", SK: "bare"}, store.NoCond); err != nil {
		t.Fatal(err)
	}
	get := func(sk string) map[string]types.AttributeValue {
		out, err := client.GetItem(t.Context(), &dynamodb.GetItemInput{
			TableName: aws.String(table),
			Key: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: "p"},
				"sk": &types.AttributeValueMemberS{Value: sk},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	item := get("s")
	if v, ok := item["v"].(*types.AttributeValueMemberN); !ok || v.Value != "1" {
		t.Errorf("v = %#v; want N 1", item["v"])
	}
	if v, ok := item["data"].(*types.AttributeValueMemberB); !ok || string(v.Value) != `{"a":1}` {
		t.Errorf("data = %#v; want B {\"a\":1}", item["data"])
	}
	if v, ok := item["ttl"].(*types.AttributeValueMemberN); !ok || v.Value != "1900000000" {
		t.Errorf("ttl = %#v; want N 1900000000", item["ttl"])
	}
	if len(item) != 5 {
		t.Errorf("item has attributes %v; want pk, sk, v, data, ttl", item)
	}
	bare := get("bare")
	if _, ok := bare["ttl"]; ok {
		t.Errorf("item without expiry has a ttl attribute: %v", bare)
	}
	if _, ok := bare["data"]; ok {
		t.Errorf("item without data has a data attribute: %v", bare)
	}
}

// TestPackedData: a large document is stored deflated in "dz" (a product
// with six channels' links drops from 2 write units to 1), read back as
// written, replaced by plain data when it shrinks, and items written
// before packing existed (plain "data") still read.
func TestPackedData(t *testing.T) {
	client := dynamodb.NewFromConfig(awstest.Config(t))
	table := newTable(t, client)
	s := dynamostore.New(client, table)
	ctx := t.Context()
	var doc bytes.Buffer
	doc.WriteString(`{"sku":"SKU-1","channels":{`)
	for i := range 6 {
		if i > 0 {
			doc.WriteByte(',')
		}
		fmt.Fprintf(&doc, `"ch_%016d":{"link":{"product_id":"gid://shopify/Product/%d","variant_id":"gid://shopify/ProductVariant/%d"},"last_pushed":7,"failures":0}`, i, 8000+i, 4000+i)
	}
	doc.WriteString(`}}`)
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "p"}, "sk": &types.AttributeValueMemberS{Value: "big"}}
	raw := func() map[string]types.AttributeValue {
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	if _, err := s.Put(ctx, store.Item{PK: "p", SK: "big", Data: doc.Bytes()}, store.NoCond); err != nil {
		t.Fatal(err)
	}
	item := raw()
	z, ok := item["dz"].(*types.AttributeValueMemberB)
	if _, plain := item["data"]; !ok || plain || len(z.Value) >= doc.Len()/2 || len(z.Value) > 1000 {
		t.Fatalf("stored %v; want only dz, under 1,000 bytes, from a %d-byte document", item, doc.Len())
	}
	got, err := s.Get(ctx, "p", "big")
	if err != nil || !bytes.Equal(got.Data, doc.Bytes()) {
		t.Fatalf("read back %q, %v", got.Data, err)
	}
	page, err := s.Query(ctx, store.Query{PK: "p", Prefix: "big"})
	if err != nil || len(page.Items) != 1 || !bytes.Equal(page.Items[0].Data, doc.Bytes()) {
		t.Fatalf("query %+v, %v", page, err)
	}
	// Replaced by a small document: plain data, no stale dz.
	if _, err := s.Put(ctx, store.Item{PK: "p", SK: "big", Data: []byte(`{"a":1}`)}, store.NoCond); err != nil {
		t.Fatal(err)
	}
	if item := raw(); item["dz"] != nil || item["data"] == nil {
		t.Fatalf("after a small put: %v", item)
	}
	// An item as written before packing: plain data of any size.
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "p"}, "sk": &types.AttributeValueMemberS{Value: "old"},
		"v": &types.AttributeValueMemberN{Value: "3"}, "data": &types.AttributeValueMemberB{Value: doc.Bytes()}}}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "p", "old"); err != nil || got.Version != 3 || !bytes.Equal(got.Data, doc.Bytes()) {
		t.Fatalf("old plain item: %+v, %v", got, err)
	}
	// A dz that does not inflate is an error, not a document.
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "p"}, "sk": &types.AttributeValueMemberS{Value: "bad"},
		"v": &types.AttributeValueMemberN{Value: "1"}, "dz": &types.AttributeValueMemberB{Value: []byte("not deflate")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "p", "bad"); err == nil {
		t.Fatal("a corrupt dz was read as a document")
	}
}
