package cart

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := Sleep(ctx, time.Hour, time.Now()); !errors.Is(err, ErrPastDeadline) {
		t.Fatalf("a wait past the deadline: %v", err)
	}
	var rl *RateLimitedError
	if err := RateLimited(ErrPastDeadline, time.Minute); !errors.As(err, &rl) || rl.RetryAfter != time.Minute {
		t.Fatalf("RateLimited: %v", err)
	}
	if err := RateLimited(context.Canceled, time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("other errors must pass through: %v", err)
	}
	if err := Sleep(ctx, time.Millisecond, time.Now()); err != nil {
		t.Fatalf("a short wait: %v", err)
	}
	cancel()
	if err := Sleep(ctx, 0, time.Now()); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled context: %v", err)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"": 0, "x": 0, "-3": 0, "NaN": 0, "2": 2 * time.Second, "1.5": 1500 * time.Millisecond,
		"99999999": time.Hour, "Thu, 01 Jan 2026 00:00:30 GMT": 30 * time.Second,
	} {
		if got := RetryAfter(h, now, time.Hour); got != want {
			t.Errorf("RetryAfter(%q) = %v, want %v", h, got, want)
		}
	}
}
