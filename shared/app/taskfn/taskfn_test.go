package taskfn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/app/core"
	"github.com/autosync/autosync/shared/app/taskfn"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/clock"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/schedule/local"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store/boltstore"
)

type noDispatch struct{}

func (noDispatch) Dispatch(context.Context, runs.Input) error { return nil }

// storeAndSealer opens a store in the test's folder (closed at its end,
// closing twice is harmless) and a sealer.
func storeAndSealer(t *testing.T) (*boltstore.Store, seal.Sealer) {
	t.Helper()
	st, err := boltstore.Open(t.TempDir() + "/db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	sealer, err := seal.NewAESGCM(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return st, sealer
}

func newTask(t *testing.T) *taskfn.Task {
	t.Helper()
	st, sealer := storeAndSealer(t)
	c := core.New(core.Deps{Store: st, Sealer: sealer, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	return taskfn.New(c, taskfn.Deps{Dispatch: noDispatch{}, AccountCap: taskfn.AccountCap})
}

// A malformed input is answered (Lambda would retry an error for
// nothing); an input naming a channel that is not there is an error the
// run records, not a crash.
func TestHandle(t *testing.T) {
	task := newTask(t)
	if task.Runner.AccountCap != taskfn.AccountCap || task.Settings.Capabilities != task.Runner {
		t.Fatalf("runner not wired: cap %d, settings capabilities %v", task.Runner.AccountCap, task.Settings.Capabilities)
	}
	for _, raw := range []string{`nope`, `{}`, `{"account_id":"a","channel_id":"c","task":"no_such_task","trigger":"schedule"}`, `{"action":"explode"}`} {
		res, err := task.Handle(t.Context(), json.RawMessage(raw))
		if err != nil || res.Error == "" || res.RunID != "" {
			t.Errorf("input %s: result %+v, err %v; want an answered invalid input", raw, res, err)
		}
	}
	in, _ := json.Marshal(runs.Input{AccountID: "a", ChannelID: "ch_missing", Task: catalog.ImportOrders, Trigger: runs.Schedule})
	res, err := task.Handle(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if res.RunID == "" || res.Status != string(runs.Failed) {
		t.Fatalf("run of a missing channel: %+v, want a recorded failed run", res)
	}
}

// An invocation that fails (the store is gone here) is logged with whose
// run it was before Lambda retries it: Lambda's own line holds only the
// error text.
func TestFailedInvocationIsLoggedWithItsRun(t *testing.T) {
	st, sealer := storeAndSealer(t)
	var logs bytes.Buffer
	c := core.New(core.Deps{Store: st, Sealer: sealer, Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	task := taskfn.New(c, taskfn.Deps{Dispatch: noDispatch{}, AccountCap: taskfn.AccountCap})
	_ = st.Close()
	in, _ := json.Marshal(runs.Input{AccountID: "acct_1", ChannelID: "ch_1", Task: catalog.ImportOrders, Trigger: runs.Schedule})
	if _, err := task.Handle(t.Context(), in); err == nil {
		t.Fatal("an invocation without its store succeeded")
	}
	var line map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(l, &m) == nil && m["level"] == "ERROR" && m["msg"] == "invocation failed; Lambda retries it" {
			line = m
		}
	}
	if line == nil {
		t.Fatalf("no error line for the failed invocation in %s", logs.String())
	}
	for k, want := range map[string]string{"account": "acct_1", "channel": "ch_1", "task": "import_orders", "trigger": "schedule"} {
		if line[k] != want {
			t.Errorf("%s = %v, want %q", k, line[k], want)
		}
	}
}

// The repair's sweep closes a run queued 20 minutes as never started in
// Lambda, where its invocation is lost by then; with the local server's
// QueuedFor it is left waiting in the dispatcher's queue, which holds it
// while the process lives.
func TestRepairSweepsQueuedRunsByQueuedFor(t *testing.T) {
	for _, tc := range []struct {
		name      string
		queuedFor time.Duration
		want      runs.Status
	}{
		{"lambda", 0, runs.Interrupted},
		{"local", 24 * time.Hour, runs.Queued},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, sealer := storeAndSealer(t)
			clk := clock.NewFake(time.Now().UTC())
			sched := local.New(func(context.Context, string, []byte) {}, 1, clk.Now)
			c := core.New(core.Deps{Store: st, Sealer: sealer, Scheduler: sched, Now: clk.Now, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})
			task := taskfn.New(c, taskfn.Deps{Dispatch: noDispatch{}, QueuedFor: tc.queuedFor})
			run, _, err := task.Runs.QueueManual(t.Context(), "acct", "ch_1", catalog.ImportOrders)
			if err != nil {
				t.Fatal(err)
			}
			clk.Add(20 * time.Minute)
			if err := task.Repair(t.Context()); err != nil {
				t.Fatal(err)
			}
			got, err := task.Runs.Get(t.Context(), "acct", run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.want {
				t.Fatalf("queued run after 20 min: %s, want %s", got.Status, tc.want)
			}
		})
	}
}
