package cart

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// loopServer answers with statuses in turn (the last one repeats).
func loopServer(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		w.WriteHeader(statuses[min(i, len(statuses)-1)])
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

// testCall classifies 2xx as success, 429 as throttled (Retry-After), 5xx as
// temporary and anything else as a final *Error.
func testCall(url string) Call[int] {
	return Call[int]{
		Build: func(ctx context.Context, _ Attempt) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		},
		Classify: func(r *Response) (int, error) {
			switch {
			case r.Status < 300:
				return r.Status, nil
			case r.Status == http.StatusTooManyRequests:
				return 0, &Throttled{After: RetryAfter(r.Header.Get("Retry-After"), r.Received, time.Hour)}
			case r.Status >= 500:
				return 0, &Temporary{Status: r.Status, Message: "unavailable"}
			}
			return 0, &Error{Status: r.Status, Message: "refused"}
		},
	}
}

func testLoop(ts *httptest.Server, slept *[]time.Duration) *Loop {
	return &Loop{
		Cart: "Test", Client: ts.Client(),
		Retry: Retry{Attempts: 3, BaseBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
			AttemptTimeout: 5 * time.Second, MinThrottleWait: 10 * time.Millisecond, MaxThrottleWait: 40 * time.Millisecond},
		Sleep: func(ctx context.Context, d time.Duration) error { *slept = append(*slept, d); return nil },
	}
}

func TestDo(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int
		once      bool
		wantCalls int32
		wantSleep int
		check     func(t *testing.T, v int, err error)
	}{
		{"success", []int{200}, false, 1, 0, func(t *testing.T, v int, err error) {
			if err != nil || v != 200 {
				t.Errorf("got %d, %v", v, err)
			}
		}},
		{"temporary then success", []int{503, 502, 201}, false, 3, 2, func(t *testing.T, v int, err error) {
			if err != nil || v != 201 {
				t.Errorf("got %d, %v", v, err)
			}
		}},
		{"attempts spent", []int{503}, false, 3, 2, func(t *testing.T, v int, err error) {
			var ce *Error
			if !errors.As(err, &ce) || ce.Status != 503 || !ce.Temporary {
				t.Errorf("got %v, want a temporary *Error of status 503", err)
			}
		}},
		{"once is not retried", []int{503, 200}, true, 1, 0, func(t *testing.T, v int, err error) {
			var ce *Error
			if !errors.As(err, &ce) || !ce.Temporary {
				t.Errorf("got %v, want a temporary *Error", err)
			}
		}},
		{"throttled then success", []int{429, 429, 200}, false, 3, 2, func(t *testing.T, v int, err error) {
			if err != nil || v != 200 {
				t.Errorf("got %d, %v", v, err)
			}
		}},
		{"final error", []int{404, 200}, false, 1, 0, func(t *testing.T, v int, err error) {
			var ce *Error
			if !errors.As(err, &ce) || ce.Status != 404 || ce.Temporary {
				t.Errorf("got %v, want a final *Error of status 404", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, calls := loopServer(t, tt.statuses...)
			var slept []time.Duration
			c := testCall(ts.URL)
			c.Once = tt.once
			v, err := Do(t.Context(), testLoop(ts, &slept), c)
			tt.check(t, v, err)
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("%d requests, want %d", got, tt.wantCalls)
			}
			if len(slept) != tt.wantSleep {
				t.Errorf("slept %v, want %d waits", slept, tt.wantSleep)
			}
		})
	}
}

// A throttle wait doubles per throttle in a row, and the cart's own
// Retry-After wins when longer.
func TestDoThrottleWaits(t *testing.T) {
	ts, _ := loopServer(t, 429, 429, 429, 200)
	var slept []time.Duration
	if _, err := Do(t.Context(), testLoop(ts, &slept), testCall(ts.URL)); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}
	if len(slept) != len(want) {
		t.Fatalf("slept %v, want %v", slept, want)
	}
	for i := range want {
		if slept[i] != want[i] {
			t.Errorf("wait %d = %v, want %v", i, slept[i], want[i])
		}
	}
}

// A rate-limit wait that would outlast the deadline returns
// *RateLimitedError at once, without sleeping.
func TestDoRateLimitedPastDeadline(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer ts.Close()
	var slept []time.Duration
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err := Do(ctx, testLoop(ts, &slept), testCall(ts.URL))
	var rl *RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Minute {
		t.Fatalf("got %v, want *RateLimitedError after 2m", err)
	}
	if len(slept) != 0 {
		t.Errorf("slept %v", slept)
	}
}

// A backoff past the deadline ends with the temporary failure itself.
func TestDoBackoffPastDeadline(t *testing.T) {
	ts, calls := loopServer(t, 503)
	var slept []time.Duration
	l := testLoop(ts, &slept)
	l.Retry.BaseBackoff, l.Retry.MaxBackoff = time.Minute, time.Minute
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := Do(ctx, l, testCall(ts.URL))
	var ce *Error
	if !errors.As(err, &ce) || !ce.Temporary || calls.Load() != 1 {
		t.Fatalf("got %v after %d requests, want the temporary *Error after 1", err, calls.Load())
	}
}

// Recover may send the request again; a pacer that refuses ends the call;
// a response past MaxResponse is a final error.
func TestDoHooks(t *testing.T) {
	ts, calls := loopServer(t, 401, 200)
	var slept []time.Duration
	c := testCall(ts.URL)
	recovered := 0
	c.Recover = func(ctx context.Context, err error) (bool, error) {
		recovered++
		return recovered == 1, err
	}
	if v, err := Do(t.Context(), testLoop(ts, &slept), c); err != nil || v != 200 || recovered != 1 || calls.Load() != 2 {
		t.Errorf("recover: got %d, %v, %d recoveries, %d requests", v, err, recovered, calls.Load())
	}

	stop := errors.New("stop")
	c = testCall(ts.URL)
	c.Pacer = PacerFunc(func(context.Context) error { return stop })
	if _, err := Do(t.Context(), testLoop(ts, &slept), c); !errors.Is(err, stop) {
		t.Errorf("pacer: got %v", err)
	}

	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 100))
	}))
	defer big.Close()
	l := testLoop(big, &slept)
	l.MaxResponse = 99
	var ce *Error
	if _, err := Do(t.Context(), l, testCall(big.URL)); !errors.As(err, &ce) || ce.Message != "Test sent a response too large to read" {
		t.Errorf("too large: got %v", err)
	}
}

// Pace gives a turn back when its wait would outlast the deadline.
func TestPacePastDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	released := false
	err := (&Loop{}).Pace(ctx, time.Hour, func() { released = true })
	var rl *RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Hour || !released {
		t.Errorf("got %v, released %v", err, released)
	}
}

func TestNewRequest(t *testing.T) {
	req, err := NewRequest(t.Context(), http.MethodPut, "https://shop.example/api", map[string][]string{"a": {"1 2"}}, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if req.URL.String() != "https://shop.example/api?a=1+2" || req.Method != http.MethodPut || req.ContentLength != 2 {
		t.Errorf("got %s %s (%d bytes)", req.Method, req.URL, req.ContentLength)
	}
	req, err = NewRequest(t.Context(), http.MethodGet, "https://shop.example/api", nil, nil)
	if err != nil || req.URL.RawQuery != "" || req.Body != nil {
		t.Errorf("got %v, %v", req, err)
	}
}
