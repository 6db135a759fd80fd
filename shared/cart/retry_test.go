package cart

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
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

func TestBackoff(t *testing.T) {
	base, limit := 100*time.Millisecond, time.Second
	for n, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second} {
		for range 50 {
			if got := Backoff(n, base, limit); got < want/2 || got > want {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", n, got, want/2, want)
			}
		}
	}
	if Jitter(0) != 0 || Jitter(-time.Second) != 0 {
		t.Error("Jitter of nothing")
	}
}

func TestTransportError(t *testing.T) {
	timeout := &url.Error{Op: "Get", URL: "https://shop.example/secret?token=x", Err: context.DeadlineExceeded}
	var tmp *Temporary
	if err := TransportError(context.Background(), timeout, "Etsy"); !errors.As(err, &tmp) || tmp.Message != "Etsy did not answer in time" {
		t.Fatalf("timeout: %v", err)
	}
	if strings.Contains(tmp.CartError().Error(), "token") {
		t.Error("the URL reached the merchant's message")
	}
	if ce := tmp.CartError(); !ce.Temporary || !errors.Is(ce, context.DeadlineExceeded) {
		t.Errorf("CartError %+v", ce)
	}
	if err := TransportError(context.Background(), io.ErrUnexpectedEOF, "Etsy"); !errors.As(err, &tmp) || tmp.Message != "the connection to Etsy was interrupted" {
		t.Fatalf("dropped: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := TransportError(ctx, io.ErrUnexpectedEOF, "Etsy"); !errors.Is(err, context.Canceled) {
		t.Fatalf("caller gave up: %v", err)
	}
}

func TestRetryThrottleWait(t *testing.T) {
	r := Retry{MinThrottleWait: time.Second, MaxThrottleWait: 10 * time.Second}
	for n, want := range map[int]time.Duration{-1: time.Second, 0: time.Second, 1: 2 * time.Second, 3: 8 * time.Second, 4: 10 * time.Second, 100: 10 * time.Second} {
		if got := r.ThrottleWait(n); got != want {
			t.Errorf("ThrottleWait(%d) = %v, want %v", n, got, want)
		}
	}
}
