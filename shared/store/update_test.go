package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestRetry covers the loop on its own; storetest runs Update, which is
// built on it, against both adapters.
func TestRetry(t *testing.T) {
	lost := fmt.Errorf("write order: %w", ErrConditionFailed)
	other := errors.New("disk full")
	tests := []struct {
		name      string
		limit     int
		results   []error // what each attempt returns; the last repeats
		wantCalls int
		want      error
	}{
		{"first try", 5, []error{nil}, 1, nil},
		{"wins after losing", 5, []error{lost, lost, nil}, 3, nil},
		{"wins on the last retry", 2, []error{lost, lost, nil}, 3, nil},
		{"loses every time", 3, []error{lost}, 4, lost},
		{"no retries allowed", 0, []error{lost}, 1, lost},
		{"another error", 5, []error{other}, 1, other},
		{"another error after losing", 5, []error{lost, other}, 2, other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := Retry(t.Context(), tt.limit, func() error {
				calls++
				return tt.results[min(calls, len(tt.results))-1]
			})
			if err != tt.want || calls != tt.wantCalls {
				t.Fatalf("Retry = %v after %d calls; want %v after %d", err, calls, tt.want, tt.wantCalls)
			}
		})
	}
}

// TestRetryCanceled checks that a caller giving up stops the retries
// during the back-off, with the lost write as the error.
func TestRetryCanceled(t *testing.T) {
	lost := fmt.Errorf("write order: %w", ErrConditionFailed)
	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	err := Retry(ctx, 20, func() error {
		calls++
		cancel()
		return lost
	})
	if err != lost || calls != 1 {
		t.Fatalf("Retry = %v after %d calls; want the lost write after 1", err, calls)
	}
}
