package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/autosync/autosync/shared/catalog"
)

// TestConcurrentRequests races merchants' saves, runs and reads on the same
// tasks: every answer is a success or a 409 conflict (never a 5xx), and
// after a repair the schedules match the modal exactly.
func TestConcurrentRequests(t *testing.T) {
	f := newFixture(t)
	tok := f.merchant(acctA)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	var refused []*httptest.ResponseRecorder
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 6 {
				var r req
				switch (g + i) % 4 {
				case 0, 1:
					ch := []string{f.a1, f.a2}[g%2]
					r = req{method: "PUT", path: "/v1/sync", token: tok,
						body: fmt.Sprintf(`{"tasks":[{"channel_id":%q,"task":"import_orders","enabled":%v}]}`, ch, (g+i)%2 == 0)}
				case 2:
					r = req{method: "POST", path: "/v1/sync/runs", token: tok,
						body: fmt.Sprintf(`{"runs":[{"channel_id":%q,"task":"import_orders"}]}`, f.a1)}
				case 3:
					r = req{method: "GET", path: "/v1/sync", token: tok}
				}
				rec := f.serveTB(t, r)
				mu.Lock()
				codes[rec.Code]++
				if rec.Code >= 300 {
					refused = append(refused, rec)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("answers: %v", codes)
	for _, rec := range refused {
		checkErr(t, rec, http.StatusConflict, "conflict")
	}
	if _, err := f.app.Settings.Repair(context.Background()); err != nil {
		t.Fatal(err)
	}
	var m modalJSON
	f.call("GET", "/v1/sync", tok, nil, http.StatusOK, &m)
	scheds := f.schedulesOf(acctA)
	for _, ch := range []string{f.a1, f.a2} {
		ts, _ := m.task(ch, catalog.ImportOrders)
		s, ok := scheds[ch+"/import_orders"]
		if ts.Enabled != ok || (ok && !s.Enabled) || (ts.NextRunAt != nil) != ts.Enabled {
			t.Errorf("%s: modal %+v, schedule %+v (present %v)", ch, ts, s, ok)
		}
	}
	if len(scheds) > 2 {
		t.Errorf("stray schedules: %v", scheds)
	}
}
