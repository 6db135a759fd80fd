// Package scheduletest is the contract every schedule.Scheduler adapter
// must meet. The EventBridge adapter runs it against the emulator and the
// local adapter runs it in-process, so code written against the port sees the
// same behaviour in production and under make dev.
package scheduletest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/schedule"
)

// Run runs the contract against schedulers made by newScheduler. Every
// subtest asks for a fresh scheduler, which must start empty: List is checked
// for exactly the names the subtest created.
//
// Names come from schedule.Name, as in production; an adapter may rely on
// that (the EventBridge adapter lists by the "as." prefix).
func Run(t *testing.T, newScheduler func(t *testing.T) schedule.Scheduler) {
	t.Run("PutCreates", func(t *testing.T) { testPutCreates(t, newScheduler(t)) })
	t.Run("PutReplacesWhole", func(t *testing.T) { testPutReplaces(t, newScheduler(t)) })
	t.Run("PutSameTwice", func(t *testing.T) { testPutSameTwice(t, newScheduler(t)) })
	t.Run("ReplaceHint", func(t *testing.T) { testReplaceHint(t, newScheduler(t)) })
	t.Run("Paused", func(t *testing.T) { testPaused(t, newScheduler(t)) })
	t.Run("GetMissing", func(t *testing.T) { testGetMissing(t, newScheduler(t)) })
	t.Run("DeleteMissing", func(t *testing.T) { testDeleteMissing(t, newScheduler(t)) })
	t.Run("DeleteThenGet", func(t *testing.T) { testDeleteThenGet(t, newScheduler(t)) })
	t.Run("DeleteThenPut", func(t *testing.T) { testDeleteThenPut(t, newScheduler(t)) })
	t.Run("ListMany", func(t *testing.T) { testListMany(t, newScheduler(t)) })
	t.Run("Invalid", func(t *testing.T) { testInvalid(t, newScheduler(t)) })
}

// Input is the executor input the suite schedules, shaped like production's.
func Input(account, channel string, task catalog.Task) json.RawMessage {
	b, err := json.Marshal(map[string]string{
		"account_id": account, "channel_id": channel, "task": string(task), "trigger": "schedule",
	})
	if err != nil {
		panic(err)
	}
	return b
}

func sample(account string) schedule.Schedule {
	return schedule.Schedule{
		Name:     schedule.Name(account, "ch1", catalog.ImportOrders),
		Interval: catalog.Every1h,
		Enabled:  true,
		Input:    Input(account, "ch1", catalog.ImportOrders),
	}
}

// Equal reports whether two schedules are the same, comparing inputs as
// JSON so an adapter may store them compacted.
func Equal(a, b schedule.Schedule) bool {
	return a.Name == b.Name && a.Interval == b.Interval && a.Enabled == b.Enabled &&
		bytes.Equal(compact(a.Input), compact(b.Input))
}

func compact(b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}

func show(s schedule.Schedule) string {
	return fmt.Sprintf("{Name:%s Interval:%s Enabled:%v Input:%s}", s.Name, s.Interval, s.Enabled, s.Input)
}

func mustPut(t *testing.T, sch schedule.Scheduler, s schedule.Schedule) {
	t.Helper()
	if err := sch.Put(t.Context(), s); err != nil {
		t.Fatalf("Put(%s): %v", show(s), err)
	}
}

func mustGet(t *testing.T, sch schedule.Scheduler, want schedule.Schedule) {
	t.Helper()
	got, err := sch.Get(t.Context(), want.Name)
	if err != nil {
		t.Fatalf("Get(%q): %v", want.Name, err)
	}
	if !Equal(got, want) {
		t.Fatalf("Get(%q):\n got %s\nwant %s", want.Name, show(got), show(want))
	}
	// What Put just wrote is what the adapter would write: no drift, or
	// repair would Put every schedule again on every pass.
	if got.Drift != "" {
		t.Fatalf("Get(%q) right after Put reports drift %q", want.Name, got.Drift)
	}
}

func mustNotFound(t *testing.T, sch schedule.Scheduler, name string) {
	t.Helper()
	got, err := sch.Get(t.Context(), name)
	if !errors.Is(err, schedule.ErrNotFound) {
		t.Fatalf("Get(%q) = %s, %v; want ErrNotFound", name, show(got), err)
	}
}

func mustList(t *testing.T, sch schedule.Scheduler, want ...string) {
	t.Helper()
	got, err := sch.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	got = slices.Clone(got)
	want = slices.Clone(want)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("List: got %d names, want %d\n got %v\nwant %v", len(got), len(want), got, want)
	}
}

func testPutCreates(t *testing.T, sch schedule.Scheduler) {
	s := sample("acct1")
	mustPut(t, sch, s)
	mustGet(t, sch, s)
	mustList(t, sch, s.Name)
}

func testPutReplaces(t *testing.T, sch schedule.Scheduler) {
	s := sample("acct1")
	mustPut(t, sch, s)

	// Every field changes at once: a partial update would leave one behind.
	r := schedule.Schedule{
		Name:     s.Name,
		Interval: catalog.Every10m,
		Enabled:  false,
		Input:    json.RawMessage(`{"account_id":"acct1","channel_id":"ch1","task":"import_orders","trigger":"schedule","note":"replaced"}`),
	}
	mustPut(t, sch, r)
	mustGet(t, sch, r)

	// And back, each interval in turn.
	for _, iv := range catalog.Intervals {
		s.Interval = iv
		mustPut(t, sch, s)
		mustGet(t, sch, s)
	}
	mustList(t, sch, s.Name)
}

func testPutSameTwice(t *testing.T, sch schedule.Scheduler) {
	// A retried Put (a crash after the call, a Lambda retry) must succeed.
	s := sample("acct1")
	mustPut(t, sch, s)
	mustPut(t, sch, s)
	mustGet(t, sch, s)
	mustList(t, sch, s.Name)
}

func testReplaceHint(t *testing.T, sch schedule.Scheduler) {
	// Replace is a hint: a schedule the caller wrongly believes exists
	// (lost by the Scheduler) is created, and an existing one replaced.
	s := sample("acct1")
	s.Replace = true
	mustPut(t, sch, s)
	mustGet(t, sch, s)
	s.Interval, s.Enabled = catalog.Every6h, false
	mustPut(t, sch, s)
	mustGet(t, sch, s)
	mustList(t, sch, s.Name)
}

func testPaused(t *testing.T, sch schedule.Scheduler) {
	// A channel needing re-authorization pauses its schedules; the pause
	// must survive a round trip and be undone by a later Put.
	s := sample("acct1")
	s.Enabled = false
	mustPut(t, sch, s)
	mustGet(t, sch, s)
	s.Enabled = true
	mustPut(t, sch, s)
	mustGet(t, sch, s)
	s.Enabled = false
	mustPut(t, sch, s)
	mustGet(t, sch, s)
	mustList(t, sch, s.Name)
}

func testGetMissing(t *testing.T, sch schedule.Scheduler) {
	mustNotFound(t, sch, schedule.Name("nobody", "ch1", catalog.ImportOrders))
	mustList(t, sch)
}

func testDeleteMissing(t *testing.T, sch schedule.Scheduler) {
	// Deleting what is already gone succeeds, so a repair or a retried
	// settings change can always delete.
	name := schedule.Name("nobody", "ch1", catalog.ImportOrders)
	if err := sch.Delete(t.Context(), name); err != nil {
		t.Fatalf("Delete(missing %q): %v", name, err)
	}
}

func testDeleteThenGet(t *testing.T, sch schedule.Scheduler) {
	s := sample("acct1")
	other := sample("acct2")
	mustPut(t, sch, s)
	mustPut(t, sch, other)
	if err := sch.Delete(t.Context(), s.Name); err != nil {
		t.Fatalf("Delete(%q): %v", s.Name, err)
	}
	mustNotFound(t, sch, s.Name)
	mustGet(t, sch, other)
	mustList(t, sch, other.Name)
	if err := sch.Delete(t.Context(), s.Name); err != nil {
		t.Fatalf("second Delete(%q): %v", s.Name, err)
	}
}

func testDeleteThenPut(t *testing.T, sch schedule.Scheduler) {
	// A merchant unticks a task and ticks it again: the schedule must come
	// back, identical to the one deleted.
	s := sample("acct1")
	mustPut(t, sch, s)
	if err := sch.Delete(t.Context(), s.Name); err != nil {
		t.Fatalf("Delete(%q): %v", s.Name, err)
	}
	mustPut(t, sch, s)
	mustGet(t, sch, s)
	mustList(t, sch, s.Name)
}

// listCount is more than one page of ListSchedules (at most 100 a page).
const listCount = 130

func testListMany(t *testing.T, sch schedule.Scheduler) {
	var names []string
	tasks := []catalog.Task{catalog.ImportOrders, catalog.WriteInventory, catalog.ImportProducts}
	for i := range listCount {
		account := fmt.Sprintf("acct%03d", i/len(tasks))
		task := tasks[i%len(tasks)]
		s := schedule.Schedule{
			Name:     schedule.Name(account, "ch1", task),
			Interval: catalog.Intervals[i%len(catalog.Intervals)],
			Enabled:  i%5 != 0, // paused schedules are listed too
			Input:    Input(account, "ch1", task),
		}
		mustPut(t, sch, s)
		names = append(names, s.Name)
	}
	// One long, hashed name, as schedule.Name makes for awkward ids.
	long := sample(strings.Repeat("x", 70))
	if !strings.HasPrefix(long.Name, "as.h.") {
		t.Fatalf("expected a hashed name, got %q", long.Name)
	}
	mustPut(t, sch, long)
	names = append(names, long.Name)
	mustList(t, sch, names...)
	mustPages(t, sch, names)

	for _, n := range names[:10] {
		if err := sch.Delete(t.Context(), n); err != nil {
			t.Fatalf("Delete(%q): %v", n, err)
		}
	}
	mustList(t, sch, names[10:]...)
}

// mustPages walks a Pager (when the adapter is one) in pages smaller than
// the set and checks it returns each name, and only those.
func mustPages(t *testing.T, sch schedule.Scheduler, want []string) {
	t.Helper()
	p, ok := sch.(schedule.Pager)
	if !ok {
		return
	}
	got := map[string]bool{}
	token, pages := "", 0
	for {
		names, next, err := p.ListPage(t.Context(), token, 50)
		if err != nil {
			t.Fatalf("ListPage(%q): %v", token, err)
		}
		if len(names) > 50 {
			t.Fatalf("ListPage returned %d names, limit 50", len(names))
		}
		for _, n := range names {
			got[n] = true
		}
		pages++
		if next == "" {
			break
		}
		if pages > len(want) {
			t.Fatalf("ListPage does not end after %d pages", pages)
		}
		token = next
	}
	if pages < 2 {
		t.Fatalf("%d names in %d page(s) of 50", len(want), pages)
	}
	if len(got) != len(want) {
		t.Fatalf("pages returned %d names, want %d", len(got), len(want))
	}
	for _, n := range want {
		if !got[n] {
			t.Fatalf("pages missed %q", n)
		}
	}
}

func testInvalid(t *testing.T, sch schedule.Scheduler) {
	good := sample("acct1")
	mustPut(t, sch, good)

	bad := func(mod func(*schedule.Schedule)) schedule.Schedule {
		s := good
		mod(&s)
		return s
	}
	cases := map[string]schedule.Schedule{
		"name of 65 characters": bad(func(s *schedule.Schedule) { s.Name = strings.Repeat("a", 65) }),
		"name with a space":     bad(func(s *schedule.Schedule) { s.Name = "as.a b.ch1.import_orders" }),
		"name with a slash":     bad(func(s *schedule.Schedule) { s.Name = "as.a/b.ch1.import_orders" }),
		"empty name":            bad(func(s *schedule.Schedule) { s.Name = "" }),
		"unknown interval":      bad(func(s *schedule.Schedule) { s.Interval = "5m" }),
		"empty interval":        bad(func(s *schedule.Schedule) { s.Interval = "" }),
		"input not JSON":        bad(func(s *schedule.Schedule) { s.Input = json.RawMessage(`{"account_id":`) }),
		"no input":              bad(func(s *schedule.Schedule) { s.Input = nil }),
		"input over 8192 bytes": bad(func(s *schedule.Schedule) {
			s.Input = json.RawMessage(`{"pad":"` + strings.Repeat("x", 8192) + `"}`)
		}),
	}
	for what, s := range cases {
		if err := sch.Put(t.Context(), s); !errors.Is(err, schedule.ErrInvalid) {
			t.Errorf("Put with %s: got %v, want ErrInvalid", what, err)
		}
	}
	// Nothing was created or changed by the refused Puts: an invalid
	// interval or input on a valid name left the existing schedule alone.
	mustGet(t, sch, good)
	mustList(t, sch, good.Name)

	// Get and Delete refuse names no schedule can have, rather than sending
	// them to the API (a slash would change the request path).
	for _, name := range []string{strings.Repeat("a", 65), "as.a b", "as.a/b", ""} {
		if _, err := sch.Get(t.Context(), name); !errors.Is(err, schedule.ErrInvalid) {
			t.Errorf("Get(%q): got %v, want ErrInvalid", name, err)
		}
		if err := sch.Delete(t.Context(), name); !errors.Is(err, schedule.ErrInvalid) {
			t.Errorf("Delete(%q): got %v, want ErrInvalid", name, err)
		}
	}
}
