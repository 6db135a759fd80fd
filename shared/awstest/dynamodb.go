package awstest

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/autosync/autosync/shared/store/dynamostore"
)

// SerialConfig is Config with the emulator's requests sent one at a time.
// moto_server is threaded and evaluates a condition and applies the write
// in separate steps, so two concurrent conditional writes can both pass, a
// lost update DynamoDB never allows. Serialising requests restores
// DynamoDB's per-request atomicity without hiding adapter bugs: an adapter
// that checked a condition in one request and wrote in another would still
// race, and concurrency tests would still catch it.
func SerialConfig(t testing.TB) aws.Config {
	cfg := Config(t)
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 16 // concurrent callers reuse connections
	cfg.HTTPClient = &http.Client{Transport: &serialTransport{base: base}}
	return cfg
}

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

// Table creates a table of the store's schema, named after prefix, for t
// and drops it afterwards.
func Table(t testing.TB, client *dynamodb.Client, prefix string) string {
	t.Helper()
	table := Unique(prefix)
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
