package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/autosync/autosync/shared/app/taskfn"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/autosync/autosync/shared/app"
	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/awsapi"
	"github.com/autosync/autosync/shared/cart"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/channels"
	"github.com/autosync/autosync/shared/connector"
	"github.com/autosync/autosync/shared/dispatch"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/schedule/eventbridge"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/seal/datakeys"
	"github.com/autosync/autosync/shared/settings"
	amazonsim "github.com/autosync/autosync/shared/simulator/amazon"
	bigcommercesim "github.com/autosync/autosync/shared/simulator/bigcommerce"
	etsysim "github.com/autosync/autosync/shared/simulator/etsy"
	shopifysim "github.com/autosync/autosync/shared/simulator/shopify"
	squarespacesim "github.com/autosync/autosync/shared/simulator/squarespace"
	woocommercesim "github.com/autosync/autosync/shared/simulator/woocommerce"
	"github.com/autosync/autosync/shared/store/dynamostore"
)

// Profile is a named merchant.
type Profile struct {
	Name          string
	SKUs          int     // per channel (every channel sells the same SKUs)
	FBASKUs       int     // of SKUs, stocked at Amazon FBA
	OrdersPerHour float64 // over all channels
	// SimOrdersPerHour, when set, is the rate simulated; what orders add
	// is scaled up to OrdersPerHour.
	SimOrdersPerHour float64
	Hours            int // simulated window of scheduled runs
	// Carts limits the channels (the smoke test's); nil means all six.
	Carts []catalog.Cart
}

// Profiles are the merchants the issue names, plus tiny for the smoke test.
var Profiles = map[string]Profile{
	"idle":    {Name: "idle", SKUs: 2000, FBASKUs: 800, OrdersPerHour: 0, Hours: 1},
	"typical": {Name: "typical", SKUs: 2000, FBASKUs: 800, OrdersPerHour: 50, Hours: 1},
	"large":   {Name: "large", SKUs: 20000, FBASKUs: 8000, OrdersPerHour: 1000, SimOrdersPerHour: 200, Hours: 1},
	"tiny":    {Name: "tiny", SKUs: 10, FBASKUs: 4, OrdersPerHour: 8, Hours: 1, Carts: []catalog.Cart{catalog.Shopify, catalog.Amazon}},
}

func (p Profile) simOrders() float64 {
	if p.SimOrdersPerHour > 0 {
		return p.SimOrdersPerHour
	}
	return p.OrdersPerHour
}

// Options are the model's assumptions.
type Options struct {
	// MemoryMB is the task function's configured memory (template.yaml).
	MemoryMB int
	// CartLatency is added to a run's duration per cart request: the
	// simulators answer on loopback in about a millisecond, real carts
	// over the internet in a few hundred.
	CartLatency time.Duration
	// PlatformLogBytes is what Lambda itself logs per invocation
	// (platform.start and platform.report in JSON format).
	PlatformLogBytes int
	// Latency is the modelled in-region latency of one AWS call, by
	// "service:Operation" or by "service:" for the rest of a service.
	Latency map[string]time.Duration
	// InvocationOverhead is the handler's own work per invocation
	// (decoding, building the connector), beyond its calls, at
	// OverheadMemoryMB. Lambda allots CPU in proportion to memory, so at
	// MemoryMB it takes OverheadMemoryMB/MemoryMB times as long (a smaller
	// function is cheaper per second but slower at the same work).
	InvocationOverhead time.Duration
	OverheadMemoryMB   int
	// SimSKUs is the catalog simulated per channel.
	SimSKUs int
	// Measured bills the measured run durations instead of the modelled
	// ones (on a machine shared with other work they mostly measure the
	// machine's load and the emulator's speed).
	Measured bool
}

// DefaultOptions are the figures make cost uses.
var DefaultOptions = Options{
	MemoryMB: 1024, CartLatency: 150 * time.Millisecond, PlatformLogBytes: 700,
	Latency: map[string]time.Duration{
		"dynamodb:":                   5 * time.Millisecond,
		"dynamodb:Query":              8 * time.Millisecond,
		"dynamodb:TransactWriteItems": 15 * time.Millisecond,
		"kms:":                        8 * time.Millisecond,
		"scheduler:":                  25 * time.Millisecond,
		"lambda:":                     20 * time.Millisecond,
	},
	InvocationOverhead: 10 * time.Millisecond,
	OverheadMemoryMB:   1024,
	SimSKUs:            200,
}

// overhead is InvocationOverhead at the function's memory.
func (o Options) overhead() time.Duration {
	if o.MemoryMB <= 0 || o.OverheadMemoryMB <= 0 || o.MemoryMB >= o.OverheadMemoryMB {
		return o.InvocationOverhead
	}
	return o.InvocationOverhead * time.Duration(o.OverheadMemoryMB) / time.Duration(o.MemoryMB)
}

// Modelled is the billed duration the calls of usage and invocations
// stand for: each AWS call at its modelled latency, each cart request at
// CartLatency, plus the per-invocation overhead. Calls are taken as made
// one after another, which is how the executor pages.
func (o Options) Modelled(u *Usage, invocations int) time.Duration {
	d := time.Duration(invocations)*o.overhead() + time.Duration(u.CartRequests)*o.CartLatency
	for call, n := range u.Calls {
		lat, ok := o.Latency[call]
		if !ok {
			lat = o.Latency[call[:strings.Index(call, ":")+1]]
		}
		d += time.Duration(n) * lat
	}
	return d
}

// TaskResult is one task's usage over the simulated window, all channels.
type TaskResult struct {
	Task          string
	Interval      time.Duration
	Ticks         int // scheduled invocations in the window
	Invocations   int // Lambda invocations (ticks plus continuations)
	Usage         *Usage
	Duration      time.Duration // measured, less the meter's own reads
	CartRequests  int
	LogBytes      int64
	MonthlyFactor float64 // monthly = window × MonthlyFactor
	// Daily is what the task's daily pass over everything costs, one run
	// per channel, priced 30 times a month on top of the window's runs
	// (it replaces one of them a day: a slight over-count, stated).
	Daily *TaskResult
}

// Monthly is the task's usage in a 30-day month, in billing units.
func (t TaskResult) Monthly(o Options) Quantities {
	billed := o.Modelled(t.Usage, t.Invocations)
	if o.Measured {
		billed = t.Duration + time.Duration(t.CartRequests)*o.CartLatency
	}
	q := Quantities{
		RRU: t.Usage.RRU, WRU: t.Usage.WRU,
		KMSRequests:     float64(t.Usage.Calls["kms:Decrypt"] + t.Usage.Calls["kms:Encrypt"] + t.Usage.Calls["kms:GenerateDataKey"]),
		SchedulerInvoke: float64(t.Ticks),
		LambdaRequests:  float64(t.Invocations),
		GBSeconds:       billed.Seconds() * float64(o.MemoryMB) / 1024,
		LogBytes:        float64(t.LogBytes + int64(t.Invocations*o.PlatformLogBytes)),
	}
	q = q.Scale(t.MonthlyFactor)
	if t.Daily != nil {
		q = q.Add(t.Daily.Monthly(o))
	}
	return q
}

// dailyFull are the tasks that go over everything once a day instead of
// reading what changed (runner: fbaFullEvery, fullWriteBackEvery); a
// window of a few hours never sees that run.
var dailyFull = []catalog.Task{catalog.ImportFBAInventory, catalog.WriteInventory}

// Result is one profile's model.
type Result struct {
	Profile Profile
	Tasks   []TaskResult
	Orders  int // created in the window
	Wall    time.Duration
	// SimSKUs and SimFBASKUs are the catalog simulated (Run's sku argument).
	SimSKUs, SimFBASKUs int
}

// simClock is real time plus an offset the model moves forward between
// runs: within a run time flows as it would (leases, back-offs, rate
// windows), between runs an hour passes at once.
type simClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *simClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// simulator is what the model needs of a cart simulator.
type simulator interface {
	http.Handler
	CreateOrder(lines []cart.Line) string
}

type channelDef struct {
	cart   catalog.Cart
	config cart.Config
	creds  cart.Credentials
	sim    func(skus []string, now func() time.Time) simulator
}

// channelDefs are the six carts, configured as the demo account's.
func channelDefs() []channelDef {
	return []channelDef{{
		cart: catalog.Shopify, config: cart.Config{"shop": "cost-model.myshopify.com"},
		creds: cart.Credentials{"access_token": "shpat_cost", "client_secret": "shpss_cost"},
		sim: func(skus []string, now func() time.Time) simulator {
			s := shopifysim.New(shopifysim.Options{AccessToken: "shpat_cost", ClientSecret: "shpss_cost", SKUs: skus, Now: now})
			s.Seed(0, 42) // products only
			return s
		},
	}, {
		cart: catalog.BigCommerce, config: cart.Config{"store_hash": "costmodel"},
		creds: cart.Credentials{"access_token": "bc_cost", "client_secret": "bc_cost_secret"},
		sim: func(skus []string, now func() time.Time) simulator {
			return bigcommercesim.New(bigcommercesim.Options{AccessToken: "bc_cost", StoreHash: "costmodel", ClientSecret: "bc_cost_secret", SKUs: skus, Now: now})
		},
	}, {
		cart: catalog.WooCommerce, config: cart.Config{"store_url": "https://woo.cost-model.example"},
		creds: cart.Credentials{"consumer_key": "ck_cost", "consumer_secret": "cs_cost"},
		sim: func(skus []string, now func() time.Time) simulator {
			return woocommercesim.New(woocommercesim.Options{ConsumerKey: "ck_cost", ConsumerSecret: "cs_cost", SKUs: skus, Now: now})
		},
	}, {
		cart: catalog.Etsy, config: cart.Config{"shop_id": "4242"},
		creds: cart.Credentials{"api_key": "etsycostkey", "shared_secret": "etsycostsecret", "token": "4242.cost", "refresh_token": "4242.cost_refresh"},
		sim: func(skus []string, now func() time.Time) simulator {
			return etsysim.New(etsysim.Options{APIKey: "etsycostkey", SharedSecret: "etsycostsecret", Token: "4242.cost",
				RefreshToken: "4242.cost_refresh", ShopID: 4242, SKUs: skus, Now: now})
		},
	}, {
		cart: catalog.Squarespace, creds: cart.Credentials{"api_key": "sqsp_cost_key"},
		sim: func(skus []string, now func() time.Time) simulator {
			return squarespacesim.New(squarespacesim.Options{APIKey: "sqsp_cost_key", SKUs: skus, Now: now})
		},
	}, {
		cart: catalog.Amazon, config: cart.Config{"seller_id": "A2COSTSELLER", "marketplace_id": "ATVPDKIKX0DER"},
		creds: cart.Credentials{"client_id": "amzn1.application-oa2-client.cost", "client_secret": "cost-lwa-secret", "refresh_token": "Atzr|cost"},
		sim: func(skus []string, now func() time.Time) simulator {
			return amazonsim.New(amazonsim.Options{ClientID: "amzn1.application-oa2-client.cost", ClientSecret: "cost-lwa-secret",
				RefreshToken: "Atzr|cost", SellerID: "A2COSTSELLER", MarketplaceID: "ATVPDKIKX0DER", SKUs: skus, Now: now})
		},
	}}
}

// cartCounter counts requests to the carts, per meter label.
type cartCounter struct{ m *Meter }

func (c cartCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.m.add(func(u *Usage) { u.CartRequests++ })
	return http.DefaultTransport.RoundTrip(r)
}

const account = "merchant-1"

// Run models profile p against the AWS emulator at endpoint, with a
// catalog of simSKUs per channel (FBA in the profile's proportion).
func Run(ctx context.Context, endpoint string, p Profile, simSKUs int) (Result, error) {
	out, err := RunPhases(ctx, endpoint, simSKUs, p)
	if err != nil {
		return Result{}, err
	}
	return out[0], nil
}

// RunPhases models several profiles one after another on one merchant:
// one setup and warm-up, then each profile's window in turn (its own order
// rate and hours), each priced on its own. The catalog and the channels
// are the first profile's.
func RunPhases(ctx context.Context, endpoint string, simSKUs int, phases ...Profile) ([]Result, error) {
	if len(phases) == 0 {
		return nil, errors.New("no profile to model")
	}
	started := time.Now()
	p := phases[0]
	simFBA := 0
	if p.SKUs > 0 {
		simFBA = simSKUs * p.FBASKUs / p.SKUs
	}
	m := NewMeter(endpoint)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("meter listen: %w", err)
	}
	srv := &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	proxy := "http://" + ln.Addr().String()

	awsCfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(proxy),
	}
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	table, group, function := "autosync-cost-"+suffix, "autosync-cost-"+suffix, "autosync-cost-task-"+suffix
	m.SetLabel("setup")
	if err := dynamostore.CreateTable(ctx, dynamodb.NewFromConfig(awsCfg), table); err != nil {
		return nil, err
	}
	key, err := kms.NewFromConfig(awsCfg).CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		return nil, fmt.Errorf("create KMS key: %w", err)
	}
	if _, err := scheduler.NewFromConfig(awsCfg).CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String(group)}); err != nil {
		return nil, fmt.Errorf("create schedule group: %w", err)
	}

	// The task function's wiring (app.NewAWS), with the model's clock,
	// logger and cart client.
	api, err := awsapi.New(awsCfg)
	if err != nil {
		return nil, err
	}
	clk := &simClock{}
	// The task function's sealer (lambdaenv.Env.Sealer), one for the whole
	// model as for one execution environment, sealing under the table's
	// shared data key as production does (one GetItem when it takes the key
	// up): that key, opened in the warm-up, serves every run after it, as in
	// a warm environment; a new environment opens the day's shared key once
	// (a Decrypt shared by every merchant whose credentials it sealed),
	// which a model of one merchant cannot apportion.
	st := dynamostore.New(dynamodb.NewFromConfig(awsCfg), table)
	sealer := seal.NewEnvelope(api, aws.ToString(key.KeyMetadata.KeyId))
	sealer.Now = clk.Now
	sealer.Keys = datakeys.New(st)
	taskARN := "arn:aws:lambda:us-east-1:123456789012:function:" + function
	a := app.New(app.Deps{
		Store:  st,
		Sealer: sealer,
		Scheduler: eventbridge.New(scheduler.NewFromConfig(awsCfg), eventbridge.Config{
			Group: group, TargetARN: taskARN, RoleARN: "arn:aws:iam::123456789012:role/autosync-cost-scheduler",
			DLQARN: "arn:aws:sqs:us-east-1:123456789012:autosync-cost-dlq",
		}),
		Dispatch:   dispatch.Lambda{API: api, Function: function},
		Connectors: connector.Factory{AllowLoopbackBase: true, HTTPClient: &http.Client{Transport: cartCounter{m}, Timeout: 60 * time.Second}},
		Auth:       auth.APIGateway{},
		Log:        slog.New(slog.NewJSONHandler(logCounter{m}, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Now:        clk.Now,
	})
	a.Runner.AccountCap = taskfn.AccountCap

	// Six channels selling the same SKUs, each behind its simulator.
	skus := make([]string, simSKUs)
	for i := range skus {
		skus[i] = fmt.Sprintf("SKU-%05d", i)
	}
	var chans []channels.Channel
	sims := map[string]simulator{}
	var servers []*http.Server
	defer func() {
		for _, s := range servers {
			_ = s.Close()
		}
		for _, s := range sims {
			if c, ok := s.(interface{ Close() }); ok {
				c.Close()
			}
		}
	}()
	for _, d := range channelDefs() {
		if p.Carts != nil && !slices.Contains(p.Carts, d.cart) {
			continue
		}
		sim := d.sim(skus, clk.Now)
		if am, ok := sim.(*amazonsim.Server); ok {
			for _, s := range skus[:simFBA] {
				am.SetFBAQuantity(s, 25)
			}
		}
		sl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("simulator listen: %w", err)
		}
		s := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
		go s.Serve(sl)
		servers = append(servers, s)
		cfg := cart.Config{"api_base": "http://" + sl.Addr().String()}
		for k, v := range d.config {
			cfg[k] = v
		}
		ch, err := a.Channels.Create(ctx, account, channels.Channel{Type: d.cart, Name: "Cost " + string(d.cart), Config: cfg}, d.creds)
		if err != nil {
			return nil, fmt.Errorf("create %s channel: %w", d.cart, err)
		}
		chans = append(chans, ch)
		sims[ch.ID] = sim
	}

	// Tick every autosync task each cart offers, at its default interval.
	type job struct {
		ch   channels.Channel
		task catalog.TaskSpec
	}
	var jobs []job
	var changes []settings.Change
	perTask := map[catalog.Task]int{}
	for _, ch := range chans {
		for _, spec := range catalog.Tasks {
			if spec.Mode != catalog.Autosync || !a.Settings.Offered(ch.Type, spec.ID).AutosyncAvailable() {
				continue
			}
			jobs = append(jobs, job{ch, spec})
			perTask[spec.ID]++
			changes = append(changes, settings.Change{ChannelID: ch.ID, Task: spec.ID, Enabled: true})
		}
	}
	// Within an hour write-back runs after the imports: in the steady
	// state every imported order's stock is pushed within the hour, which
	// a one-hour window only sees in this order.
	sort.SliceStable(jobs, func(i, k int) bool {
		return jobs[i].task.ID != catalog.WriteInventory && jobs[k].task.ID == catalog.WriteInventory
	})
	if _, err := a.Settings.Update(ctx, account, changes); err != nil {
		return nil, fmt.Errorf("tick tasks: %w", err)
	}

	results := map[string]*TaskResult{}
	invoke := func(label string, in runs.Input) error {
		m.SetLabel(label)
		tr := results[label]
		payload := in.JSON()
		for payload != nil {
			// Lambda gives the task function 300 s (template.yaml).
			ictx, cancel := context.WithTimeout(ctx, 300*time.Second)
			start := time.Now()
			out, err := a.TaskHandler(ictx, payload)
			elapsed := time.Since(start)
			cancel()
			if err != nil {
				return fmt.Errorf("%s: %w", label, err)
			}
			if out.Error != "" {
				return fmt.Errorf("%s: %s", label, out.Error)
			}
			if tr != nil {
				tr.Invocations++
				tr.Duration += elapsed
			}
			payload = nil
			// Continuations this run queued run next, as Lambda would.
			if q := m.Invokes(); len(q) > 0 {
				payload = q[0]
				if len(q) > 1 {
					return fmt.Errorf("%s: %d invokes queued by one run", label, len(q))
				}
			}
		}
		return nil
	}

	// Warm-up: the first run of every task imports the catalog; the
	// model prices the steady state after it.
	// Two rounds: in the first, a channel's write-back runs before the
	// other channels have imported the products it pushes.
	for range 2 {
		for _, j := range jobs {
			clk.Advance(time.Minute)
			if err := invoke("warmup", runs.Input{AccountID: account, ChannelID: j.ch.ID, Task: j.task.ID, Trigger: runs.Schedule}); err != nil {
				return nil, err
			}
		}
	}
	m.Take()

	var out []Result
	orderSeq := 0
	for _, p := range phases {
		res := Result{Profile: p, SimSKUs: simSKUs, SimFBASKUs: simFBA}
		firstOrder := orderSeq
		for _, spec := range catalog.Tasks {
			results[string(spec.ID)] = &TaskResult{Task: string(spec.ID), Interval: spec.DefaultInterval.Duration(), Usage: newUsage()}
		}
		carry := 0.0
		for h := 1; h <= p.Hours; h++ {
			m.SetLabel("orders")
			carry += p.simOrders()
			n := int(carry)
			carry -= float64(n)
			step := time.Hour / time.Duration(n+1)
			for range n {
				clk.Advance(step)
				ch := chans[orderSeq%len(chans)]
				line := []cart.Line{{SKU: skus[(orderSeq*7919)%simSKUs], Quantity: 1}}
				if am, ok := sims[ch.ID].(*amazonsim.Server); ok && (orderSeq/len(chans))%2 == 1 && simFBA > 0 {
					line[0].SKU = skus[(orderSeq*7919)%simFBA]
					am.CreateFBAOrder(line)
				} else if sims[ch.ID].CreateOrder(line) == "" {
					return nil, fmt.Errorf("%s simulator refused an order for %s", ch.Type, line[0].SKU)
				}
				orderSeq++
			}
			clk.Advance(time.Hour - step*time.Duration(n))
			last := h == p.Hours
			for _, j := range jobs {
				every := int(j.task.DefaultInterval.Duration() / time.Hour)
				tr := results[string(j.task.ID)]
				// A task whose interval is longer than the window runs once
				// at its end, over the window's activity (stated in the output).
				due := h%every == 0 || (last && tr.Ticks == 0 && p.Hours < every)
				if !due {
					continue
				}
				tr.Ticks++
				if err := invoke(string(j.task.ID), runs.Input{AccountID: account, ChannelID: j.ch.ID, Task: j.task.ID, Trigger: runs.Schedule}); err != nil {
					return nil, err
				}
				for label, u := range m.Take() {
					if t := results[label]; t != nil {
						t.Usage.merge(u)
					}
				}
			}
		}
		res.Orders = orderSeq - firstOrder
		if errs := m.Errs(); len(errs) > 0 {
			return nil, fmt.Errorf("meter: %w", errors.Join(errs...))
		}
		month := 30 * 24 * time.Hour
		for _, spec := range catalog.Tasks {
			tr := results[string(spec.ID)]
			if tr.Ticks == 0 {
				continue
			}
			tr.Duration -= tr.Usage.Shadow
			tr.CartRequests = tr.Usage.CartRequests
			tr.LogBytes = tr.Usage.LogBytes
			// Each tick stands for one interval of its channel's month; a
			// task ticked once at the end of a shorter window is taken as
			// one interval too (it saw less activity than a whole one).
			ticksPerChannel := float64(tr.Ticks) / float64(perTask[spec.ID])
			tr.MonthlyFactor = float64(month) / (ticksPerChannel * float64(tr.Interval))
			res.Tasks = append(res.Tasks, *tr)
		}
		sort.SliceStable(res.Tasks, func(i, j int) bool { return res.Tasks[i].Interval < res.Tasks[j].Interval })
		res.Wall = time.Since(started)
		started = time.Now()
		out = append(out, res)
	}

	// The daily passes over everything, a day after the windows: one run
	// of each such task per channel, measured once and added to every
	// profile (they read the catalog, which the profiles share).
	clk.Advance(25 * time.Hour)
	daily := map[string]*TaskResult{}
	for _, t := range dailyFull {
		label := "daily:" + string(t)
		daily[string(t)] = &TaskResult{Task: label, Usage: newUsage(), MonthlyFactor: 30}
		results[label] = daily[string(t)]
	}
	m.Take()
	for _, j := range jobs {
		tr := daily[string(j.task.ID)]
		if tr == nil {
			continue
		}
		if err := invoke("daily:"+string(j.task.ID), runs.Input{AccountID: account, ChannelID: j.ch.ID, Task: j.task.ID, Trigger: runs.Schedule}); err != nil {
			return nil, err
		}
		for label, u := range m.Take() {
			if t := results[label]; t != nil {
				t.Usage.merge(u)
			}
		}
	}
	if errs := m.Errs(); len(errs) > 0 {
		return nil, fmt.Errorf("meter: %w", errors.Join(errs...))
	}
	for _, tr := range daily {
		if tr.Invocations == 0 {
			continue
		}
		tr.Duration -= tr.Usage.Shadow
		tr.CartRequests, tr.LogBytes = tr.Usage.CartRequests, tr.Usage.LogBytes
		// MonthlyFactor 30 prices one run per channel per day; more
		// channels than one ran, each once.
	}
	for i := range out {
		for k := range out[i].Tasks {
			if d := daily[out[i].Tasks[k].Task]; d != nil && d.Invocations > 0 {
				out[i].Tasks[k].Daily = d
			}
		}
	}
	return out, nil
}

// logCounter counts the bytes the service logs, per meter label.
type logCounter struct{ m *Meter }

func (l logCounter) Write(b []byte) (int, error) {
	l.m.add(func(u *Usage) { u.LogBytes += int64(len(b)) })
	return len(b), nil
}

var _ io.Writer = logCounter{}
