package dynamostore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/autosync/autosync/shared/store"
)

// ErrConflict reports a write that DynamoDB kept refusing because a
// concurrent transaction held one of its items, after conflictRetries
// retries. Nothing was written. It is not store.ErrConditionFailed: no
// condition was found false, so a caller must not read it as "someone
// else claimed this" (a duplicate webhook, a lost lease).
var ErrConflict = errors.New("dynamodb: write conflicted with concurrent transactions")

// conflictRetries bounds the retries of a write refused for a conflict.
// With store.ContentionDelay's back-off they wait about 0.4 s on average,
// 0.8 s at most, several times the life of a DynamoDB transaction.
const conflictRetries = 10

// conflicted reports whether err is DynamoDB refusing a write that was not
// applied because of contention that passes: a single-item write on an
// item inside a running transaction (TransactionConflictException), or a
// transaction cancelled only because another transaction held one of its
// items or the partition was briefly over its throughput. The AWS SDK's
// retryer retries neither. A cancellation with any other reason, a failed
// condition above all, is not contention.
func conflicted(err error) bool {
	var tce *types.TransactionConflictException
	if errors.As(err, &tce) {
		return true
	}
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) {
		return false
	}
	transient := false
	for _, r := range canceled.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "None", "":
		case "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded":
			transient = true
		default:
			return false
		}
	}
	return transient
}

// retryConflicts runs write, an attempt that sends one request, until it
// fails for anything but a conflict, retrying after a jittered back-off at
// most conflictRetries times. Each attempt must build its request afresh:
// a refused write was not applied, so its retry is a new request (for a
// transaction, one with a new ClientRequestToken; reusing the token with
// other parameters within ten minutes is refused as
// IdempotentParameterMismatch).
func (s *Store) retryConflicts(ctx context.Context, write func() error) error {
	for attempt := 0; ; attempt++ {
		err := write()
		if !conflicted(err) {
			return err
		}
		if attempt == conflictRetries {
			return fmt.Errorf("%w: %d attempts: %w", ErrConflict, attempt+1, err)
		}
		if werr := s.sleep(ctx, store.ContentionDelay(attempt)); werr != nil {
			return fmt.Errorf("%w: %w; gave up waiting to retry: %w", ErrConflict, err, werr)
		}
	}
}

// countingClient counts the HTTP requests of one operation. More than one
// means the SDK retried it after an answer it could not read (a 5xx, a
// timeout, a broken connection), so an earlier request may have been
// applied.
type countingClient struct {
	next dynamodb.HTTPClient
	n    *atomic.Int32
}

func (c countingClient) Do(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.Do(r)
}

func countRequests(n *atomic.Int32) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) { o.HTTPClient = countingClient{next: o.HTTPClient, n: n} }
}

// ownWrite reports whether old, the item DynamoDB returned with a failed
// condition of a Put of it under c, is the item that Put wrote: the SDK
// retried the UpdateItem after a first request that was applied but whose
// answer was lost, and the retry found the condition false against that
// very write. It must hold the same data and expiry and, under IfVersion,
// the version after c's. It returns the version stored.
//
// A concurrent writer that wrote exactly the same document from the same
// version (two increments of one counter from one read) is
// indistinguishable, which is why Put asks only after a retry.
func ownWrite(old map[string]types.AttributeValue, it store.Item, c store.Cond) (int64, bool) {
	if old == nil {
		return 0, false
	}
	var r record
	if err := attributevalue.UnmarshalMap(old, &r); err != nil {
		return 0, false
	}
	stored, err := r.item()
	if err != nil || r.V < 1 || !bytes.Equal(stored.Data, it.Data) {
		return 0, false
	}
	if c.Kind == store.IfVersion && r.V != c.Version+1 {
		return 0, false
	}
	switch {
	case it.ExpiresAt.IsZero():
		if r.TTL != nil {
			return 0, false
		}
	case r.TTL == nil || *r.TTL != ceilSeconds(it.ExpiresAt):
		return 0, false
	}
	return r.V, true
}
