package carttest

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/autosync/autosync/shared/simulator/apispec"
)

// SpecServer is a stand-in cart that knows only the cart's published
// OpenAPI documents: it checks every request against them and answers
// with the documents' own example responses. A connector driven against it
// proves each request it sends is one the published schema accepts, and
// that it reads the published examples.
type SpecServer struct {
	URL string

	t     testing.TB
	specs apispec.Set
	opts  SpecServerOptions

	mu   sync.Mutex
	seen []string
}

// SpecServerOptions adapt the server to a cart.
type SpecServerOptions struct {
	// Path maps a wire path to the path the documents describe (dropping
	// a store segment, say); false answers 404. Nil keeps the path.
	Path func(wire string) (string, bool)
	// Answer replaces the published example for a request, for operations
	// the documents give no example for; ok false uses the example.
	Answer func(r *http.Request, body []byte) (status int, resp []byte, ok bool)
	// Errata adjusts a request, before it is checked, for a defect in the
	// published document itself (an enum its own description contradicts);
	// each use names the defect.
	Errata func(r *http.Request)
}

// NewSpecServer starts the server; it is closed, and any request the
// documents refuse or do not describe fails t, when the test ends.
func NewSpecServer(t testing.TB, specs apispec.Set, opts SpecServerOptions) *SpecServer {
	t.Helper()
	s := &SpecServer{t: t, specs: specs, opts: opts}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Seen lists the requests served, as "METHOD path".
func (s *SpecServer) Seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

func (s *SpecServer) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	path := r.URL.Path
	if s.opts.Path != nil {
		var ok bool
		if path, ok = s.opts.Path(path); !ok {
			s.t.Errorf("request to %s %s: not a path of this cart", r.Method, r.URL.Path)
			http.NotFound(w, r)
			return
		}
	}
	req := r.Clone(r.Context())
	req.URL.Path = path
	checked := req
	if s.opts.Errata != nil {
		checked = req.Clone(r.Context())
		u := *req.URL
		checked.URL = &u
		s.opts.Errata(checked)
	}
	s.mu.Lock()
	s.seen = append(s.seen, r.Method+" "+path)
	s.mu.Unlock()
	if err := s.specs.Check(r.Context(), checked, body); err != nil {
		var v *apispec.Violation
		if errors.As(err, &v) {
			s.t.Errorf("request the published schema refuses: %v\nbody: %s", err, body)
		} else {
			s.t.Errorf("request the published documents do not describe: %v", err)
		}
		http.Error(w, "refused by the published schema", http.StatusBadRequest)
		return
	}
	if s.opts.Answer != nil {
		if status, resp, ok := s.opts.Answer(req, body); ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write(resp)
			return
		}
	}
	status, resp, err := s.specs.Answer(r.Method, path)
	if err != nil {
		s.t.Errorf("no published example to answer %s %s with: %v", r.Method, path, err)
		http.Error(w, "no example", http.StatusNotImplemented)
		return
	}
	if resp != nil {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	w.Write(resp)
}
