// Package dynamostore implements store.Store on one DynamoDB table, the
// production adapter.
//
// Table schema: partition key pk (S), sort key sk (S); attributes v (N, the
// version), data (B, absent when empty) and ttl (N, epoch seconds, absent
// when the item does not expire), which is the table's TTL attribute.
//
// DynamoDB deletes expired items lazily (up to days late), so every read
// filters them and every condition treats them as absent. Writes are
// UpdateItem calls that increment v server-side, so a version is never
// computed from a possibly stale read.
//
// Two refusals the AWS SDK leaves to its caller are handled here (see
// retry.go): a write refused because it collided with a concurrent
// transaction is retried, and the failed condition of the SDK's own retry
// of a conditional write whose first request was applied, but whose
// answer was lost, is recognised as that write.
package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/autosync/autosync/shared/clock"
	"github.com/autosync/autosync/shared/store"
)

// Attribute names of the table schema.
const (
	attrPK      = "pk"
	attrSK      = "sk"
	attrVersion = "v"
	attrData    = "data"
	attrTTL     = "ttl"
)

// record is an item as stored.
type record struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"`
	V    int64  `dynamodbav:"v"`
	Data []byte `dynamodbav:"data,omitempty"`
	// Packed is Data deflated (pack.go); an item has one or the other.
	Packed []byte `dynamodbav:"dz,omitempty"`
	// TTL is a pointer so that an expiry of exactly the epoch is not
	// mistaken for none.
	TTL *int64 `dynamodbav:"ttl,omitempty"`
}

func (r record) expired(now time.Time) bool {
	return r.TTL != nil && now.Unix() >= *r.TTL
}

func (r record) item() (store.Item, error) {
	it := store.Item{PK: r.PK, SK: r.SK, Version: r.V, Data: r.Data}
	if len(r.Packed) > 0 {
		data, err := unpack(r.Packed)
		if err != nil {
			return store.Item{}, fmt.Errorf("item %s/%s: %w", r.PK, r.SK, err)
		}
		it.Data = data
	}
	if r.TTL != nil {
		it.ExpiresAt = time.Unix(*r.TTL, 0)
	}
	return it, nil
}

// itemKey is the primary key of an item.
type itemKey struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
}

// Store is a store.Store on one DynamoDB table. It is safe for concurrent
// use.
type Store struct {
	client *dynamodb.Client
	table  string
	// sleep waits between retries of a conflicting write; tests replace
	// it so that they take no time.
	sleep func(context.Context, time.Duration) error
}

var _ store.Store = (*Store)(nil)

// New returns a Store on table, which must have the package's schema
// (see CreateTable).
func New(client *dynamodb.Client, table string) *Store {
	return &Store{client: client, table: table, sleep: clock.Sleep}
}

// Get implements store.Store. Reads are strongly consistent: callers read
// a version in order to condition a write on it.
func (s *Store) Get(ctx context.Context, pk, sk string) (store.Item, error) {
	if err := store.ValidateKeyUTF8(pk, sk); err != nil {
		return store.Item{}, fmt.Errorf("dynamodb get: %w", err)
	}
	key, err := marshalKey(pk, sk)
	if err != nil {
		return store.Item{}, fmt.Errorf("dynamodb get %s/%s: %w", pk, sk, err)
	}
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            key,
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return store.Item{}, fmt.Errorf("dynamodb get %s/%s: %w", pk, sk, mapErr(err))
	}
	if out.Item == nil {
		return store.Item{}, fmt.Errorf("dynamodb get %s/%s: %w", pk, sk, store.ErrNotFound)
	}
	var r record
	if err := attributevalue.UnmarshalMap(out.Item, &r); err != nil {
		return store.Item{}, fmt.Errorf("dynamodb get %s/%s: decode: %w", pk, sk, err)
	}
	if r.expired(time.Now()) {
		return store.Item{}, fmt.Errorf("dynamodb get %s/%s: %w", pk, sk, store.ErrNotFound)
	}
	return r.item()
}

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, it store.Item, c store.Cond) (store.Item, error) {
	if err := store.ValidatePut(it, c); err != nil {
		return store.Item{}, fmt.Errorf("dynamodb put: %w", err)
	}
	var out *dynamodb.UpdateItemOutput
	own := int64(0)
	err := s.retryConflicts(ctx, func() error {
		in, err := s.updateInput(it, c, time.Now())
		if err != nil {
			return err
		}
		// Under IfVersion the new version is known; otherwise it is read
		// back from the update, which is the only atomic way to learn it.
		if c.Kind != store.IfVersion {
			in.ReturnValues = types.ReturnValueUpdatedNew
		}
		if c.Kind != store.Always {
			in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		}
		var requests atomic.Int32
		out, err = s.client.UpdateItem(ctx, in, countRequests(&requests))
		var ccf *types.ConditionalCheckFailedException
		if requests.Load() > 1 && errors.As(err, &ccf) {
			if v, ok := ownWrite(ccf.Item, it, c); ok {
				own = v
				return nil
			}
		}
		return err
	})
	if err != nil {
		return store.Item{}, fmt.Errorf("dynamodb put %s/%s: %w", it.PK, it.SK, mapErr(err))
	}
	it.Version = c.Version + 1
	switch {
	case own > 0:
		it.Version = own
	case c.Kind != store.IfVersion:
		var r struct {
			V int64 `dynamodbav:"v"`
		}
		if err := attributevalue.UnmarshalMap(out.Attributes, &r); err != nil {
			return store.Item{}, fmt.Errorf("dynamodb put %s/%s: read back version: %w", it.PK, it.SK, err)
		}
		if r.V < 1 {
			return store.Item{}, fmt.Errorf("dynamodb put %s/%s: update returned no version", it.PK, it.SK)
		}
		it.Version = r.V
	}
	if !it.ExpiresAt.IsZero() {
		it.ExpiresAt = time.Unix(ceilSeconds(it.ExpiresAt), 0)
	}
	return it, nil
}

// updateInput builds the UpdateItem that writes it under c: it replaces
// data and ttl, and increments v from whatever is stored, even an expired
// item, so that a writer holding a version of an expired item cannot match
// the item that replaced it.
func (s *Store) updateInput(it store.Item, c store.Cond, now time.Time) (*dynamodb.UpdateItemInput, error) {
	key, err := marshalKey(it.PK, it.SK)
	if err != nil {
		return nil, err
	}
	up := expression.Set(expression.Name(attrVersion), expression.Plus(
		expression.IfNotExists(expression.Name(attrVersion), expression.Value(0)),
		expression.Value(1)))
	switch data, packed := pack(it.Data); {
	case packed:
		up = up.Set(expression.Name(attrPacked), expression.Value(data)).Remove(expression.Name(attrData))
	case len(data) > 0:
		up = up.Set(expression.Name(attrData), expression.Value(data)).Remove(expression.Name(attrPacked))
	default:
		up = up.Remove(expression.Name(attrData)).Remove(expression.Name(attrPacked))
	}
	if !it.ExpiresAt.IsZero() {
		up = up.Set(expression.Name(attrTTL), expression.Value(ceilSeconds(it.ExpiresAt)))
	} else {
		up = up.Remove(expression.Name(attrTTL))
	}
	b := expression.NewBuilder().WithUpdate(up)
	if cond, ok := condition(c, now); ok {
		b = b.WithCondition(cond)
	}
	expr, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("build update expression: %w", err)
	}
	return &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key,
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}, nil
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, pk, sk string, c store.Cond) error {
	if err := store.ValidateDelete(pk, sk, c); err != nil {
		return fmt.Errorf("dynamodb delete: %w", err)
	}
	if c.Kind != store.Always {
		// A conditional delete is a transaction of one: the SDK's retry of
		// a DeleteItem whose first request was applied but whose answer
		// was lost finds the item gone and fails its condition, and
		// nothing left in the table tells that from another writer having
		// deleted it first (the claim of a one-time OAuth state). The
		// transaction's ClientRequestToken, which the SDK keeps across its
		// retries, makes DynamoDB answer such a retry with the first
		// request's success. It costs twice the write units of a
		// DeleteItem; conditional deletes are rare.
		err := s.transact(ctx, []store.Op{store.Delete(pk, sk, c)})
		var txErr *store.TxError
		if errors.As(err, &txErr) {
			err = store.ErrConditionFailed
		}
		if err != nil {
			return fmt.Errorf("dynamodb delete %s/%s: %w", pk, sk, err)
		}
		return nil
	}
	err := s.retryConflicts(ctx, func() error {
		in, err := s.deleteInput(pk, sk, c, time.Now())
		if err != nil {
			return err
		}
		_, err = s.client.DeleteItem(ctx, in)
		return err
	})
	if err != nil {
		return fmt.Errorf("dynamodb delete %s/%s: %w", pk, sk, mapErr(err))
	}
	return nil
}

func (s *Store) deleteInput(pk, sk string, c store.Cond, now time.Time) (*dynamodb.DeleteItemInput, error) {
	key, err := marshalKey(pk, sk)
	if err != nil {
		return nil, err
	}
	in := &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key}
	if cond, ok := condition(c, now); ok {
		expr, err := expression.NewBuilder().WithCondition(cond).Build()
		if err != nil {
			return nil, fmt.Errorf("build condition: %w", err)
		}
		in.ConditionExpression = expr.Condition()
		in.ExpressionAttributeNames = expr.Names()
		in.ExpressionAttributeValues = expr.Values()
	}
	return in, nil
}

// Transact implements store.Store with TransactWriteItems; checks become
// ConditionCheck items. The SDK fills ClientRequestToken, so its retries
// of a transaction that did commit are idempotent. A transaction cancelled
// for a conflict with another is retried (retryConflicts).
func (s *Store) Transact(ctx context.Context, ops []store.Op) error {
	if err := store.ValidateOps(ops); err != nil {
		return fmt.Errorf("dynamodb transact: %w", err)
	}
	if err := s.transact(ctx, ops); err != nil {
		return fmt.Errorf("dynamodb transact: %w", err)
	}
	return nil
}

// transact writes valid ops in one transaction.
func (s *Store) transact(ctx context.Context, ops []store.Op) error {
	err := s.retryConflicts(ctx, func() error {
		now := time.Now()
		items := make([]types.TransactWriteItem, len(ops))
		for i, op := range ops {
			var err error
			items[i], err = s.transactItem(op, now)
			if err != nil {
				return fmt.Errorf("op %d %s/%s: %w", i, op.Item.PK, op.Item.SK, err)
			}
		}
		// A new input each attempt: the SDK stores the token it generates
		// in the input, and a cancelled transaction's retry is a new
		// request.
		_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		return err
	})
	if err == nil {
		return nil
	}
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		var failed []int
		invalid := false
		for i, r := range canceled.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "ConditionalCheckFailed":
				failed = append(failed, i)
			case "ValidationError":
				invalid = true
			}
		}
		if failed != nil {
			return &store.TxError{Failed: failed}
		}
		if invalid {
			return fmt.Errorf("%w: %w", store.ErrInvalid, err)
		}
	}
	return mapErr(err)
}

func (s *Store) transactItem(op store.Op, now time.Time) (types.TransactWriteItem, error) {
	if op.Kind == store.OpPut {
		in, err := s.updateInput(op.Item, op.Cond, now)
		if err != nil {
			return types.TransactWriteItem{}, err
		}
		return types.TransactWriteItem{Update: &types.Update{
			TableName:                 in.TableName,
			Key:                       in.Key,
			UpdateExpression:          in.UpdateExpression,
			ConditionExpression:       in.ConditionExpression,
			ExpressionAttributeNames:  in.ExpressionAttributeNames,
			ExpressionAttributeValues: in.ExpressionAttributeValues,
		}}, nil
	}
	// A delete and a check (validateOps refused any other kind) carry the
	// same: the key and the condition.
	in, err := s.deleteInput(op.Item.PK, op.Item.SK, op.Cond, now)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	if op.Kind == store.OpDelete {
		return types.TransactWriteItem{Delete: &types.Delete{
			TableName:                 in.TableName,
			Key:                       in.Key,
			ConditionExpression:       in.ConditionExpression,
			ExpressionAttributeNames:  in.ExpressionAttributeNames,
			ExpressionAttributeValues: in.ExpressionAttributeValues,
		}}, nil
	}
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName:                 in.TableName,
		Key:                       in.Key,
		ConditionExpression:       in.ConditionExpression,
		ExpressionAttributeNames:  in.ExpressionAttributeNames,
		ExpressionAttributeValues: in.ExpressionAttributeValues,
	}}, nil
}

// Query implements store.Store. DynamoDB's Limit counts items read before
// the expiry filter, so one request may come back short or empty while
// live items remain; Query keeps reading until the page is full, and reads
// one live item past it so that Next is empty exactly when nothing follows.
func (s *Store) Query(ctx context.Context, q store.Query) (store.Page, error) {
	limit, err := store.PageLimit(q)
	if err != nil {
		return store.Page{}, fmt.Errorf("dynamodb query: %w", err)
	}
	in, empty, err := s.queryInput(q, time.Now())
	if err != nil {
		return store.Page{}, fmt.Errorf("dynamodb query %s/%s*: %w", q.PK, q.Prefix, err)
	}
	var page store.Page
	if empty {
		return page, nil
	}
	for {
		in.Limit = aws.Int32(int32(limit + 1 - len(page.Items)))
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return store.Page{}, fmt.Errorf("dynamodb query %s/%s*: %w", q.PK, q.Prefix, mapErr(err))
		}
		var recs []record
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &recs); err != nil {
			return store.Page{}, fmt.Errorf("dynamodb query %s/%s*: decode: %w", q.PK, q.Prefix, err)
		}
		now := time.Now()
		for _, r := range recs {
			if r.expired(now) {
				continue
			}
			if len(page.Items) == limit {
				page.Next = page.Items[limit-1].SK
				return page, nil
			}
			it, err := r.item()
			if err != nil {
				return store.Page{}, fmt.Errorf("dynamodb query %s/%s*: %w", q.PK, q.Prefix, err)
			}
			page.Items = append(page.Items, it)
		}
		if out.LastEvaluatedKey == nil {
			return page, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// queryInput builds the first request of q; empty reports that q's After
// rules out every item, so no request is needed.
func (s *Store) queryInput(q store.Query, now time.Time) (in *dynamodb.QueryInput, empty bool, err error) {
	kc := expression.Key(attrPK).Equal(expression.Value(q.PK))
	if q.Prefix != "" {
		kc = kc.And(expression.Key(attrSK).BeginsWith(q.Prefix))
	}
	live := expression.Or(
		expression.Name(attrTTL).AttributeNotExists(),
		expression.Name(attrTTL).GreaterThan(expression.Value(now.Unix())))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).WithFilter(live).Build()
	if err != nil {
		return nil, false, fmt.Errorf("build key condition: %w", err)
	}
	in = &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    expr.KeyCondition(),
		FilterExpression:          expr.Filter(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(!q.Desc),
		ConsistentRead:            aws.Bool(!q.Eventual),
	}
	if q.After == "" {
		return in, false, nil
	}
	// An After with the prefix is a position inside the range, which is
	// what ExclusiveStartKey is (it need not name an existing item). An
	// After without the prefix lies before or after every key with it, so
	// it either changes nothing or leaves nothing; DynamoDB would refuse
	// it as outside the key condition.
	switch {
	case strings.HasPrefix(q.After, q.Prefix):
		in.ExclusiveStartKey, err = marshalKey(q.PK, q.After)
		if err != nil {
			return nil, false, err
		}
	case q.After > q.Prefix:
		empty = !q.Desc
	default:
		empty = q.Desc
	}
	return in, empty, nil
}

// condition translates c into a condition expression; ok is false for
// Always. Expired items that DynamoDB has not yet deleted count as absent.
func condition(c store.Cond, now time.Time) (cond expression.ConditionBuilder, ok bool) {
	nowSec := expression.Value(now.Unix())
	ttl := expression.Name(attrTTL)
	// Expiry is "at or before now" (store.Item.Expired); with whole-second
	// ttl values, ttl <= floor(now) says exactly that.
	live := expression.Name(attrPK).AttributeExists().And(
		expression.Or(ttl.AttributeNotExists(), ttl.GreaterThan(nowSec)))
	switch c.Kind {
	case store.IfAbsent:
		return expression.Or(expression.Name(attrPK).AttributeNotExists(), ttl.LessThanEqual(nowSec)), true
	case store.IfExists:
		return live, true
	case store.IfVersion:
		return live.And(expression.Name(attrVersion).Equal(expression.Value(c.Version))), true
	}
	return expression.ConditionBuilder{}, false
}

func marshalKey(pk, sk string) (map[string]types.AttributeValue, error) {
	key, err := attributevalue.MarshalMap(itemKey{PK: pk, SK: sk})
	if err != nil {
		return nil, fmt.Errorf("marshal key: %w", err)
	}
	return key, nil
}

// mapErr translates DynamoDB's errors into the port's.
func mapErr(err error) error {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return store.ErrConditionFailed
	}
	// smithy.APIError, matched by method so this package needs no direct
	// dependency on smithy-go.
	var api interface{ ErrorCode() string }
	if errors.As(err, &api) && api.ErrorCode() == "ValidationException" {
		return fmt.Errorf("%w: %w", store.ErrInvalid, err)
	}
	return err
}

// ceilSeconds rounds an expiry up to whole epoch seconds, the precision of
// the ttl attribute: an item never disappears before the caller asked.
func ceilSeconds(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}
