package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Meter is a reverse proxy in front of the AWS emulator: every AWS call the
// service makes (the SDK's DynamoDB and Scheduler clients and awsapi's KMS
// and Lambda requests alike) passes through it and is counted against the
// current label (the task being run). DynamoDB calls are priced in capacity
// units from the sizes of the items they touch; Lambda asynchronous invokes
// are answered here (202) and queued, for the model to run them as the
// task function would.
type Meter struct {
	target string // the emulator's base URL
	client *http.Client

	mu      sync.Mutex
	sizes   map[string]int // last known size of every item seen, by table and key
	label   string
	usage   map[string]*Usage
	invokes [][]byte
	errs    []error
}

// Usage is what one label's calls consumed.
type Usage struct {
	Calls map[string]int // "dynamodb:GetItem", "kms:Decrypt", "scheduler:CreateSchedule", "lambda:Invoke"
	RRU   float64        // DynamoDB read request units
	WRU   float64        // DynamoDB write request units
	// Shadow is time spent reading item sizes for the model itself, to be
	// taken off measured run durations.
	Shadow       time.Duration
	CartRequests int   // requests to the carts (simulators)
	LogBytes     int64 // what the service logged
}

func newUsage() *Usage { return &Usage{Calls: map[string]int{}} }

func (u *Usage) merge(o *Usage) {
	for k, n := range o.Calls {
		u.Calls[k] += n
	}
	u.RRU += o.RRU
	u.WRU += o.WRU
	u.Shadow += o.Shadow
	u.CartRequests += o.CartRequests
	u.LogBytes += o.LogBytes
}

// NewMeter proxies to target.
func NewMeter(target string) *Meter {
	return &Meter{
		target: strings.TrimRight(target, "/"),
		// No transparent gzip: DynamoDB's x-amz-crc32 covers the bytes as sent.
		client: &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16}, Timeout: 60 * time.Second},
		usage:  map[string]*Usage{},
		sizes:  map[string]int{},
	}
}

// SetLabel attributes the calls that follow to label.
func (m *Meter) SetLabel(label string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.label = label
}

// Take returns the usage counted since the last Take, by label, and clears it.
func (m *Meter) Take() map[string]*Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.usage
	m.usage = map[string]*Usage{}
	return u
}

// Invokes returns and clears the queued asynchronous Lambda invokes.
func (m *Meter) Invokes() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	in := m.invokes
	m.invokes = nil
	return in
}

// Errs returns what the meter could not price (a body it could not read).
func (m *Meter) Errs() []error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]error(nil), m.errs...)
}

func (m *Meter) add(f func(u *Usage)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.usage[m.label]
	if u == nil {
		u = newUsage()
		m.usage[m.label] = u
	}
	f(u)
}

func (m *Meter) fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.errs) < 20 {
		m.errs = append(m.errs, err)
	}
}

// credentialScope reads the service from a SigV4 Authorization header:
// Credential=AKID/20261206/us-east-1/dynamodb/aws4_request.
var credentialScope = regexp.MustCompile(`Credential=[^/]+/[0-9]+/[^/]+/([^/]+)/aws4_request`)

func serviceOf(r *http.Request) string {
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1]
	}
	return ""
}

var (
	schedulePath = regexp.MustCompile(`^/schedules/[^/]+$`)
	invokePath   = regexp.MustCompile(`^/2015-03-31/functions/[^/]+/invocations$`)
)

// schedulerOp names an EventBridge Scheduler REST call.
func schedulerOp(method, path string) string {
	switch {
	case schedulePath.MatchString(path):
		switch method {
		case http.MethodPost:
			return "CreateSchedule"
		case http.MethodPut:
			return "UpdateSchedule"
		case http.MethodDelete:
			return "DeleteSchedule"
		case http.MethodGet:
			return "GetSchedule"
		}
	case path == "/schedules" && method == http.MethodGet:
		return "ListSchedules"
	case strings.HasPrefix(path, "/schedule-groups"):
		return method + " schedule-groups"
	}
	return method + " " + path
}

func (m *Meter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	svc := serviceOf(r)
	switch svc {
	case "lambda":
		if invokePath.MatchString(r.URL.Path) && r.Method == http.MethodPost {
			m.mu.Lock()
			m.invokes = append(m.invokes, body)
			m.mu.Unlock()
			m.add(func(u *Usage) { u.Calls["lambda:Invoke"]++ })
			w.WriteHeader(http.StatusAccepted)
			return
		}
	case "dynamodb":
		op := r.Header.Get("X-Amz-Target")
		op = op[strings.LastIndex(op, ".")+1:]
		m.dynamo(w, r, op, body)
		return
	case "kms":
		op := r.Header.Get("X-Amz-Target")
		op = op[strings.LastIndex(op, ".")+1:]
		m.add(func(u *Usage) { u.Calls["kms:"+op]++ })
	case "scheduler":
		op := schedulerOp(r.Method, r.URL.Path)
		m.add(func(u *Usage) { u.Calls["scheduler:"+op]++ })
	default:
		m.add(func(u *Usage) { u.Calls[svc+":"+r.Method]++ })
	}
	status, hdr, resp, err := m.forward(r, body)
	if err != nil {
		http.Error(w, "emulator unreachable", http.StatusBadGateway)
		return
	}
	writeResponse(w, status, hdr, resp)
}

func writeResponse(w http.ResponseWriter, status int, hdr http.Header, body []byte) {
	for k, vs := range hdr {
		if strings.EqualFold(k, "Content-Length") || strings.EqualFold(k, "Transfer-Encoding") || strings.EqualFold(k, "Connection") {
			continue
		}
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// forward sends the request on to the emulator as it came.
func (m *Meter) forward(r *http.Request, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, m.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	for k, vs := range r.Header {
		if strings.EqualFold(k, "Content-Length") {
			continue
		}
		req.Header[k] = vs
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

type attrs = map[string]json.RawMessage

// dynamo forwards one DynamoDB call and prices it. Writes are priced on the
// larger of the item's size before and after (DynamoDB's rule for
// UpdateItem, PutItem over an existing item and DeleteItem), which the
// meter learns by reading the item from the emulator itself, uncounted.
func (m *Meter) dynamo(w http.ResponseWriter, r *http.Request, op string, body []byte) {
	var req struct {
		TableName      string
		Key            attrs
		Item           attrs
		ConsistentRead bool
		TransactItems  []struct {
			Put *struct {
				TableName string
				Item      attrs
			}
			Update *struct {
				TableName string
				Key       attrs
			}
			Delete *struct {
				TableName string
				Key       attrs
			}
			ConditionCheck *struct {
				TableName string
				Key       attrs
			}
			Get *struct {
				TableName string
				Key       attrs
			}
		}
	}
	if err := json.Unmarshal(body, &req); err != nil {
		m.fail(fmt.Errorf("dynamodb %s: decode request: %w", op, err))
	}
	type target struct {
		table string
		key   attrs
		item  attrs // the new item, for a put
	}
	var writes []target
	transact := false
	switch op {
	case "PutItem":
		writes = []target{{req.TableName, keyOf(req.Item), req.Item}}
	case "UpdateItem", "DeleteItem":
		writes = []target{{req.TableName, req.Key, nil}}
	case "TransactWriteItems":
		transact = true
		for _, ti := range req.TransactItems {
			switch {
			case ti.Put != nil:
				writes = append(writes, target{ti.Put.TableName, keyOf(ti.Put.Item), ti.Put.Item})
			case ti.Update != nil:
				writes = append(writes, target{ti.Update.TableName, ti.Update.Key, nil})
			case ti.Delete != nil:
				writes = append(writes, target{ti.Delete.TableName, ti.Delete.Key, nil})
			case ti.ConditionCheck != nil:
				writes = append(writes, target{ti.ConditionCheck.TableName, ti.ConditionCheck.Key, nil})
			}
		}
	}
	var shadow time.Duration
	before := make([]int, len(writes))
	for i, t := range writes {
		if n, ok := m.knownSize(t.table, t.key); ok {
			before[i] = n
			continue
		}
		start := time.Now()
		before[i] = m.sizeOf(r, t.table, t.key)
		shadow += time.Since(start)
	}
	// An UpdateItem answers with the whole new item, so its size needs no
	// second read; the caller decodes only the attributes it asked for.
	if op == "UpdateItem" {
		var rv struct{ ReturnValues string }
		_ = json.Unmarshal(body, &rv)
		if rv.ReturnValues == "" || rv.ReturnValues == "NONE" || rv.ReturnValues == "UPDATED_NEW" {
			var full map[string]json.RawMessage
			if json.Unmarshal(body, &full) == nil {
				full["ReturnValues"] = json.RawMessage(`"ALL_NEW"`)
				if b, err := json.Marshal(full); err == nil {
					body = b
				}
			}
		}
	}
	status, hdr, resp, err := m.forward(r, body)
	if err != nil {
		http.Error(w, "emulator unreachable", http.StatusBadGateway)
		return
	}
	var rru, wru float64
	for i, t := range writes {
		after := before[i] // a refused write leaves the item as it was
		if status == http.StatusOK {
			switch {
			case t.item != nil:
				after, _ = ItemSize(t.item)
			case op == "DeleteItem" || (transact && req.TransactItems[i].Delete != nil):
				after = 0
			case op == "UpdateItem":
				var out struct{ Attributes attrs }
				if json.Unmarshal(resp, &out) == nil && out.Attributes != nil {
					after, _ = ItemSize(out.Attributes)
				} else {
					after = m.sizeOf(r, t.table, t.key)
				}
			case transact && req.TransactItems[i].Update != nil:
				start := time.Now()
				after = m.sizeOf(r, t.table, t.key)
				shadow += time.Since(start)
			}
			m.learn(t.table, t.key, after)
		}
		wru += WriteUnits(max(before[i], after), transact)
	}
	if status == http.StatusOK {
		rru = m.readUnits(r, op, req.TableName, req.Key, &req.ConsistentRead, resp)
	} else if op == "GetItem" || op == "Query" || op == "Scan" {
		rru = 0 // a refused read consumes nothing
	}
	m.add(func(u *Usage) {
		u.Calls["dynamodb:"+op]++
		u.RRU += rru
		u.WRU += wru
		u.Shadow += shadow
	})
	writeResponse(w, status, hdr, resp)
}

// readUnits prices a successful read from its response.
func (m *Meter) readUnits(r *http.Request, op, table string, key attrs, consistent *bool, resp []byte) float64 {
	c := Eventual
	if *consistent {
		c = Strong
	}
	var out struct {
		Item         attrs
		Items        []attrs
		Count        int
		ScannedCount int
		Responses    []struct{ Item attrs }
	}
	if err := json.Unmarshal(resp, &out); err != nil {
		m.fail(fmt.Errorf("dynamodb %s: decode response: %w", op, err))
		return 0
	}
	switch op {
	case "GetItem":
		n, err := ItemSize(out.Item)
		if err != nil {
			m.fail(err)
		}
		m.learn(table, key, n)
		return ReadUnits(n, c)
	case "Query", "Scan":
		// One page costs the summed size of the items it read, rounded
		// up once; items a filter dropped were read too.
		total := 0
		for _, it := range out.Items {
			n, err := ItemSize(it)
			if err != nil {
				m.fail(err)
			}
			total += n
			m.learn(table, keyOf(it), n)
		}
		if out.Count > 0 && out.ScannedCount > out.Count {
			total = total * out.ScannedCount / out.Count
		}
		return ReadUnits(total, c)
	case "TransactGetItems":
		units := 0.0
		for _, it := range out.Responses {
			n, _ := ItemSize(it.Item)
			units += ReadUnits(n, Transactional)
		}
		return units
	}
	return 0
}

func sizeKey(table string, key attrs) string {
	return table + "\x00" + string(key["pk"]) + "\x00" + string(key["sk"])
}

func (m *Meter) knownSize(table string, key attrs) (int, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.sizes[sizeKey(table, key)]
	return n, ok
}

func (m *Meter) learn(table string, key attrs, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sizes[sizeKey(table, key)] = n
}

// keyOf is the table's primary key (pk, sk) of an item.
func keyOf(item attrs) attrs {
	k := attrs{}
	for _, a := range []string{"pk", "sk"} {
		if v, ok := item[a]; ok {
			k[a] = v
		}
	}
	return k
}

// sizeOf reads an item from the emulator directly (not counted) and
// returns its size, 0 when it does not exist.
func (m *Meter) sizeOf(r *http.Request, table string, key attrs) int {
	body, _ := json.Marshal(map[string]any{"TableName": table, "Key": key, "ConsistentRead": true})
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, m.target+"/", bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
	req.Header.Set("Authorization", r.Header.Get("Authorization"))
	resp, err := m.client.Do(req)
	if err != nil {
		m.fail(fmt.Errorf("size of item: %w", err))
		return 0
	}
	defer resp.Body.Close()
	var out struct{ Item attrs }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		m.fail(fmt.Errorf("size of item: HTTP %d %v", resp.StatusCode, err))
		return 0
	}
	n, err := ItemSize(out.Item)
	if err != nil {
		m.fail(err)
	}
	return n
}
