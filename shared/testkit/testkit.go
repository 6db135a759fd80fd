// Package testkit holds what tests share so that none of them waits by
// guessing: a poll for a condition with a deadline, and an HTTP transport
// that calls a handler in memory, so a simulator can serve a connector
// inside a testing/synctest bubble (where a real socket would stall the
// bubble's fake clock).
package testkit

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Patience is how long Eventually waits before failing. It is long on
// purpose: the wait ends as soon as the condition holds, so it only has to
// outlast a machine under heavy load, never a healthy run.
const Patience = 20 * time.Second

// poll is the pause between checks.
const poll = 5 * time.Millisecond

// Eventually reports whether cond held within timeout, checking it at
// once and then every few milliseconds. Inside a synctest bubble the
// pauses are the bubble's fake time.
func Eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(poll)
	}
}

// WaitFor fails t (Fatalf, so call it from the test's goroutine) unless
// cond holds within Patience; what says what was awaited.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !Eventually(Patience, cond) {
		t.Fatalf("gave up after %v waiting for %s", Patience, what)
	}
}

// NoGoroutine fails t unless, within Patience, no goroutine's stack holds
// marker (a function name such as "outbox.(*Outbox)."). A goroutine that
// has let Close return may still be on its way out, hence the wait.
func NoGoroutine(t testing.TB, marker string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	var stacks string
	if !Eventually(Patience, func() bool {
		stacks = string(buf[:runtime.Stack(buf, true)])
		return !strings.Contains(stacks, marker)
	}) {
		t.Errorf("goroutines running %s after %v:\n%s", marker, Patience, stacks)
	}
}

// Transport is an http.RoundTripper that serves each request by calling
// Handler in memory: no socket, no listener. The handler runs on its own
// goroutine so that a request whose context ends returns at once, as it
// would over a network; its response is then discarded.
type Transport struct{ Handler http.Handler }

// Client returns an *http.Client whose requests h serves in memory.
func Client(h http.Handler) *http.Client { return &http.Client{Transport: Transport{Handler: h}} }

// RoundTrip implements http.RoundTripper.
func (tr Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The server's view of the request, as net/http would build it.
	in := req.Clone(ctx)
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "127.0.0.1:1"
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	done := make(chan any, 1)
	go func() {
		defer in.Body.Close()
		defer func() { done <- recover() }()
		tr.Handler.ServeHTTP(rec, in)
	}()
	select {
	case p := <-done:
		if p == http.ErrAbortHandler {
			// A simulator dropping the connection (fault.Drop).
			return nil, fmt.Errorf("testkit: %s %s: %w", req.Method, req.URL.Path, io.ErrUnexpectedEOF)
		}
		if p != nil {
			panic(p)
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}
