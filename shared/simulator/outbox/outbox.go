// Package outbox delivers a cart simulator's webhooks: jobs queue in event
// order, one dispatcher goroutine sends each one's first attempt in turn,
// and a failed delivery waits for its retries in a goroutine of its own, so
// one failing endpoint does not hold up the others. Nothing runs until the
// first delivery is queued; Close stops everything.
//
// The outbox knows nothing of any cart. What a delivery looks like (its
// address, headers and signature), what a failure does to the subscription
// and what a duplicate is are the Cart's; the retry schedule, the attempt
// timeout and which answers count as success are the Config's.
package outbox

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

// Faults are delivery faults to inject into the next deliveries. Each
// count is consumed by one delivery (one event for one subscription). A
// Ping job takes none.
type Faults struct {
	// Duplicate sends each of the next N deliveries twice: right after the
	// first attempt comes the copy Cart.CopyOf makes of it (what the copy
	// keeps and what it changes is the cart's), marked Duplicate.
	Duplicate int
	// OutOfOrder holds the next delivery back and sends it right after
	// the one that follows it (or, if none follows, after a minute's worth
	// of Config.Unit, at least a second).
	OutOfOrder int
	// FailFirst makes the first attempt of each of the next N deliveries
	// fail as a timeout does: the request is sent, but its answer is taken
	// to have come too late, so the receiver has it. What follows is the
	// cart's: a retry if Config.Retries has one, and Cart.Settle.
	FailFirst int
}

// Delivery is one attempt to deliver a webhook, as the outbox sent it.
type Delivery struct {
	// Subscription is the id of the webhook subscription delivered to.
	Subscription string
	URL          string
	// Topic is the cart's name for the event; ResourceID the id of the
	// order or product it is about (Job.Topic, Job.ResourceID).
	Topic      string
	ResourceID string
	// ID and EventID are Job.ID and Job.EventID as the attempt was
	// prepared.
	ID, EventID string
	// Attempt is 1 for a delivery's first try, 2 for its first retry...
	Attempt int
	// Duplicate marks the copy the Duplicate fault sent.
	Duplicate bool
	// Ping marks a Ping job's delivery.
	Ping   bool
	Header http.Header
	Body   []byte
	// Status is the receiver's HTTP status; 0 when no answer came.
	Status int
	// Err says why the attempt failed without an answer, or that the
	// FailFirst fault discarded the answer.
	Err string
	// Delivered says the cart counted the attempt a success.
	Delivered bool
	At        time.Time
}

// MaxDeliveryLog bounds the deliveries kept for Deliveries.
const MaxDeliveryLog = 10_000

// Job is one event to deliver to one subscription. The cart fills in the
// exported fields when it queues the job and may fill in more (ID, Body)
// in Prepare; the outbox keeps the attempt count and fault state.
type Job struct {
	// Subscription is the id of the subscription to deliver to.
	Subscription string
	Topic        string
	ResourceID   string
	// ID is the delivery id; EventID the event's, shared by copies. What
	// each means, and whether the copy keeps it, is the cart's.
	ID, EventID string
	At          time.Time
	Body        []byte
	// Ping marks a delivery outside the event stream (as WooCommerce's
	// ping when a webhook is created): it takes no faults and does not
	// release a delivery OutOfOrder holds back. Whatever else it means is
	// the cart's, in Prepare and Settle.
	Ping bool

	attempt   int
	dup       bool
	twice     bool // send a copy right after the first attempt (Duplicate)
	failFirst bool // discard the answer to the first attempt (FailFirst)
}

// Attempt is 1 while the first attempt is prepared and settled, 2 for the
// first retry...
func (j *Job) Attempt() int { return j.attempt }

// Duplicate reports whether j is the copy the Duplicate fault sends.
func (j *Job) Duplicate() bool { return j.dup }

// Cart is what the outbox needs of the cart it delivers for. Its methods
// are called from the outbox's goroutines, never with the outbox's lock
// held.
type Cart interface {
	// Prepare returns where and with which headers to send attempt
	// j.Attempt(), or ok false when the subscription no longer delivers
	// (the job then ends without an attempt). It may set j.ID and j.Body.
	Prepare(j *Job) (url string, h http.Header, ok bool)
	// Settle records an attempt's outcome; final says no retry follows.
	Settle(j *Job, delivered, final bool)
	// CopyOf makes the copy of j the Duplicate fault sends, from j as its
	// first attempt was prepared: a copy of *j with whatever the cart
	// changes in a duplicate. The outbox marks it Duplicate and resets its
	// attempts and faults.
	CopyOf(j *Job) *Job
}

// Config is the cart's delivery policy.
type Config struct {
	// Retries are the delays before each retry, in Units; their number is
	// the number of retries. None means a failed delivery is final.
	Retries []int
	// Unit is the real time that stands for one second of the schedule;
	// zero means a second.
	Unit time.Duration
	// Timeout bounds each attempt; zero means no bound.
	Timeout time.Duration
	// Connect bounds connecting to the receiver; zero means the system's.
	Connect time.Duration
	// Now stamps deliveries; nil means time.Now.
	Now func() time.Time
	// Success says whether an answer's status counts as delivered; nil
	// means any 2xx.
	Success func(status int) bool
}

// Outbox delivers one cart's webhooks.
type Outbox struct {
	cart Cart
	cfg  Config

	transport *http.Transport
	client    *http.Client

	mu      sync.Mutex
	queue   []*Job // queued, faults not yet applied
	ready   []*Job // to send next, in order
	held    *Job   // OutOfOrder
	heldAt  time.Time
	faults  Faults
	log     []Delivery
	pending int           // jobs not yet finished
	idle    chan struct{} // closed while pending == 0
	drains  int           // Drain calls waiting: nothing follows a held job
	wake    chan struct{}
	started bool
	closed  bool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// New returns an outbox delivering for cart under cfg.
func New(cart Cart, cfg Config) *Outbox {
	cfg.Retries = slices.Clone(cfg.Retries)
	if cfg.Unit <= 0 {
		cfg.Unit = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Success == nil {
		cfg.Success = func(status int) bool { return status >= 200 && status < 300 }
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil // deliveries go to the subscription's address and nowhere else
	t.DialContext = (&net.Dialer{Timeout: cfg.Connect, KeepAlive: 30 * time.Second}).DialContext
	o := &Outbox{
		cart: cart, cfg: cfg,
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

// SetFaults replaces the pending delivery faults.
func (o *Outbox) SetFaults(f Faults) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.faults = f
}

// Deliveries returns every attempt so far (the latest MaxDeliveryLog), in
// the order they were made.
func (o *Outbox) Deliveries() []Delivery {
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

// Enqueue queues jobs, in order, and starts the dispatcher if it is not
// running. After Close it does nothing.
func (o *Outbox) Enqueue(jobs ...*Job) {
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

func (o *Outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// addPending moves the pending count; the caller holds o.mu.
func (o *Outbox) addPending(n int) {
	if o.pending == 0 && n > 0 {
		o.idle = make(chan struct{})
	}
	o.pending += n
	if o.pending == 0 && n < 0 {
		close(o.idle)
	}
}

func (o *Outbox) done() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.addPending(-1)
}

// holdFor is how long an OutOfOrder delivery waits for one to follow it.
func (o *Outbox) holdFor() time.Duration { return max(60*o.cfg.Unit, time.Second) }

// next returns the next job to send; false when the outbox is closed.
func (o *Outbox) next() (*Job, bool) {
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
			if j.Ping {
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
		if o.held != nil && o.drains > 0 {
			// Nothing is queued to follow it, and Drain waits.
			o.ready = append(o.ready, o.held)
			o.held = nil
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
func (o *Outbox) release() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.held != nil {
		o.ready = append(o.ready, o.held)
		o.held = nil
		o.signal()
	}
}

func (o *Outbox) dispatch() {
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
func (o *Outbox) send(j *Job) {
	j.attempt++
	url, h, ok := o.cart.Prepare(j)
	if !ok {
		o.done() // the subscription is gone or no longer delivers
		return
	}
	if j.twice && j.attempt == 1 {
		// The copy goes next, before anything else that is ready.
		c := o.cart.CopyOf(j)
		c.attempt, c.dup, c.twice, c.failFirst = 0, true, false, false
		o.mu.Lock()
		o.ready = append([]*Job{c}, o.ready...)
		o.addPending(1)
		o.mu.Unlock()
	}
	at := o.cfg.Now()
	status, err := o.post(url, h, j.Body)
	d := Delivery{
		Subscription: j.Subscription, URL: url, Topic: j.Topic, ResourceID: j.ResourceID, ID: j.ID, EventID: j.EventID,
		Attempt: j.attempt, Duplicate: j.dup, Ping: j.Ping, Header: h, Body: j.Body, Status: status, At: at,
		Delivered: err == nil && o.cfg.Success(status),
	}
	if err != nil {
		d.Err = err.Error()
	}
	if j.failFirst && j.attempt == 1 {
		// The simulators export Faults as WebhookFaults.
		d.Delivered, d.Err = false, "timed out (WebhookFaults.FailFirst)"
	}
	final := d.Delivered || j.attempt > len(o.cfg.Retries)
	o.mu.Lock()
	if o.ctx.Err() != nil {
		o.mu.Unlock()
		return // closed during the attempt
	}
	o.log = append(o.log, d)
	if len(o.log) > MaxDeliveryLog {
		o.log = slices.Delete(o.log, 0, len(o.log)-MaxDeliveryLog)
	}
	o.mu.Unlock()
	o.cart.Settle(j, d.Delivered, final)
	if final {
		o.done()
		return
	}
	wait := time.Duration(o.cfg.Retries[j.attempt-1]) * o.cfg.Unit
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

// ErrClosed is Drain's answer once the outbox is closed, and the error of
// an attempt Close cut short.
var ErrClosed = errors.New("webhook delivery stopped")

// post sends one attempt and returns the receiver's status.
func (o *Outbox) post(url string, h http.Header, body []byte) (int, error) {
	ctx, cancel := o.ctx, context.CancelFunc(func() {})
	if o.cfg.Timeout > 0 {
		ctx, cancel = context.WithTimeout(o.ctx, o.cfg.Timeout)
	}
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = h.Clone()
	resp, err := o.client.Do(req)
	if err != nil {
		if o.ctx.Err() != nil {
			return 0, ErrClosed
		}
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

// Drain waits until nothing is queued, held, in flight or awaiting a
// retry, or until ctx ends. A delivery OutOfOrder holds is sent once
// nothing queued is left to follow it. After Close it returns ErrClosed.
func (o *Outbox) Drain(ctx context.Context) error {
	if o.ctx.Err() != nil {
		return ErrClosed
	}
	o.mu.Lock()
	idle := o.idle
	o.drains++
	o.signal()
	o.mu.Unlock()
	defer func() {
		o.mu.Lock()
		o.drains--
		o.mu.Unlock()
	}()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-o.ctx.Done():
		return ErrClosed
	}
}

// Close stops the dispatcher and every retry, and waits for them. Calling
// it again does nothing more.
func (o *Outbox) Close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	o.cancel()
	o.wg.Wait()
	o.transport.CloseIdleConnections()
}
