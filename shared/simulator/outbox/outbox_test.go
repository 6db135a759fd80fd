package outbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/autosync/autosync/shared/testkit"
)

// arrival is one request the receiver got.
type arrival struct {
	id   string // X-Test-Id
	body string
}

// receiver is a webhook endpoint answering status(n) to its n-th request
// (from 1); nil answers 200.
type receiver struct {
	url string
	ch  chan arrival
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	t.Helper()
	rc := &receiver{ch: make(chan arrival, 100)}
	var mu sync.Mutex
	n := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		n++
		code := http.StatusOK
		if status != nil {
			code = status(n)
		}
		mu.Unlock()
		rc.ch <- arrival{id: r.Header.Get("X-Test-Id"), body: string(b)}
		w.WriteHeader(code)
	}))
	t.Cleanup(ts.Close)
	rc.url = ts.URL
	return rc
}

func (rc *receiver) next(t *testing.T) arrival {
	t.Helper()
	select {
	case a := <-rc.ch:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery arrived")
		return arrival{}
	}
}

// settled is one Cart.Settle call.
type settled struct {
	id               string
	attempt          int
	delivered, final bool
}

// fakeCart sends every job to url with its ID in X-Test-Id; gone
// subscriptions do not deliver. Its copy of a job gets ID+"-copy".
type fakeCart struct {
	url string

	mu      sync.Mutex
	gone    map[string]bool
	settled []settled
}

func (c *fakeCart) Prepare(j *Job) (string, http.Header, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gone[j.Subscription] {
		return "", nil, false
	}
	h := http.Header{}
	h.Set("X-Test-Id", j.ID)
	return c.url, h, true
}

func (c *fakeCart) Settle(j *Job, delivered, final bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settled = append(c.settled, settled{j.ID, j.Attempt(), delivered, final})
}

func (c *fakeCart) CopyOf(j *Job) *Job {
	d := *j
	d.ID += "-copy"
	return &d
}

func (c *fakeCart) settles() []settled {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.settled)
}

func start(t *testing.T, status func(n int) int, cfg Config) (*Outbox, *fakeCart, *receiver) {
	t.Helper()
	rc := newReceiver(t, status)
	c := &fakeCart{url: rc.url, gone: map[string]bool{}}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	o := New(c, cfg)
	t.Cleanup(o.Close)
	return o, c, rc
}

func job(id string) *Job {
	return &Job{Subscription: "sub", Topic: "orders/create", ResourceID: id, ID: id, Body: []byte("body " + id)}
}

func drain(t *testing.T, o *Outbox) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := o.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
}

// ids lists the ids of the arrivals waiting in rc.
func ids(rc *receiver) []string {
	var out []string
	for {
		select {
		case a := <-rc.ch:
			out = append(out, a.id)
		default:
			return out
		}
	}
}

func TestDeliversInOrder(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	o, c, rc := start(t, nil, Config{Now: func() time.Time { return at }})
	o.Enqueue(job("a"), job("b"))
	o.Enqueue(job("c"))
	o.Enqueue() // nothing
	drain(t, o)
	if got := ids(rc); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("arrived %v", got)
	}
	ds := o.Deliveries()
	if len(ds) != 3 {
		t.Fatalf("deliveries %+v", ds)
	}
	for i, d := range ds {
		id := string(rune('a' + i))
		if d.ID != id || d.ResourceID != id || d.Topic != "orders/create" || d.Subscription != "sub" || d.URL != rc.url ||
			d.Attempt != 1 || !d.Delivered || d.Status != 200 || d.Err != "" || d.Duplicate || d.Ping ||
			string(d.Body) != "body "+id || d.Header.Get("X-Test-Id") != id || !d.At.Equal(at) {
			t.Errorf("delivery %d: %+v", i, d)
		}
	}
	if s := c.settles(); len(s) != 3 || s[0] != (settled{"a", 1, true, true}) {
		t.Errorf("settled %+v", s)
	}
	// Deliveries hands out copies.
	ds[0].Body[0], ds[0].Header["X-Test-Id"][0] = 'X', "X"
	if d := o.Deliveries()[0]; string(d.Body) != "body a" || d.Header.Get("X-Test-Id") != "a" {
		t.Errorf("Deliveries shares its log: %+v", d)
	}
}

func TestRetries(t *testing.T) {
	o, c, rc := start(t, func(n int) int {
		if n <= 2 {
			return http.StatusBadGateway
		}
		return http.StatusOK
	}, Config{Retries: []int{1, 2, 3}, Unit: time.Millisecond})
	o.Enqueue(job("a"))
	drain(t, o)
	if got := ids(rc); !slices.Equal(got, []string{"a", "a", "a"}) {
		t.Errorf("arrived %v", got)
	}
	want := []settled{{"a", 1, false, false}, {"a", 2, false, false}, {"a", 3, true, true}}
	if s := c.settles(); !slices.Equal(s, want) {
		t.Errorf("settled %+v, want %+v", s, want)
	}
	ds := o.Deliveries()
	if len(ds) != 3 || ds[0].Status != 502 || ds[0].Delivered || ds[2].Attempt != 3 || !ds[2].Delivered {
		t.Errorf("deliveries %+v", ds)
	}
}

func TestRetriesRunOut(t *testing.T) {
	o, c, _ := start(t, func(int) int { return http.StatusInternalServerError },
		Config{Retries: []int{1, 1}, Unit: time.Millisecond})
	o.Enqueue(job("a"))
	drain(t, o)
	want := []settled{{"a", 1, false, false}, {"a", 2, false, false}, {"a", 3, false, true}}
	if s := c.settles(); !slices.Equal(s, want) {
		t.Errorf("settled %+v, want %+v", s, want)
	}
}

func TestNoRetries(t *testing.T) {
	o, c, _ := start(t, func(int) int { return http.StatusInternalServerError }, Config{})
	o.Enqueue(job("a"))
	drain(t, o)
	if s := c.settles(); !slices.Equal(s, []settled{{"a", 1, false, true}}) {
		t.Errorf("settled %+v", s)
	}
}

func TestSuccess(t *testing.T) {
	found := func(int) int { return http.StatusFound }
	o, _, _ := start(t, found, Config{})
	o.Enqueue(job("a"))
	drain(t, o)
	if d := o.Deliveries()[0]; d.Delivered || d.Status != http.StatusFound {
		t.Errorf("default success took %+v", d)
	}
	o, _, _ = start(t, found, Config{Success: func(status int) bool { return status >= 200 && status < 303 }})
	o.Enqueue(job("a"))
	drain(t, o)
	if d := o.Deliveries()[0]; !d.Delivered || d.Status != http.StatusFound {
		t.Errorf("Config.Success ignored: %+v", d)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(release) })
	c := &fakeCart{url: ts.URL}
	o := New(c, Config{Timeout: 50 * time.Millisecond})
	t.Cleanup(o.Close)
	o.Enqueue(job("a"))
	drain(t, o)
	if d := o.Deliveries()[0]; d.Delivered || d.Status != 0 || d.Err == "" {
		t.Errorf("delivery %+v", d)
	}
}

func TestGoneSubscription(t *testing.T) {
	o, c, rc := start(t, nil, Config{})
	c.gone["gone"] = true
	j := job("a")
	j.Subscription = "gone"
	o.Enqueue(j, job("b"))
	drain(t, o)
	if got := ids(rc); !slices.Equal(got, []string{"b"}) {
		t.Errorf("arrived %v", got)
	}
	if n := len(o.Deliveries()); n != 1 {
		t.Errorf("%d deliveries", n)
	}
}

func TestFaultDuplicate(t *testing.T) {
	o, _, rc := start(t, nil, Config{})
	o.SetFaults(Faults{Duplicate: 1})
	o.Enqueue(job("a"), job("b"))
	drain(t, o)
	if got := ids(rc); !slices.Equal(got, []string{"a", "a-copy", "b"}) {
		t.Errorf("arrived %v", got)
	}
	ds := o.Deliveries()
	if len(ds) != 3 || ds[0].Duplicate || !ds[1].Duplicate || ds[1].Attempt != 1 || ds[1].ResourceID != "a" || ds[2].Duplicate {
		t.Errorf("deliveries %+v", ds)
	}
}

func TestFaultOutOfOrder(t *testing.T) {
	o, _, rc := start(t, nil, Config{})
	o.SetFaults(Faults{OutOfOrder: 1})
	o.Enqueue(job("a"), job("b"), job("c"))
	drain(t, o)
	if got := ids(rc); !slices.Equal(got, []string{"b", "a", "c"}) {
		t.Errorf("arrived %v", got)
	}
}

func TestFaultOutOfOrderNothingFollows(t *testing.T) {
	t.Run("drain releases", func(t *testing.T) {
		o, _, rc := start(t, nil, Config{Unit: time.Hour})
		o.SetFaults(Faults{OutOfOrder: 1})
		o.Enqueue(job("a"))
		drain(t, o)
		if got := ids(rc); !slices.Equal(got, []string{"a"}) {
			t.Errorf("arrived %v", got)
		}
	})
	t.Run("held a second at least", func(t *testing.T) {
		// In a bubble, delivering in memory: the hold is measured on the
		// bubble's clock, exactly, and takes no real time.
		synctest.Test(t, func(t *testing.T) {
			arrived := make(chan string, 1)
			o := New(&fakeCart{url: "http://receiver.test/hook"}, Config{Unit: time.Millisecond, Timeout: 5 * time.Second})
			defer o.Close()
			o.client.Transport = testkit.Transport{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				arrived <- r.Header.Get("X-Test-Id")
			})}
			o.SetFaults(Faults{OutOfOrder: 1})
			begin := time.Now()
			o.Enqueue(job("a"))
			if id := <-arrived; id != "a" {
				t.Errorf("arrived %s", id)
			}
			if held := time.Since(begin); held != time.Second {
				t.Errorf("held %v; want the second an out-of-order delivery waits for a follower", held)
			}
		})
	})
}

func TestFaultFailFirst(t *testing.T) {
	t.Run("retried", func(t *testing.T) {
		o, c, rc := start(t, nil, Config{Retries: []int{1}, Unit: time.Millisecond})
		o.SetFaults(Faults{FailFirst: 1})
		o.Enqueue(job("a"))
		drain(t, o)
		if got := ids(rc); !slices.Equal(got, []string{"a", "a"}) {
			t.Errorf("arrived %v", got)
		}
		ds := o.Deliveries()
		if len(ds) != 2 || ds[0].Delivered || ds[0].Status != 200 || !strings.Contains(ds[0].Err, "timed out") || !ds[1].Delivered {
			t.Errorf("deliveries %+v", ds)
		}
		if s := c.settles(); !slices.Equal(s, []settled{{"a", 1, false, false}, {"a", 2, true, true}}) {
			t.Errorf("settled %+v", s)
		}
	})
	t.Run("no retries", func(t *testing.T) {
		o, c, _ := start(t, nil, Config{})
		o.SetFaults(Faults{FailFirst: 1})
		o.Enqueue(job("a"), job("b"))
		drain(t, o)
		if s := c.settles(); !slices.Equal(s, []settled{{"a", 1, false, true}, {"b", 1, true, true}}) {
			t.Errorf("settled %+v", s)
		}
	})
}

func TestPingTakesNoFaults(t *testing.T) {
	o, _, rc := start(t, nil, Config{})
	o.SetFaults(Faults{Duplicate: 1, FailFirst: 1})
	ping := &Job{Subscription: "sub", ID: "ping", Ping: true}
	o.Enqueue(ping, job("a"))
	drain(t, o)
	if got := ids(rc); !slices.Equal(got, []string{"ping", "a", "a-copy"}) {
		t.Errorf("arrived %v", got)
	}
	ds := o.Deliveries()
	if len(ds) != 3 || !ds[0].Ping || !ds[0].Delivered || ds[1].Ping || ds[1].Delivered || !ds[2].Duplicate {
		t.Errorf("deliveries %+v", ds)
	}
}

func TestPingDoesNotReleaseHeld(t *testing.T) {
	o, _, rc := start(t, nil, Config{Unit: time.Hour})
	o.SetFaults(Faults{OutOfOrder: 1})
	o.Enqueue(job("a"))
	o.Enqueue(&Job{Subscription: "sub", ID: "ping", Ping: true})
	if a := rc.next(t); a.id != "ping" {
		t.Errorf("first arrival %s, want the ping", a.id)
	}
	o.Enqueue(job("b"))
	drain(t, o)
	if got := ids(rc); !slices.Equal(got, []string{"b", "a"}) {
		t.Errorf("then %v", got)
	}
}

func TestDeliveryLogIsBounded(t *testing.T) {
	o := New(&fakeCart{}, Config{})
	defer o.Close()
	o.mu.Lock()
	for i := range MaxDeliveryLog {
		o.log = append(o.log, Delivery{ID: fmt.Sprint(i)})
	}
	o.mu.Unlock()
	rc := newReceiver(t, nil)
	o.cart.(*fakeCart).url = rc.url
	o.Enqueue(job("last"))
	drain(t, o)
	ds := o.Deliveries()
	if len(ds) != MaxDeliveryLog || ds[0].ID != "1" || ds[len(ds)-1].ID != "last" {
		t.Errorf("%d deliveries, from %s to %s", len(ds), ds[0].ID, ds[len(ds)-1].ID)
	}
}

func TestDrainWaitsForCtx(t *testing.T) {
	o, _, _ := start(t, func(int) int { return http.StatusBadGateway }, Config{Retries: []int{1}, Unit: time.Hour})
	o.Enqueue(job("a"))
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := o.Drain(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Drain with a retry an hour away: %v", err)
	}
}

func TestClose(t *testing.T) {
	o, _, rc := start(t, func(int) int { return http.StatusBadGateway }, Config{Retries: []int{2}, Unit: time.Hour})
	o.Enqueue(job("a"))
	rc.next(t) // the first try; the retry would wait 2 hours
	done := make(chan struct{})
	go func() { o.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waits for a pending retry")
	}
	testkit.NoGoroutine(t, "outbox.(*Outbox).")
	o.Enqueue(job("b"))
	if err := o.Drain(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("Drain after Close: %v", err)
	}
	if len(rc.ch) != 0 {
		t.Error("delivered after Close")
	}
	o.Close() // twice is fine
}

func TestNothingRunsUntilEnqueue(t *testing.T) {
	o := New(&fakeCart{}, Config{})
	testkit.NoGoroutine(t, "outbox.(*Outbox).")
	if err := o.Drain(t.Context()); err != nil {
		t.Errorf("Drain of an idle outbox: %v", err)
	}
	o.Close()
}

func TestConcurrentEnqueue(t *testing.T) {
	o, _, rc := start(t, nil, Config{})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() { o.Enqueue(job(fmt.Sprint(i))) })
	}
	wg.Wait()
	drain(t, o)
	got := ids(rc)
	slices.Sort(got)
	if len(got) != 20 || len(slices.Compact(got)) != 20 {
		t.Errorf("arrived %v", got)
	}
}
