// Package crash kills the local server (make dev) with SIGKILL in the middle
// of a multi-channel import, restarts it on the same data folder, and checks
// that nothing is left stuck, lost, doubled or miscounted.
package crash

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/testkit"
)

// build compiles functions/local once for the test (with the race detector
// when the test has it: the packages are then already compiled that way).
func build(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(t.TempDir(), "autosync-local")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./functions/local")...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./functions/local: %v\n%s", err, b)
	}
	return bin
}

// stack is one running local server.
type stack struct {
	t      *testing.T
	cmd    *exec.Cmd
	base   string
	token  string
	exited chan error
	stderr *bytes.Buffer
}

func start(t *testing.T, bin, data string) *stack {
	t.Helper()
	cmd := exec.Command(bin, "-demo", "-data", data, "-addr", "127.0.0.1:0", "-speed", "600", "-log-level", "warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, cmd: cmd, exited: make(chan error, 1), stderr: &bytes.Buffer{}}
	cmd.Stderr = &lockedWriter{w: s.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		s.exited <- cmd.Wait()
	}()
	t.Cleanup(func() { s.kill() })
	deadline := time.After(30 * time.Second)
	for s.base == "" || s.token == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("server exited before it was ready: %s", s.stderr)
			}
			if u, ok := strings.CutPrefix(l, "Autosync is running at "); ok {
				s.base = strings.TrimSpace(u)
			}
			if _, tok, ok := strings.Cut(l, "#token="); ok {
				s.token = strings.TrimSpace(tok)
			}
		case <-deadline:
			t.Fatal("server did not start within 30 s")
		}
	}
	go func() {
		for range lines { // keep the pipe drained
		}
	}()
	return s
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *stack) kill() {
	if s.cmd.ProcessState != nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.exited <- nil // later kills return at once
}

type lockedWriter struct{ w *bytes.Buffer }

func (l *lockedWriter) Write(p []byte) (int, error) {
	if l.w.Len() > 1<<20 {
		return len(p), nil
	}
	return l.w.Write(p)
}

func (s *stack) do(method, path string, body, out any) int {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			s.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

type run struct {
	ID         string         `json:"id"`
	ChannelID  string         `json:"channel_id"`
	Task       string         `json:"task"`
	Status     string         `json:"status"`
	SkipReason string         `json:"skip_reason"`
	Counts     map[string]int `json:"counts"`
	Progress   struct{ Done int }
	Error      *struct{ Class, Message string }
}

func (r run) active() bool { return r.Status == "queued" || r.Status == "running" }

func (s *stack) channels() []string {
	var out struct{ Channels []struct{ ID string } }
	if code := s.do("GET", "/v1/channels", nil, &out); code != 200 {
		s.t.Fatalf("channels: %d", code)
	}
	var ids []string
	for _, c := range out.Channels {
		ids = append(ids, c.ID)
	}
	if len(ids) < 6 {
		s.t.Fatalf("demo has %d channels", len(ids))
	}
	return ids
}

// runs lists every run (newest first).
func (s *stack) runs() []run {
	s.t.Helper()
	var all []run
	cursor := ""
	for {
		var out struct {
			Runs       []run
			NextCursor *string `json:"next_cursor"`
		}
		path := "/v1/sync/runs?limit=100"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if code := s.do("GET", path, nil, &out); code != 200 {
			s.t.Fatalf("runs: %d", code)
		}
		all = append(all, out.Runs...)
		if out.NextCursor == nil {
			return all
		}
		cursor = *out.NextCursor
	}
}

// importAll starts Import Orders on every channel; each answer must be a
// run that will work, not one skipped because a dead run holds the task.
func (s *stack) importAll(chans []string) []run {
	s.t.Helper()
	var entries []map[string]string
	for _, c := range chans {
		entries = append(entries, map[string]string{"channel_id": c, "task": "import_orders"})
	}
	var out struct{ Runs []run }
	if code := s.do("POST", "/v1/sync/runs", map[string]any{"runs": entries}, &out); code != 202 {
		s.t.Fatalf("sync once: %d", code)
	}
	return out.Runs
}

// await polls until none of ids is queued or running, and returns them.
func (s *stack) await(ids []string, d time.Duration) map[string]run {
	s.t.Helper()
	var got map[string]run
	if !testkit.Eventually(d, func() bool {
		got = map[string]run{}
		busy := false
		for _, r := range s.runs() {
			if slices.Contains(ids, r.ID) {
				got[r.ID] = r
				busy = busy || r.active()
			}
		}
		return !busy && len(got) == len(ids)
	}) {
		s.t.Fatalf("runs still active after %s: %+v", d, got)
	}
	return got
}

// quiesce waits until no run is queued or running.
func (s *stack) quiesce(d time.Duration) {
	s.t.Helper()
	busy := 0
	if !testkit.Eventually(d, func() bool {
		busy = 0
		for _, r := range s.runs() {
			if r.active() {
				busy++
			}
		}
		return busy == 0
	}) {
		s.t.Fatalf("%d runs still active after %s", busy, d)
	}
}

// importToEnd runs Import Orders on every channel to the end, twice: the
// second pass reads what changed during the first (and re-reads the overlap).
func (s *stack) importToEnd(chans []string) (firstDone int) {
	s.t.Helper()
	s.quiesce(45 * time.Second)
	for pass := 0; pass < 2; pass++ {
		started := s.importAll(chans)
		ids := make([]string, len(started))
		for i, r := range started {
			ids[i] = r.ID
		}
		for _, r := range s.await(ids, 45*time.Second) {
			if r.Status != "succeeded" {
				s.t.Fatalf("run %s on %s ended %s (%s) %+v", r.ID, r.ChannelID, r.Status, r.SkipReason, r.Error)
			}
			if pass == 0 {
				firstDone += r.Progress.Done
			}
		}
	}
	return firstDone
}

type order struct {
	ChannelID  string   `json:"channel_id"`
	ExternalID string   `json:"external_id"`
	Filter     string   `json:"filter"`
	Tags       []string `json:"tags"`
	Lines      []struct {
		SKU      string `json:"sku"`
		Quantity int    `json:"quantity"`
	} `json:"lines"`
}

func (s *stack) orders() []order {
	s.t.Helper()
	var all []order
	cursor := ""
	for {
		var out struct {
			Orders     []order
			NextCursor *string `json:"next_cursor"`
		}
		path := "/v1/orders?limit=200"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if code := s.do("GET", path, nil, &out); code != 200 {
			s.t.Fatalf("orders: %d", code)
		}
		all = append(all, out.Orders...)
		if out.NextCursor == nil {
			return all
		}
		cursor = *out.NextCursor
	}
}

// committed is the stock the products API says is committed, per SKU.
func (s *stack) committed() map[string]int {
	s.t.Helper()
	got := map[string]int{}
	cursor := ""
	for {
		var out struct {
			Products []struct {
				SKU       string
				Inventory []struct{ Committed int }
			}
			NextCursor *string `json:"next_cursor"`
		}
		path := "/v1/products?limit=200"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if code := s.do("GET", path, nil, &out); code != 200 {
			s.t.Fatalf("products: %d", code)
		}
		for _, p := range out.Products {
			for _, st := range p.Inventory {
				if st.Committed != 0 {
					got[p.SKU] += st.Committed
				}
			}
		}
		if out.NextCursor == nil {
			return got
		}
		cursor = *out.NextCursor
	}
}

// importProgress is how far the import has come across restarts (the
// orders stored) and which runs are working.
func (s *stack) importProgress() (stored int, active []run) {
	for _, r := range s.runs() {
		if r.active() {
			active = append(active, r)
		}
	}
	return len(s.orders()), active
}

// TestKillNineDuringImport is issue 10's crash test: three SIGKILLs at
// different points of a six-channel import, a restart on the same data
// folder after each.
func TestKillNineDuringImport(t *testing.T) {
	bin := build(t)

	// The reference: the same demo imported without a crash.
	ref := start(t, bin, t.TempDir())
	chans := ref.channels()
	records := ref.importToEnd(chans)
	want := map[string]bool{}
	for _, o := range ref.orders() {
		want[o.ChannelID+"/"+o.ExternalID] = true
	}
	ref.kill()
	total := len(want)
	if records == 0 || total == 0 {
		t.Fatalf("the reference import did nothing (%d records, %d orders)", records, total)
	}
	// Channel ids are random: the crashed stack's differ from the reference's.
	refChans := chans

	data := t.TempDir()
	s := start(t, bin, data)
	chans = s.channels()
	rename := map[string]string{}
	for i, c := range refChans { // same demo, same order of channels
		rename[c] = chans[i]
	}
	s.importAll(chans)
	var recover []time.Duration
	for k, frac := range []float64{0.15, 0.45, 0.75} {
		// Kill once the import has come this far (polled; no fixed sleep).
		var active []run
		var done int
		if !testkit.Eventually(45*time.Second, func() bool {
			done, active = s.importProgress()
			return float64(done) >= frac*float64(total) || len(active) == 0
		}) {
			t.Fatalf("kill %d: the import did not reach %.0f%%", k+1, frac*100)
		}
		s.kill()
		t.Logf("kill %d with %d of %d orders imported (%d runs active)", k+1, done, total, len(active))

		restarted := time.Now()
		s = start(t, bin, data)
		// Nothing of the killed process is left queued or running, and
		// what it was doing is marked interrupted.
		byID := map[string]run{}
		for _, r := range s.runs() {
			if r.active() {
				t.Fatalf("after kill %d run %s is still %s", k+1, r.ID, r.Status)
			}
			byID[r.ID] = r
		}
		for _, a := range active {
			r := byID[a.ID]
			if r.Status != "interrupted" && r.Status != "succeeded" {
				t.Errorf("after kill %d the killed run %s is %s", k+1, a.ID, r.Status)
			}
			if r.Status == "interrupted" && (r.Error == nil || r.Error.Message == "") {
				t.Errorf("interrupted run %s carries no message", a.ID)
			}
		}
		// The tasks are free at once: Sync once starts real runs.
		started := s.importAll(chans)
		for _, r := range started {
			if r.Status == "skipped" {
				t.Fatalf("after kill %d Sync once was skipped (%s)", k+1, r.SkipReason)
			}
		}
		waiting := 0
		if !testkit.Eventually(time.Minute, func() bool {
			waiting = 0
			latest := map[string]run{}
			for _, r := range s.runs() {
				latest[r.ID] = r
			}
			for _, r := range started {
				if l := latest[r.ID]; l.Status == "queued" || l.Status == "skipped" {
					waiting++
				}
			}
			return waiting == 0
		}) {
			t.Fatalf("after kill %d %d tasks did not start within a minute", k+1, waiting)
		}
		recover = append(recover, time.Since(restarted))
	}

	// Let the last import finish, then orders created after the crashes
	// (the simulators keep theirs in memory only: created earlier, they
	// would be gone with the killed process).
	s.importToEnd(chans)
	created := map[string]bool{}
	for i, c := range chans[:3] {
		for j := 0; j < 2; j++ {
			var out struct {
				ExternalID string `json:"external_id"`
			}
			body := map[string]any{"lines": []map[string]any{{"sku": "MUG-BLUE", "quantity": 1 + i + j}}}
			if code := s.do("POST", "/dev/channels/"+c+"/orders", body, &out); code != 201 {
				t.Fatalf("create order on %s: %d", c, code)
			}
			created[c+"/"+out.ExternalID] = true
		}
	}
	s.importToEnd(chans)

	// Every order exactly once: the reference's and the new ones.
	got := map[string]int{}
	need := map[string]int{}
	for _, o := range s.orders() {
		got[o.ChannelID+"/"+o.ExternalID]++
		if o.Filter == "awaiting_fulfillment" && !slices.Contains(o.Tags, "FBA") {
			for _, l := range o.Lines {
				need[l.SKU] += l.Quantity
			}
		}
	}
	for k, n := range got {
		if n != 1 {
			t.Errorf("order %s stored %d times", k, n)
		}
	}
	for k := range want {
		ch, ext, _ := strings.Cut(k, "/")
		if got[rename[ch]+"/"+ext] == 0 {
			t.Errorf("order %s of the reference import is missing after the crashes", k)
		}
	}
	for k := range created {
		if got[k] == 0 {
			t.Errorf("order %s created after the crashes is missing", k)
		}
	}
	if len(got) != len(want)+len(created) {
		t.Errorf("%d orders after the crashes; want %d (%d imported without a crash + %d created)", len(got), len(want)+len(created), len(want), len(created))
	}
	// Committed stock equals the lines of the orders awaiting fulfillment.
	if have := s.committed(); fmt.Sprint(have) != fmt.Sprint(need) {
		t.Errorf("committed stock %v; the orders awaiting fulfillment hold %v", have, need)
	}
	// No run left running or queued; every run's counts add up.
	interrupted := 0
	for _, r := range s.runs() {
		if r.active() {
			t.Errorf("run %s still %s", r.ID, r.Status)
		}
		if r.Status == "interrupted" {
			interrupted++
		}
		c := r.Counts
		if r.Status == "succeeded" && c["created"]+c["updated"]+c["unchanged"]+c["skipped"]+c["failed"] != c["fetched"] {
			t.Errorf("run %s counts do not add up: %v", r.ID, c)
		}
	}
	t.Logf("%d orders checked across 3 kills (%d runs interrupted); tasks free again %v after each restart", len(got), interrupted, recover)
}
