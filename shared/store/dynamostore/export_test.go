package dynamostore

import (
	"context"
	"time"
)

// ConflictRetries exposes the retry bound to the tests.
const ConflictRetries = conflictRetries

// SetSleep replaces the wait between conflict retries.
func (s *Store) SetSleep(sleep func(context.Context, time.Duration) error) { s.sleep = sleep }

// Pack exposes pack, for tests that play DynamoDB returning a packed item.
func Pack(data []byte) ([]byte, bool) { return pack(data) }
