package ui

import (
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/runs"
)

// Every status the API reports has a label and a colour in Activity, and
// every count bucket is shown: a run's counts add up on the page as they do
// in the API (finding 5), and an interrupted run reads as such (finding 1).
func TestActivityKnowsEveryStatusAndCount(t *testing.T) {
	js := body(t, serve(t, http.MethodGet, AssetURL("app.js"), nil))
	css := body(t, serve(t, http.MethodGet, AssetURL("app.css"), nil))
	labels := regexp.MustCompile(`(?s)const STATUS_LABELS = \{(.*?)\};`).FindStringSubmatch(js)
	counts := regexp.MustCompile(`(?s)const COUNT_LABELS = \[(.*?)\];`).FindStringSubmatch(js)
	if labels == nil || counts == nil {
		t.Fatal("app.js has no STATUS_LABELS or COUNT_LABELS")
	}
	for _, s := range []runs.Status{runs.Queued, runs.Running, runs.Succeeded, runs.Partial, runs.Failed, runs.Skipped, runs.Interrupted} {
		if !regexp.MustCompile(`\b` + string(s) + `: '[^']+'`).MatchString(labels[1]) {
			t.Errorf("status %q has no label in Activity", s)
		}
		if !strings.Contains(css, ".status-"+string(s)+" {") {
			t.Errorf("status %q has no colour (.status-%s)", s, s)
		}
	}
	ct := reflect.TypeOf(runs.Counts{})
	for i := 0; i < ct.NumField(); i++ {
		tag := strings.Split(ct.Field(i).Tag.Get("json"), ",")[0]
		if !strings.Contains(counts[1], "['"+tag+"', ") {
			t.Errorf("count %q is not shown in Activity", tag)
		}
	}
}
