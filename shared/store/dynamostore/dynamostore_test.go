package dynamostore_test

import (
	"context"
	"net/http"
	"sync"
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
	t.Helper()
	table := awstest.Unique("storetest")
	if err := dynamostore.CreateTable(t.Context(), client, table); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// t.Context is already canceled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)}); err != nil {
			t.Errorf("drop table %s: %v", table, err)
		}
	})
	return table
}

// serialTransport sends one request at a time. moto_server is threaded
// and evaluates a condition and applies the write in separate steps, so two
// concurrent conditional writes can both pass, a lost update DynamoDB never
// allows. Serialising requests restores DynamoDB's per-request atomicity
// without hiding adapter bugs: an adapter that checked a condition in one
// request and wrote in another would still race, and the contract's
// concurrency tests would still catch it.
type serialTransport struct {
	mu   sync.Mutex
	base http.RoundTripper
}

func (t *serialTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	// moto answers only after it has applied the request, so holding the
	// lock until the response headers arrive is enough.
	return t.base.RoundTrip(r)
}

func TestContract(t *testing.T) {
	cfg := awstest.Config(t)
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 16 // the suite's goroutines reuse connections
	cfg.HTTPClient = &http.Client{Transport: &serialTransport{base: base}}
	client := dynamodb.NewFromConfig(cfg)
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
