package dynamostore_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/autosync/autosync/shared/store"
	"github.com/autosync/autosync/shared/store/dynamostore"
)

// These tests play DynamoDB's answers through a fake HTTP transport: the
// emulator the contract suite runs on neither conflicts nor loses answers.

type reply struct {
	status int
	body   string
}

// request is what the fake saw of one HTTP request.
type request struct {
	op   string // the X-Amz-Target operation, such as UpdateItem
	body map[string]any
}

// script answers the requests in turn with its replies, the last one
// again once they run out.
type script struct {
	mu      sync.Mutex
	replies []reply
	seen    []request
}

func (s *script) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	s.seen = append(s.seen, request{op: op, body: body})
	rep := s.replies[min(len(s.seen), len(s.replies))-1]
	return &http.Response{
		StatusCode: rep.status,
		Header:     http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
		Body:       io.NopCloser(strings.NewReader(rep.body)),
		Request:    r,
	}, nil
}

func (s *script) requests() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.seen...)
}

// scripted returns a Store answered by sc; its waits between conflict
// retries take no time and are counted in waits. The SDK's own retries
// (of 5xx answers) wait no time either.
func scripted(sc *script, waits *int) *dynamostore.Store {
	client := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://dynamodb.test"),
		Credentials:  aws.AnonymousCredentials{},
		HTTPClient:   &http.Client{Transport: sc},
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			o.RateLimiter = ratelimit.None
		}),
	})
	s := dynamostore.New(client, "t")
	s.SetSleep(func(ctx context.Context, _ time.Duration) error {
		*waits++
		return ctx.Err()
	})
	return s
}

func apiError(typ, extra string) reply {
	return reply{400, `{"__type":"com.amazonaws.dynamodb.v20120810#` + typ + `","message":"refused"` + extra + `}`}
}

// canceled is a TransactionCanceledException with the given reasons.
func canceled(codes ...string) reply {
	reasons := make([]string, len(codes))
	for i, c := range codes {
		reasons[i] = `{"Code":"` + c + `"}`
	}
	return apiError("TransactionCanceledException", `,"CancellationReasons":[`+strings.Join(reasons, ",")+`]`)
}

var (
	ok               = reply{200, `{}`}
	lost             = reply{500, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}`}
	conflictRefusal  = apiError("TransactionConflictException", "")
	conditionRefusal = apiError("ConditionalCheckFailedException", "")
)

// conditionFailedWith is a ConditionalCheckFailedException carrying the
// stored item, as DynamoDB returns it under ALL_OLD.
func conditionFailedWith(item map[string]any) reply {
	b, err := json.Marshal(item)
	if err != nil {
		panic(err)
	}
	return apiError("ConditionalCheckFailedException", `,"Item":`+string(b))
}

// stored is an item as DynamoDB's JSON protocol writes it.
func stored(v int, data []byte, ttl int64) map[string]any {
	it := map[string]any{
		"pk": map[string]any{"S": "A#1"},
		"sk": map[string]any{"S": "LEASE#x"},
		"v":  map[string]any{"N": strconv.Itoa(v)},
	}
	if len(data) > 0 {
		it["data"] = map[string]any{"B": data}
	}
	if ttl != 0 {
		it["ttl"] = map[string]any{"N": strconv.FormatInt(ttl, 10)}
	}
	return it
}

func TestConflictsRetried(t *testing.T) {
	item := store.Item{PK: "A#1", SK: "PROD#sku", Data: []byte(`{"n":1}`)}
	twoOps := []store.Op{store.Put(store.Item{PK: "A#1", SK: "ORD#1"}, store.AtVersion(3)), store.Put(item, store.AtVersion(7))}
	transact := func(s *dynamostore.Store) error { return s.Transact(t.Context(), twoOps) }
	put := func(s *dynamostore.Store) error { _, err := s.Put(t.Context(), item, store.AtVersion(7)); return err }
	del := func(s *dynamostore.Store) error { return s.Delete(t.Context(), "A#1", "PROD#sku", store.NoCond) }
	delAt := func(s *dynamostore.Store) error { return s.Delete(t.Context(), "A#1", "PROD#sku", store.AtVersion(7)) }
	always := func(r reply) []reply { return []reply{r} }
	tests := []struct {
		name     string
		write    func(*dynamostore.Store) error
		replies  []reply
		requests int
		want     func(error) bool // nil: success
		op       string
	}{
		{"transaction conflict, then commit", transact,
			[]reply{canceled("None", "TransactionConflict"), canceled("ThrottlingError", "None"), canceled("ProvisionedThroughputExceeded", "TransactionConflict"), ok}, 4, nil, "TransactWriteItems"},
		{"put refused for a running transaction, then written", put,
			[]reply{conflictRefusal, conflictRefusal, ok}, 3, nil, "UpdateItem"},
		{"delete refused for a running transaction, then done", del,
			[]reply{conflictRefusal, ok}, 2, nil, "DeleteItem"},
		{"conditional delete cancelled for a conflict, then done", delAt,
			[]reply{canceled("TransactionConflict"), ok}, 2, nil, "TransactWriteItems"},
		{"transaction conflicts to the end", transact,
			always(canceled("TransactionConflict", "None")), dynamostore.ConflictRetries + 1, isConflict, "TransactWriteItems"},
		{"put conflicts to the end", put,
			always(conflictRefusal), dynamostore.ConflictRetries + 1, isConflict, "UpdateItem"},
		{"a failed condition among conflicts", transact,
			always(canceled("TransactionConflict", "ConditionalCheckFailed")), 1, failedOp(1), "TransactWriteItems"},
		{"a failed condition alone", transact,
			always(canceled("ConditionalCheckFailed", "None")), 1, failedOp(0), "TransactWriteItems"},
		{"a failed condition of a delete", delAt,
			always(canceled("ConditionalCheckFailed")), 1, isConditionFailed, "TransactWriteItems"},
		{"a validation error among conflicts", transact,
			always(canceled("TransactionConflict", "ValidationError")), 1, isInvalid, "TransactWriteItems"},
		{"an unknown reason", transact,
			always(canceled("TransactionConflict", "ItemCollectionSizeLimitExceeded")), 1, isOther, "TransactWriteItems"},
		{"a failed single-item condition", put,
			always(conditionRefusal), 1, isConditionFailed, "UpdateItem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := &script{replies: tt.replies}
			waits := 0
			err := tt.write(scripted(sc, &waits))
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("error %v; want success", err)
			case tt.want != nil && !tt.want(err):
				t.Fatalf("error %v not the one wanted", err)
			}
			reqs := sc.requests()
			if len(reqs) != tt.requests || waits != tt.requests-1 {
				t.Fatalf("%d requests, %d waits; want %d and %d", len(reqs), waits, tt.requests, tt.requests-1)
			}
			tokens := map[any]bool{}
			for _, r := range reqs {
				if r.op != tt.op {
					t.Fatalf("request %s; want %s", r.op, tt.op)
				}
				if tok, ok := r.body["ClientRequestToken"]; ok {
					if tokens[tok] {
						t.Fatalf("a retry of a cancelled transaction reused its token %v", tok)
					}
					tokens[tok] = true
				}
			}
		})
	}
}

func isConflict(err error) bool {
	return errors.Is(err, dynamostore.ErrConflict) && !errors.Is(err, store.ErrConditionFailed)
}

func isConditionFailed(err error) bool { return errors.Is(err, store.ErrConditionFailed) }

func isInvalid(err error) bool { return errors.Is(err, store.ErrInvalid) }

func isOther(err error) bool {
	return err != nil && !errors.Is(err, dynamostore.ErrConflict) && !errors.Is(err, store.ErrConditionFailed)
}

func failedOp(i int) func(error) bool {
	return func(err error) bool {
		var tx *store.TxError
		return errors.As(err, &tx) && len(tx.Failed) == 1 && tx.Failed[0] == i && !errors.Is(err, dynamostore.ErrConflict)
	}
}

// TestConflictGivesUpWithContext checks that the caller's context ending
// during a wait ends the retries with both the conflict and the context's
// error.
func TestConflictGivesUpWithContext(t *testing.T) {
	sc := &script{replies: []reply{conflictRefusal}}
	waits := 0
	s := scripted(sc, &waits)
	ctx, cancel := context.WithCancel(t.Context())
	s.SetSleep(func(ctx context.Context, _ time.Duration) error {
		cancel() // the caller gives up while the store waits
		return ctx.Err()
	})
	_, err := s.Put(ctx, store.Item{PK: "A#1", SK: "x"}, store.AtVersion(1))
	if !errors.Is(err, dynamostore.ErrConflict) || !errors.Is(err, context.Canceled) || errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("error %v; want ErrConflict and context.Canceled", err)
	}
	if n := len(sc.requests()); n != 1 {
		t.Fatalf("%d requests; want 1, none after the caller gave up", n)
	}
}

// TestConflictBackoff checks the waits the store asks for between
// retries: within store.ContentionDelay's bounds.
func TestConflictBackoff(t *testing.T) {
	sc := &script{replies: []reply{conflictRefusal, conflictRefusal, conflictRefusal, ok}}
	waits := 0
	s := scripted(sc, &waits)
	var asked []time.Duration
	s.SetSleep(func(_ context.Context, d time.Duration) error { asked = append(asked, d); return nil })
	if _, err := s.Put(t.Context(), store.Item{PK: "A#1", SK: "x"}, store.AtVersion(1)); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 3 {
		t.Fatalf("%d waits; want 3", len(asked))
	}
	for i, d := range asked {
		if d < 0 || d >= time.Millisecond<<i {
			t.Fatalf("wait %d is %v; want below %v", i, d, time.Millisecond<<i)
		}
	}
}

// TestAmbiguousWrite plays the SDK retrying a conditional write whose first
// request was applied but whose answer was lost (a 500): the retry finds
// the condition false against that very write.
func TestAmbiguousWrite(t *testing.T) {
	data := []byte(`{"holder":"run-1"}`)
	big := []byte(strings.Repeat(`{"sku":"ABC-123","qty":1},`, 40))
	packed, isPacked := dynamostore.Pack(big)
	if !isPacked {
		t.Fatal("test document not packed")
	}
	bigStored := stored(5, nil, 0)
	bigStored["dz"] = map[string]any{"B": packed}
	exp := time.Unix(1_900_000_000, 0)
	lease := store.Item{PK: "A#1", SK: "LEASE#x", Data: data}
	leaseTTL := lease
	leaseTTL.ExpiresAt = exp.Add(-time.Millisecond) // stored rounded up to exp
	bigItem := store.Item{PK: "A#1", SK: "LEASE#x", Data: big}
	tests := []struct {
		name    string
		it      store.Item
		c       store.Cond
		replies []reply
		version int64 // 0: ErrConditionFailed wanted
	}{
		{"own write at version", lease, store.AtVersion(4), []reply{lost, conditionFailedWith(stored(5, data, 0))}, 5},
		{"own write with expiry", leaseTTL, store.AtVersion(4), []reply{lost, conditionFailedWith(stored(5, data, exp.Unix()))}, 5},
		{"own packed write", bigItem, store.AtVersion(4), []reply{lost, conditionFailedWith(bigStored)}, 5},
		{"own claim of a new item", lease, store.MustBeNew, []reply{lost, conditionFailedWith(stored(3, data, 0))}, 3},
		{"own write of an existing item", lease, store.MustExist, []reply{lost, conditionFailedWith(stored(9, data, 0))}, 9},
		{"another document", lease, store.AtVersion(4), []reply{lost, conditionFailedWith(stored(5, []byte(`{"holder":"run-2"}`), 0))}, 0},
		{"another expiry", leaseTTL, store.AtVersion(4), []reply{lost, conditionFailedWith(stored(5, data, exp.Unix()+1))}, 0},
		{"expiry dropped", leaseTTL, store.AtVersion(4), []reply{lost, conditionFailedWith(stored(5, data, 0))}, 0},
		{"a later version", lease, store.AtVersion(4), []reply{lost, conditionFailedWith(stored(6, data, 0))}, 0},
		{"item gone", lease, store.AtVersion(4), []reply{lost, conditionRefusal}, 0},
		{"claim lost to a live item", lease, store.MustBeNew, []reply{lost, conditionFailedWith(stored(1, []byte(`{"holder":"run-2"}`), 0))}, 0},
		// Without a retry nothing of this call can have been applied: an
		// identical document is a concurrent writer's (two increments of
		// one counter from one read).
		{"identical write, first request", lease, store.AtVersion(4), []reply{conditionFailedWith(stored(5, data, 0))}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := &script{replies: tt.replies}
			waits := 0
			got, err := scripted(sc, &waits).Put(t.Context(), tt.it, tt.c)
			if tt.version == 0 {
				if !errors.Is(err, store.ErrConditionFailed) {
					t.Fatalf("error %v; want ErrConditionFailed", err)
				}
			} else {
				if err != nil {
					t.Fatalf("error %v; want the write reported as done", err)
				}
				if got.Version != tt.version || string(got.Data) != string(tt.it.Data) || !got.ExpiresAt.Equal(roundUp(tt.it.ExpiresAt)) {
					t.Fatalf("put returned %+v; want version %d of the document written", got, tt.version)
				}
			}
			reqs := sc.requests()
			if len(reqs) != len(tt.replies) {
				t.Fatalf("%d requests; want %d", len(reqs), len(tt.replies))
			}
			for _, r := range reqs {
				if r.body["ReturnValuesOnConditionCheckFailure"] != "ALL_OLD" {
					t.Fatalf("conditional UpdateItem without ALL_OLD: %v", r.body)
				}
			}
		})
	}
}

func roundUp(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Truncate(time.Second).Add(time.Second)
}

// TestAmbiguousDelete checks that a conditional delete is one idempotent
// transaction: the SDK's retry after a lost answer carries the first
// request's ClientRequestToken, so DynamoDB answers it with that request's
// success instead of failing the condition against the deletion.
func TestAmbiguousDelete(t *testing.T) {
	for _, c := range []store.Cond{store.AtVersion(4), store.MustExist} {
		sc := &script{replies: []reply{lost, ok}}
		waits := 0
		if err := scripted(sc, &waits).Delete(t.Context(), "A#1", "STATE#s", c); err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		reqs := sc.requests()
		if len(reqs) != 2 || reqs[0].op != "TransactWriteItems" {
			t.Fatalf("%+v: requests %+v; want two TransactWriteItems", c, reqs)
		}
		tok := reqs[0].body["ClientRequestToken"]
		if tok == nil || tok != reqs[1].body["ClientRequestToken"] {
			t.Fatalf("%+v: tokens %v, %v; want one token on both", c, tok, reqs[1].body["ClientRequestToken"])
		}
	}
}
