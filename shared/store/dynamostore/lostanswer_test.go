package dynamostore_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/autosync/autosync/shared/awstest"
	"github.com/autosync/autosync/shared/store"
	"github.com/autosync/autosync/shared/store/dynamostore"
)

// loseAnswer passes every request to the emulator, but replaces the answer
// to the next request of operation op, once armed, with a 500: the write
// is applied and its caller does not learn it.
type loseAnswer struct {
	base http.RoundTripper
	mu   sync.Mutex
	op   string
}

func (l *loseAnswer) arm(op string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.op = op
}

func (l *loseAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(r)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil || l.op == "" || !strings.HasSuffix(r.Header.Get("X-Amz-Target"), "."+l.op) {
		return resp, err
	}
	l.op = ""
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return &http.Response{
		StatusCode: 500,
		Header:     http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
		Body:       io.NopCloser(strings.NewReader(`{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}`)),
		Request:    r,
	}, nil
}

// TestLostAnswer runs the SDK's retry of an applied conditional Put
// against the emulator, which applies the first request and answers the
// retry's failed condition with the stored item (ALL_OLD).
func TestLostAnswer(t *testing.T) {
	cfg := awstest.Config(t)
	lose := &loseAnswer{base: http.DefaultTransport}
	cfg.HTTPClient = &http.Client{Transport: lose}
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
	client := dynamodb.NewFromConfig(cfg)
	s := dynamostore.New(client, newTable(t, client))
	ctx := t.Context()

	lose.arm("UpdateItem")
	claim, err := s.Put(ctx, store.Item{PK: "p", SK: "claim", Data: []byte(`{"run":1}`)}, store.MustBeNew)
	if err != nil || claim.Version != 1 {
		t.Fatalf("claim with a lost answer: %+v, %v; want version 1", claim, err)
	}
	lose.arm("UpdateItem")
	renewed, err := s.Put(ctx, store.Item{PK: "p", SK: "claim", Data: []byte(`{"run":1,"n":2}`)}, store.AtVersion(1))
	if err != nil || renewed.Version != 2 {
		t.Fatalf("renewal with a lost answer: %+v, %v; want version 2", renewed, err)
	}
	if got, err := s.Get(ctx, "p", "claim"); err != nil || got.Version != 2 || string(got.Data) != `{"run":1,"n":2}` {
		t.Fatalf("stored %+v, %v", got, err)
	}
	// The same write again is a genuine failure: version 1 is gone.
	if _, err := s.Put(ctx, store.Item{PK: "p", SK: "claim", Data: []byte(`{"run":1,"n":2}`)}, store.AtVersion(1)); !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("stale write: %v; want ErrConditionFailed", err)
	}
	// A conditional Delete's retry is answered by DynamoDB's idempotency
	// of ClientRequestToken, which moto does not implement (5.2: it ignores
	// the token); TestAmbiguousDelete checks the token is sent again.
}
