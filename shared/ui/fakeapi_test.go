package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/cart/carts"
	"github.com/autosync/autosync/shared/catalog"
)

// fakeAPI is an in-memory stand-in for the public HTTP API (shared/httpapi), just
// enough of it for the Sync page: GET/PUT /v1/sync, POST /v1/sync/runs,
// GET /v1/sync/runs and GET /v1/sync/runs/{id}. It uses the real task catalog
// so that the page sees the real tasks, labels and reasons.
type fakeAPI struct {
	token string

	mu       sync.Mutex
	channels []fakeChannel
	enabled  map[string]bool   // channel_id + "/" + task
	reject   map[string]string // PUT /v1/sync answers 422 when one of these is ticked
	runs     []*fakeRun        // newest first
	seq      int
	puts     int
	previews int
	expired  bool                // every request answers 401, as for an expired token
	connects []map[string]string // POST /v1/channels/connect bodies
	now      func() time.Time
}

type fakeChannel struct {
	ID, Type, Name, Status, StatusReason string
}

type fakeRun struct {
	ID, ChannelID, Task, Trigger string
	created                      time.Time
	// fixed is a run whose state never changes (seeded history).
	fixed map[string]any
}

// A manual run is queued for runQueued, then runs for runSteps steps of
// runStep each, then succeeds.
const (
	runQueued = 200 * time.Millisecond
	runStep   = 400 * time.Millisecond
	runSteps  = 5
)

func newFakeAPI(token string) *fakeAPI {
	f := &fakeAPI{
		token: token,
		channels: []fakeChannel{
			{ID: "shop1", Type: "shopify", Name: "Acme Outdoor", Status: "active"},
			{ID: "woo1", Type: "woocommerce", Name: "Acme Wholesale", Status: "active"},
			{ID: "etsy1", Type: "etsy", Name: "Acme Handmade", Status: "active"},
			{ID: "amz1", Type: "amazon", Name: "Acme on Amazon", Status: "needs_reauth",
				StatusReason: "Amazon rejected the saved credentials on Nov 27"},
		},
		enabled: map[string]bool{
			"woo1/import_orders": true, "woo1/instasync_orders": true, "woo1/write_inventory": true,
			"amz1/import_orders": true,
		},
		reject: map[string]string{},
		now:    time.Now,
	}
	now := f.now()
	ts := func(d time.Duration) string { return now.Add(-d).UTC().Format(time.RFC3339) }
	seed := func(id, ch, task, trigger string, run map[string]any) {
		run["id"], run["channel_id"], run["task"], run["trigger"] = id, ch, task, trigger
		for _, k := range []string{"skip_reason", "finished_at"} {
			if _, ok := run[k]; !ok {
				run[k] = nil
			}
		}
		if _, ok := run["error"]; !ok {
			run["error"] = nil
		}
		if _, ok := run["progress"]; !ok {
			run["progress"] = map[string]int{"done": 0, "total": 0}
		}
		if _, ok := run["counts"]; !ok {
			run["counts"] = counts(0, 0, 0, 0, 0, 0)
		}
		f.runs = append(f.runs, &fakeRun{ID: id, ChannelID: ch, Task: task, Trigger: trigger, fixed: run})
	}
	// Newest first.
	seed("seed-7", "etsy1", "import_products", "manual", map[string]any{"status": "queued",
		"note": "Waiting for this account's other runs to finish: it runs at most 8 at once."})
	seed("seed-6", "woo1", "import_products", "schedule", map[string]any{"status": "running", "started_at": ts(40 * time.Second),
		"progress": map[string]int{"done": 120, "total": 400}, "counts": counts(120, 4, 0, 116, 0, 0)})
	seed("seed-5", "woo1", "import_orders", "webhook", map[string]any{"status": "succeeded", "started_at": ts(3 * time.Minute),
		"finished_at": ts(3*time.Minute - 2*time.Second), "counts": counts(1, 1, 0, 0, 0, 0)})
	seed("seed-4", "etsy1", "import_orders", "manual", map[string]any{"status": "skipped", "skip_reason": "already_running",
		"started_at": ts(9 * time.Minute), "finished_at": ts(9 * time.Minute)})
	seed("seed-3", "amz1", "import_orders", "schedule", map[string]any{"status": "failed", "started_at": ts(14 * time.Minute),
		"finished_at": ts(14*time.Minute - 3*time.Second),
		"error":       map[string]string{"class": "auth", "message": "Amazon rejected the saved credentials"}})
	seed("seed-2", "woo1", "write_inventory", "schedule", map[string]any{"status": "partial", "started_at": ts(52 * time.Minute),
		"finished_at": ts(51 * time.Minute), "counts": counts(0, 0, 0, 0, 38, 2),
		"error": map[string]string{"class": "cart", "message": "WooCommerce refused 2 products: SKU not found in the store"}})
	seed("seed-1", "shop1", "import_products", "schedule", map[string]any{"status": "succeeded", "started_at": ts(2 * time.Hour),
		"finished_at": ts(2*time.Hour - 75*time.Second), "counts": counts(250, 12, 0, 238, 0, 0)})
	return f
}

func counts(fetched, created, updated, unchanged, pushed, failed int) map[string]int {
	return map[string]int{"fetched": fetched, "created": created, "updated": updated,
		"unchanged": unchanged, "pushed": pushed, "failed": failed}
}

func (f *fakeAPI) setReject(channelID, task, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if msg == "" {
		delete(f.reject, channelID+"/"+task)
	} else {
		f.reject[channelID+"/"+task] = msg
	}
}

func (f *fakeAPI) isEnabled(channelID, task string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.enabled[channelID+"/"+task]
}

func (f *fakeAPI) putCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.puts
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string, details []any) {
	if details == nil {
		details = []any{}
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg, "details": details}})
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	expired, token := f.expired, f.token
	f.mu.Unlock()
	if expired || r.Header.Get("Authorization") != "Bearer "+token {
		writeError(w, http.StatusUnauthorized, "unauthorized", "The token is missing, invalid or expired.", nil)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch p := r.URL.Path; {
	case p == "/v1/sync" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, f.modal())
	case p == "/v1/sync" && r.Method == http.MethodPut:
		f.put(w, r)
	case p == "/v1/sync/runs" && r.Method == http.MethodPost:
		f.startRuns(w, r)
	case p == "/v1/sync/runs" && r.Method == http.MethodGet:
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit <= 0 || limit > 100 {
			limit = 50
		}
		out := []any{}
		for _, run := range f.runs {
			if len(out) == limit {
				break
			}
			out = append(out, f.runJSON(run))
		}
		writeJSON(w, http.StatusOK, map[string]any{"runs": out, "next_cursor": nil})
	case strings.HasPrefix(p, "/v1/channels/") && strings.HasSuffix(p, "/inventory-preview") && r.Method == http.MethodGet:
		f.preview(w, strings.TrimSuffix(strings.TrimPrefix(p, "/v1/channels/"), "/inventory-preview"))
	case strings.HasPrefix(p, "/v1/sync/runs/") && r.Method == http.MethodGet:
		id := strings.TrimPrefix(p, "/v1/sync/runs/")
		for _, run := range f.runs {
			if run.ID == id {
				writeJSON(w, http.StatusOK, f.runJSON(run))
				return
			}
		}
		writeError(w, http.StatusNotFound, "not_found", "No such run.", nil)
	default:
		if !f.serveChannels(w, r) {
			writeError(w, http.StatusNotFound, "not_found", "No such route.", nil)
		}
	}
}

func (f *fakeAPI) channel(id string) (fakeChannel, bool) {
	for _, c := range f.channels {
		if c.ID == id {
			return c, true
		}
	}
	return fakeChannel{}, false
}

func (f *fakeAPI) modal() map[string]any {
	var chans []any
	for _, c := range f.channels {
		var tasks []any
		for _, spec := range catalog.Tasks {
			tasks = append(tasks, f.taskState(c, spec))
		}
		chans = append(chans, map[string]any{
			"channel":    map[string]any{"id": c.ID, "type": c.Type, "name": c.Name, "status": c.Status, "status_reason": c.StatusReason},
			"cart_label": carts.Label(catalog.Cart(c.Type)),
			"tasks":      tasks,
		})
	}
	return map[string]any{"channels": chans}
}

func (f *fakeAPI) taskState(c fakeChannel, spec catalog.TaskSpec) map[string]any {
	a := carts.Offered(catalog.Cart(c.Type), spec.ID)
	enabled := f.enabled[c.ID+"/"+string(spec.ID)] && a.AutosyncAvailable()
	indicator := "none"
	if enabled {
		indicator = string(spec.Mode)
	}
	reason := a.Reason
	if reason == "" {
		reason = a.Note
	}
	var nextRun any
	if enabled && spec.Mode == catalog.Autosync && c.Status == "active" {
		nextRun = f.now().Add(spec.DefaultInterval.Duration() / 2).UTC().Format(time.RFC3339)
	}
	// As the API says it: a ticked autosync task of a channel that is not
	// active is paused, with why.
	paused := enabled && spec.Mode == catalog.Autosync && c.Status != "active"
	pausedReason := ""
	if paused {
		pausedReason = "Paused: " + c.StatusReason
	}
	var lastRun any
	for _, run := range f.runs {
		if run.ChannelID == c.ID && run.Task == string(spec.ID) {
			lastRun = f.runJSON(run)
			break
		}
	}
	return map[string]any{
		"task": string(spec.ID), "label": spec.Label, "mode": string(spec.Mode),
		"available": a.Available(), "autosync_available": a.AutosyncAvailable(), "unavailable_reason": reason,
		"enabled": enabled, "indicator": indicator,
		"interval": string(spec.DefaultInterval), "default_interval": string(spec.DefaultInterval),
		"next_run_at": nextRun, "last_run": lastRun, "paused": paused, "paused_reason": pausedReason,
	}
}

func (f *fakeAPI) put(w http.ResponseWriter, r *http.Request) {
	f.puts++
	var req struct {
		Tasks []struct {
			ChannelID string `json:"channel_id"`
			Task      string `json:"task"`
			Enabled   *bool  `json:"enabled"`
		} `json:"tasks"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "malformed", "The body is not valid JSON.", nil)
		return
	}
	var problems []any
	problem := func(i int, cid, task, msg string) {
		problems = append(problems, map[string]any{"index": i, "channel_id": cid, "task": task, "message": msg})
	}
	for i, t := range req.Tasks {
		c, ok := f.channel(t.ChannelID)
		if !ok {
			problem(i, t.ChannelID, t.Task, "No such channel.")
			continue
		}
		a := carts.Offered(catalog.Cart(c.Type), catalog.Task(t.Task))
		switch {
		case t.Enabled == nil:
			problem(i, t.ChannelID, t.Task, "enabled is required.")
		case !a.AutosyncAvailable():
			problem(i, t.ChannelID, t.Task, "This task cannot be autosynced on this channel.")
		case *t.Enabled && f.reject[t.ChannelID+"/"+t.Task] != "":
			problem(i, t.ChannelID, t.Task, f.reject[t.ChannelID+"/"+t.Task])
		}
	}
	if len(problems) > 0 {
		writeError(w, http.StatusUnprocessableEntity, "invalid_settings",
			fmt.Sprintf("%d task(s) cannot be saved; nothing was changed.", len(problems)), problems)
		return
	}
	for _, t := range req.Tasks {
		f.enabled[t.ChannelID+"/"+t.Task] = *t.Enabled
	}
	writeJSON(w, http.StatusOK, f.modal())
}

func (f *fakeAPI) startRuns(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Runs []struct {
			ChannelID string `json:"channel_id"`
			Task      string `json:"task"`
		} `json:"runs"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Runs) == 0 {
		writeError(w, http.StatusBadRequest, "malformed", "Expected {\"runs\":[...]}.", nil)
		return
	}
	var problems []any
	for _, item := range req.Runs {
		c, ok := f.channel(item.ChannelID)
		switch {
		case !ok || !carts.Offered(catalog.Cart(c.Type), catalog.Task(item.Task)).Available():
			problems = append(problems, map[string]string{"channel_id": item.ChannelID, "task": item.Task, "message": "This task is not offered on this channel."})
		case c.Status != "active":
			problems = append(problems, map[string]string{"channel_id": item.ChannelID, "task": item.Task, "message": "This channel needs re-authorization before it can sync."})
		}
	}
	if len(problems) > 0 {
		writeError(w, http.StatusUnprocessableEntity, "invalid_runs", "Some runs cannot be started.", problems)
		return
	}
	var out []any
	for _, item := range req.Runs {
		f.seq++
		run := &fakeRun{ID: fmt.Sprintf("run-%d", f.seq), ChannelID: item.ChannelID, Task: item.Task, Trigger: "manual", created: f.now()}
		for _, other := range f.runs {
			if other.ChannelID == run.ChannelID && other.Task == run.Task {
				if s := f.runJSON(other)["status"]; s == "queued" || s == "running" {
					run.fixed = map[string]any{"id": run.ID, "channel_id": run.ChannelID, "task": run.Task, "trigger": "manual",
						"status": "skipped", "skip_reason": "already_running",
						"started_at": f.now().UTC().Format(time.RFC3339), "finished_at": f.now().UTC().Format(time.RFC3339),
						"counts": counts(0, 0, 0, 0, 0, 0), "progress": map[string]int{"done": 0, "total": 0}, "error": nil}
				}
				break
			}
		}
		f.runs = append([]*fakeRun{run}, f.runs...)
		out = append(out, f.runJSON(run))
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"runs": out})
}

// runJSON is the HTTP API's Run; a manual run's state follows the clock.
func (f *fakeAPI) runJSON(run *fakeRun) map[string]any {
	if run.fixed != nil {
		return run.fixed
	}
	elapsed := f.now().Sub(run.created)
	out := map[string]any{"id": run.ID, "channel_id": run.ChannelID, "task": run.Task, "trigger": run.Trigger,
		"skip_reason": nil, "started_at": nil, "finished_at": nil, "error": nil,
		"counts": counts(0, 0, 0, 0, 0, 0), "progress": map[string]int{"done": 0, "total": 0}}
	if elapsed < runQueued {
		out["status"] = "queued"
		return out
	}
	out["started_at"] = run.created.Add(runQueued).UTC().Format(time.RFC3339Nano)
	step := int((elapsed - runQueued) / runStep)
	if step < runSteps {
		out["status"] = "running"
		out["progress"] = map[string]int{"done": step * 10, "total": runSteps * 10}
		out["counts"] = counts(step*10, step, 0, step*9, 0, 0)
		return out
	}
	out["status"] = "succeeded"
	out["finished_at"] = run.created.Add(runQueued + runSteps*runStep).UTC().Format(time.RFC3339Nano)
	out["progress"] = map[string]int{"done": runSteps * 10, "total": runSteps * 10}
	out["counts"] = counts(runSteps*10, 3, 1, runSteps*10-4, 0, 0)
	return out
}

// TestServeFake serves the page and the fake API for a look by hand, when
// UI_FAKE_ADDR is set, until the test is stopped:
//
//	UI_FAKE_ADDR=127.0.0.1:8099 go test ./shared/ui -run TestServeFake -timeout 0
//	open http://127.0.0.1:8099/#token=test-token
func TestServeFake(t *testing.T) {
	addr := os.Getenv("UI_FAKE_ADDR")
	if addr == "" {
		t.Skip("set UI_FAKE_ADDR=host:port to serve the page with the fake API")
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", newFakeAPI("test-token"))
	mux.Handle("/{$}", Handler())
	mux.Handle(Prefix, Handler())
	t.Logf("serving http://%s/#token=test-token", addr)
	if err := http.ListenAndServe(addr, mux); err != nil {
		t.Fatal(err)
	}
}

// previewCart is what the fake carts show against what Autosync would
// write: six of eight SKUs change on the first write-back.
var previewCart = []struct {
	SKU          string
	Cart, Target int
}{
	{"MUG-BLUE", 40, 12}, {"TEE-M", 0, 25}, {"TEE-L", 3, 9}, {"CAP-RED", 14, 10},
	{"SOCK-3", 7, 8}, {"BAG-XL", 2, 0}, {"PIN-01", 5, 5}, {"PIN-02", 1, 1},
}

// preview answers GET /v1/channels/{id}/inventory-preview as the API does.
func (f *fakeAPI) preview(w http.ResponseWriter, id string) {
	if _, ok := f.channel(id); !ok {
		writeError(w, http.StatusNotFound, "not_found", "Channel not found.", nil)
		return
	}
	f.previews++
	var largest []any
	changes := 0
	// Largest |delta| first, as the API orders them.
	order := slices.Clone(previewCart)
	slices.SortStableFunc(order, func(a, b struct {
		SKU          string
		Cart, Target int
	}) int {
		abs := func(n int) int { return max(n, -n) }
		return abs(b.Target-b.Cart) - abs(a.Target-a.Cart)
	})
	for _, p := range order {
		if p.Cart != p.Target {
			changes++
			largest = append(largest, map[string]any{"sku": p.SKU, "cart_quantity": p.Cart, "cart_source": "live",
				"target": p.Target, "will_write": true, "changes": true, "delta": p.Target - p.Cart, "drift": true})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"channel_id": id,
		"live":       map[string]any{"attempted": true, "complete": true, "read": len(previewCart)},
		"summary": map[string]any{"linked": len(previewCart), "changes": changes, "unchanged": len(previewCart) - changes,
			"drift": changes, "suspended": 0, "unknown_cart": 0, "complete": true, "largest_changes": largest},
		"items": largest[:1], "next_cursor": "eA",
	})
}

func (f *fakeAPI) previewCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.previews
}

func (f *fakeAPI) expire() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expired = true
}

// manyChannels replaces the channels with n Shopify ones, "Store 01" to "Store n".
func (f *fakeAPI) manyChannels(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.channels = nil
	for i := 1; i <= n; i++ {
		f.channels = append(f.channels, fakeChannel{ID: fmt.Sprintf("s%02d", i), Type: "shopify", Name: fmt.Sprintf("Store %02d", i), Status: "active"})
	}
}

// started is how many runs POST /v1/sync/runs has started.
func (f *fakeAPI) started() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seq
}
