package taskfn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/autosync/autosync/shared/app/core"
	"github.com/autosync/autosync/shared/app/taskfn"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store/boltstore"
)

type noDispatch struct{}

func (noDispatch) Dispatch(context.Context, runs.Input) error { return nil }

func newTask(t *testing.T) *taskfn.Task {
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
