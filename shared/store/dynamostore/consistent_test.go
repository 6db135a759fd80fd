package dynamostore_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/autosync/autosync/shared/awstest"
	"github.com/autosync/autosync/shared/store"
	"github.com/autosync/autosync/shared/store/dynamostore"
)

// queryRecorder keeps the ConsistentRead flag of every Query request.
type queryRecorder struct {
	mu         sync.Mutex
	base       http.RoundTripper
	consistent []bool
}

func (r *queryRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.Header.Get("X-Amz-Target"), ".Query") && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		var in struct{ ConsistentRead bool }
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.consistent = append(r.consistent, in.ConsistentRead)
		r.mu.Unlock()
	}
	return r.base.RoundTrip(req)
}

// A query is strongly consistent unless it asks for an eventual read.
func TestQueryConsistency(t *testing.T) {
	cfg := awstest.Config(t)
	rec := &queryRecorder{base: http.DefaultTransport}
	cfg.HTTPClient = &http.Client{Transport: rec}
	client := dynamodb.NewFromConfig(cfg)
	s := dynamostore.New(client, newTable(t, client))
	if _, err := s.Put(t.Context(), store.Item{PK: "p", SK: "a"}, store.NoCond); err != nil {
		t.Fatal(err)
	}
	for _, eventual := range []bool{false, true} {
		p, err := s.Query(t.Context(), store.Query{PK: "p", Eventual: eventual})
		if err != nil || len(p.Items) != 1 {
			t.Fatalf("eventual=%v: %+v %v", eventual, p, err)
		}
	}
	if len(rec.consistent) != 2 || !rec.consistent[0] || rec.consistent[1] {
		t.Fatalf("ConsistentRead sent %v; want [true false]", rec.consistent)
	}
}
