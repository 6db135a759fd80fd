package woocommercesim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// The outbox delivers webhooks: jobs queue in event order, one dispatcher
// goroutine sends each one's first attempt in turn, and a failed delivery
// waits for its retries in a goroutine of its own, so one failing endpoint
// does not hold up the others. Nothing runs until the first delivery is
// queued; Close stops everything. The cart's own rules (what a delivery
// looks like, what a failure does to the subscription) are the outboxCart's.

// WebhookFaults are delivery faults to inject into the next deliveries.
// Each count is consumed by one delivery (one event for one subscription).
type WebhookFaults struct {
	// Duplicate sends each of the next N deliveries twice: the copy is
	// the same request again (same X-WC-Webhook-Delivery-ID), as a
	// delivery repeated on the way would be.
	Duplicate int
	// OutOfOrder holds the next delivery back and sends it right after
	// the one that follows it (or, if none follows, after a minute's worth
	// of WebhookDelayUnit, at least a second).
	OutOfOrder int
	// FailFirst makes each of the next N deliveries fail as a timeout
	// does: the request is sent, but its answer is taken to have come too
	// late. WooCommerce does not retry; the failure counts toward
	// disabling the webhook.
	FailFirst int
}

// Delivery is one attempt to deliver a webhook, as the simulator sent it.
type Delivery struct {
	// Subscription is the id of the webhook subscription delivered to.
	Subscription string
	URL          string
	// Topic is the webhook's topic ("order.created"); empty for a ping.
	Topic string
	// ResourceID is the id of the order or product; empty for a ping.
	ResourceID string
	// ID is the delivery's X-WC-Webhook-Delivery-ID; EventID is unused
	// (WooCommerce has no event id).
	ID, EventID string
	// Ping marks the ping WooCommerce sends when a webhook is created.
	Ping bool
	// Attempt is 1 for a delivery's first try, 2 for its first retry...
	Attempt int
	// Duplicate marks the copy the Duplicate fault sent.
	Duplicate bool
	Header    http.Header
	Body      []byte
	// Status is the receiver's HTTP status; 0 when no answer came.
	Status int
	// Err says why the attempt failed without an answer, or that the
	// FailFirst fault discarded the answer.
	Err string
	// Delivered says the cart counted the attempt a success.
	Delivered bool
	At        time.Time
}

// maxDeliveryLog bounds the deliveries kept for Deliveries.
const maxDeliveryLog = 10_000

// job is one event to deliver to one subscription.
type job struct {
	sub      string // subscription id
	topic    string
	resource string
	id       string // delivery id, stable across retries
	event    string // event id, shared by copies
	at       time.Time
	body     []byte
	dup      bool
	twice    bool // send a copy right after the first attempt (Duplicate)
	ping     bool // the creation ping: no faults, no failure counted
	// failFirst discards the answer to the first attempt (FailFirst).
	failFirst bool
	attempt   int
}

// outboxCart is what the outbox needs of the cart it delivers for.
type outboxCart interface {
	// prepare returns where and with which headers to send attempt
	// j.attempt, or ok false when the subscription no longer delivers.
	prepare(j *job) (url string, h http.Header, ok bool)
	// settle records an attempt's outcome; final says no retry follows.
	settle(j *job, delivered, final bool)
	// copyOf makes the copy of j the Duplicate fault sends, from j as
	// its first attempt was prepared.
	copyOf(j *job) *job
}

type outbox struct {
	cart outboxCart
	// retries are the delays before each retry, in delay units; their
	// number is the cart's retries.
	retries []int
	unit    time.Duration
	timeout time.Duration
	now     func() time.Time
	success func(status int) bool

	transport *http.Transport
	client    *http.Client

	mu      sync.Mutex
	queue   []*job // queued, faults not yet applied
	ready   []*job // to send next, in order
	held    *job   // OutOfOrder
	heldAt  time.Time
	faults  WebhookFaults
	log     []Delivery
	pending int           // jobs not yet finished
	idle    chan struct{} // closed while pending == 0
	wake    chan struct{}
	started bool
	closed  bool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

func newOutbox(cart outboxCart, retries []int, unit, timeout, connect time.Duration, now func() time.Time, success func(int) bool) *outbox {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil // deliveries go to the subscription's address and nowhere else
	t.DialContext = (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext
	o := &outbox{
		cart: cart, retries: retries, unit: unit, timeout: timeout, now: now, success: success,
		transport: t,
		client: &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect is an answer, never followed
		}},
		idle: make(chan struct{}),
		wake: make(chan struct{}, 1),
	}
	close(o.idle)
	o.ctx, o.cancel = context.WithCancel(context.Background())
	return o
}

func (o *outbox) setFaults(f WebhookFaults) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.faults = f
}

func (o *outbox) deliveries() []Delivery {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Delivery, len(o.log))
	for i, d := range o.log {
		d.Header = d.Header.Clone()
		d.Body = slices.Clone(d.Body)
		out[i] = d
	}
	return out
}

// enqueue queues jobs and starts the dispatcher if it is not running.
func (o *outbox) enqueue(jobs ...*job) {
	if len(jobs) == 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	o.queue = append(o.queue, jobs...)
	o.addPending(len(jobs))
	if !o.started {
		o.started = true
		o.wg.Add(1)
		go o.dispatch()
	}
	o.signal()
}

func (o *outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// addPending moves the pending count; the caller holds o.mu.
func (o *outbox) addPending(n int) {
	if o.pending == 0 && n > 0 {
		o.idle = make(chan struct{})
	}
	o.pending += n
	if o.pending == 0 && n < 0 {
		close(o.idle)
	}
}

func (o *outbox) done() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.addPending(-1)
}

// holdFor is how long an OutOfOrder delivery waits for one to follow it.
func (o *outbox) holdFor() time.Duration { return max(60*o.unit, time.Second) }

// next returns the next job to send; false when the outbox is closed.
func (o *outbox) next() (*job, bool) {
	for {
		o.mu.Lock()
		if o.closed {
			o.mu.Unlock()
			return nil, false
		}
		if len(o.ready) > 0 {
			j := o.ready[0]
			o.ready = o.ready[1:]
			o.mu.Unlock()
			return j, true
		}
		if len(o.queue) > 0 {
			j := o.queue[0]
			o.queue = o.queue[1:]
			if j.ping {
				o.ready = append(o.ready, j)
				o.mu.Unlock()
				continue
			}
			if o.faults.OutOfOrder > 0 && o.held == nil {
				o.faults.OutOfOrder--
				o.held, o.heldAt = j, time.Now()
				o.mu.Unlock()
				continue
			}
			o.ready = append(o.ready, j)
			if o.faults.FailFirst > 0 {
				o.faults.FailFirst--
				j.failFirst = true
			}
			if o.faults.Duplicate > 0 {
				o.faults.Duplicate--
				j.twice = true
			}
			if o.held != nil {
				o.ready = append(o.ready, o.held)
				o.held = nil
			}
			o.mu.Unlock()
			continue
		}
		var expire <-chan time.Time
		var timer *time.Timer
		if o.held != nil {
			timer = time.NewTimer(time.Until(o.heldAt.Add(o.holdFor())))
			expire = timer.C
		}
		o.mu.Unlock()
		select {
		case <-o.wake:
		case <-expire:
			o.release()
		case <-o.ctx.Done():
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// release sends a held delivery that nothing followed.
func (o *outbox) release() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.held != nil {
		o.ready = append(o.ready, o.held)
		o.held = nil
		o.signal()
	}
}

func (o *outbox) dispatch() {
	defer o.wg.Done()
	for {
		j, ok := o.next()
		if !ok {
			return
		}
		o.send(j)
	}
}

// send makes one attempt and arranges the retry, if the cart retries.
func (o *outbox) send(j *job) {
	j.attempt++
	url, h, ok := o.cart.prepare(j)
	if !ok {
		o.done() // the subscription is gone or no longer delivers
		return
	}
	if j.twice && j.attempt == 1 {
		// The copy goes next, before anything else that is ready.
		c := o.cart.copyOf(j)
		o.mu.Lock()
		o.ready = append([]*job{c}, o.ready...)
		o.addPending(1)
		o.mu.Unlock()
	}
	at := o.now()
	status, err := o.post(url, h, j.body)
	d := Delivery{
		Subscription: j.sub, URL: url, Topic: j.topic, ResourceID: j.resource, ID: j.id, EventID: j.event,
		Attempt: j.attempt, Duplicate: j.dup, Ping: j.ping, Header: h, Body: j.body, Status: status, At: at,
		Delivered: err == nil && o.success(status),
	}
	if err != nil {
		d.Err = err.Error()
	}
	if j.failFirst && j.attempt == 1 {
		d.Delivered, d.Err = false, "timed out (WebhookFaults.FailFirst)"
	}
	final := d.Delivered || j.attempt > len(o.retries)
	o.mu.Lock()
	if o.ctx.Err() != nil {
		o.mu.Unlock()
		return // closed during the attempt
	}
	o.log = append(o.log, d)
	if len(o.log) > maxDeliveryLog {
		o.log = slices.Delete(o.log, 0, len(o.log)-maxDeliveryLog)
	}
	o.mu.Unlock()
	o.cart.settle(j, d.Delivered, final)
	if final {
		o.done()
		return
	}
	wait := time.Duration(o.retries[j.attempt-1]) * o.unit
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
			o.send(j)
		case <-o.ctx.Done():
		}
	}()
}

var errClosed = errors.New("webhook delivery stopped")

// post sends one attempt and returns the receiver's status.
func (o *outbox) post(url string, h http.Header, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(o.ctx, o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = h.Clone()
	resp, err := o.client.Do(req)
	if err != nil {
		if o.ctx.Err() != nil {
			return 0, errClosed
		}
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

// drain waits until nothing is queued, held, in flight or awaiting a
// retry. A held OutOfOrder delivery is released, as nothing follows it.
func (o *outbox) drain(ctx context.Context) error {
	if o.ctx.Err() != nil {
		return errClosed
	}
	o.release()
	o.mu.Lock()
	idle := o.idle
	o.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-o.ctx.Done():
		return errClosed
	}
}

// close stops the dispatcher and every retry, and waits for them.
func (o *outbox) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	o.cancel()
	o.wg.Wait()
	o.transport.CloseIdleConnections()
}
