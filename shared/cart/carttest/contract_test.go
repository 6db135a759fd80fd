package carttest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRecorder(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, string(b))
	}))
	defer srv.Close()
	rec := &Recorder{Next: http.DefaultTransport}
	c := &http.Client{Transport: rec}
	for _, body := range []string{`{"items":[1,2]}`, ""} {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/v3/x", rd)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	reqs := rec.Requests()
	if len(reqs) != 2 || reqs[0].Method != http.MethodPost || reqs[0].Path != "/v3/x" ||
		string(reqs[0].Body) != `{"items":[1,2]}` || reqs[1].Body != nil {
		t.Errorf("recorded %+v", reqs)
	}
	if len(got) != 2 || got[0] != `{"items":[1,2]}` || got[1] != "" {
		t.Errorf("the server received %q; want the bodies unchanged", got)
	}
}
