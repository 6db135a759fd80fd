// Package webhooktest is a webhook endpoint for tests: it records what the
// cart simulators deliver, answers as a test asks, and waits for it.
package webhooktest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Arrival is one request the receiver got.
type Arrival struct {
	Header http.Header
	Body   []byte
}

// Options shape a receiver; the zero value answers every delivery 200.
type Options struct {
	// Path is appended to the server's URL (e.g. "/webhooks/shopify/ch1").
	Path string
	// Status picks the answer to the nth delivery (from 1); nil is 200.
	Status func(n int) int
	// IsPing tells a cart's verification ping from a delivery: pings are
	// kept apart, answered 200 and not counted.
	IsPing func(r *http.Request) bool
}

// Receiver is a webhook endpoint on 127.0.0.1, closed when the test ends.
type Receiver struct {
	URL      string
	arrivals chan Arrival
	pings    chan Arrival
	mu       sync.Mutex
	n        int
}

// wait bounds a wait for an arrival: long enough for any delivery, short
// enough that a missing one fails the test instead of hanging it.
const wait = 10 * time.Second

// NewReceiver starts a receiver.
func NewReceiver(t testing.TB, o Options) *Receiver {
	t.Helper()
	rc := &Receiver{arrivals: make(chan Arrival, 100), pings: make(chan Arrival, 10)}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		a := Arrival{Header: r.Header.Clone(), Body: body}
		if o.IsPing != nil && o.IsPing(r) {
			select {
			case rc.pings <- a:
			default: // the first ten are kept; a cart may ping often
			}
			return
		}
		rc.mu.Lock()
		rc.n++
		n := rc.n
		rc.mu.Unlock()
		rc.arrivals <- a
		code := http.StatusOK
		if o.Status != nil {
			code = o.Status(n)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(ts.Close)
	rc.URL = ts.URL + o.Path
	return rc
}

// Next waits for the next delivery.
func (rc *Receiver) Next(t testing.TB) Arrival {
	t.Helper()
	return next(t, rc.arrivals, "no webhook arrived")
}

// NextPing waits for the next verification ping.
func (rc *Receiver) NextPing(t testing.TB) Arrival {
	t.Helper()
	return next(t, rc.pings, "no ping arrived")
}

// Pending is how many deliveries arrived that Next has not taken.
func (rc *Receiver) Pending() int { return len(rc.arrivals) }

func next(t testing.TB, ch chan Arrival, missing string) Arrival {
	t.Helper()
	select {
	case a := <-ch:
		return a
	case <-time.After(wait):
		t.Fatal(missing)
	}
	return Arrival{}
}

// Drainer is a simulator that can wait until it has nothing left to
// deliver.
type Drainer interface {
	DrainWebhooks(ctx context.Context) error
}

// Drain waits until the simulator's deliveries, retries included, are
// done.
func Drain(t testing.TB, sim Drainer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	if err := sim.DrainWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
}
