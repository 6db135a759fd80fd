package devserver

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/autosync/autosync/shared/auth"
)

// TestDevRoutesInput: the /dev routes refuse what the API refuses —
// malformed channel ids (404, never a store error), tokens without a
// scope, other accounts' channels — and /dev/token refuses an account id
// it would have trimmed.
func TestDevRoutesInput(t *testing.T) {
	c, srv := startDemo(t, 1)
	var chans struct{ Channels []struct{ ID, Type string } }
	c.do("GET", "/v1/channels", nil, &chans)
	demoCh := chans.Channels[0].ID
	issue := func(account, scope string) string {
		tok, err := srv.tokens.Issue(account, scope, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	noScope := client{t: t, base: c.base, token: issue(DemoAccount, "")}
	oddScope := client{t: t, base: c.base, token: issue(DemoAccount, "autosync/other")}
	other := client{t: t, base: c.base, token: issue("someone-else", auth.ScopeMerchant)}
	huge := strings.Repeat("a", 3000)
	for _, tc := range []struct {
		name   string
		c      client
		method string
		path   string
		want   int
	}{
		{"odd id inventory", c, "GET", "/dev/channels/%ff/inventory", 404},
		{"odd id order", c, "POST", "/dev/channels/%ff/orders", 404},
		{"huge id", c, "GET", "/dev/channels/" + huge + "/inventory", 404},
		{"control id", c, "GET", "/dev/channels/ch_%00%01/inventory", 404},
		{"no scope", noScope, "GET", "/dev/channels/" + demoCh + "/inventory", 403},
		{"unknown scope", oddScope, "POST", "/dev/channels/" + demoCh + "/orders", 403},
		{"foreign account", other, "GET", "/dev/channels/" + demoCh + "/inventory", 404},
		{"foreign account order", other, "POST", "/dev/channels/" + demoCh + "/orders", 404},
		{"own channel", c, "GET", "/dev/channels/" + demoCh + "/inventory", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.t = t
			if code := tc.c.do(tc.method, tc.path, nil, nil); code != tc.want {
				t.Fatalf("%s %s: %d, want %d", tc.method, tc.path, code, tc.want)
			}
		})
	}
	for _, acct := range []string{" demo ", "demo\n", "de\x00mo", "\xff", huge} {
		if code := c.do("POST", "/dev/token", map[string]string{"account_id": acct}, nil); code != http.StatusUnprocessableEntity {
			t.Errorf("token for account %.20q: %d, want 422", acct, code)
		}
	}
}

// TestTricklingBodyCutOff: a client that sends its body a byte at a time
// is cut off once the read timeout passes (only a header timeout was set,
// so 2,000 such clients were held forever).
func TestTricklingBodyCutOff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	limits := HTTPLimits{ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 300 * time.Millisecond}
	go func() {
		done <- Run(ctx, Options{Addr: "127.0.0.1:0", Data: t.TempDir(), HTTP: limits,
			Log:   slog.New(slog.NewJSONHandler(io.Discard, nil)),
			Ready: func(_ *Server, base, _ string) { ready <- strings.TrimPrefix(base, "http://") }}, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	addr := <-ready
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /dev/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	stop := make(chan struct{})
	defer close(stop)
	go func() { // one byte every 20 ms: never idle long enough for an idle timeout
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	// The server answers (or just closes) and the connection ends; a
	// server without a read timeout would keep reading for 2,000 s.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("trickled body answered %d, want a 4xx", resp.StatusCode)
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the trickling connection was still open after %s", time.Since(start))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cut off after %s, want about %s", d, limits.ReadTimeout)
	}
}

// TestHTTPLimitsDefaults: every limit is set when Options leave them zero.
func TestHTTPLimitsDefaults(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler(), HTTPLimits{})
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 || srv.MaxHeaderBytes == 0 {
		t.Fatalf("unset limits: %+v", srv)
	}
	// The body limit: a body over it is refused before a handler buffers it.
	big := strings.NewReader(strings.Repeat("x", int(DefaultHTTPLimits.MaxBody)+1))
	h := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		}
	}), HTTPLimits{}).Handler
	r, _ := http.NewRequest("POST", "/", big)
	w := &statusRecorder{header: http.Header{}}
	h.ServeHTTP(w, r)
	if w.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a body over the limit: %d", w.status)
	}
}

type statusRecorder struct {
	header http.Header
	status int
}

func (s *statusRecorder) Header() http.Header         { return s.header }
func (s *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusRecorder) WriteHeader(code int)        { s.status = code }

// The /dev routes, /dev/token above all (it mints any account's admin
// token), answer only a caller on this machine that names a loopback host:
// a page the merchant visits cannot get a token by DNS rebinding (its
// requests name the attacker's host), nor can the network when the server
// listens on 0.0.0.0. The API's own routes are unaffected.
func TestDevRoutesAnswerOnlyLocalCallers(t *testing.T) {
	c, srv := startDemo(t, 1)
	h := srv.App.API.Handler()
	body := `{"account_id":"demo","scope":"autosync/admin"}`
	for _, tc := range []struct {
		name, host, remote string
		want               int
	}{
		{"loopback ip", "127.0.0.1:8080", "127.0.0.1:50000", 200},
		{"localhost", "localhost:8080", "[::1]:50000", 200},
		{"ipv6 loopback", "[::1]:8080", "[::1]:50000", 200},
		{"rebound name", "evil.example:8080", "127.0.0.1:50000", 403},
		{"rebound name without port", "evil.example", "127.0.0.1:50000", 403},
		{"from the network", "127.0.0.1:8080", "192.0.2.7:50000", 403},
		{"lan address", "192.168.1.20:8080", "192.168.1.30:50000", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/dev/token", strings.NewReader(body))
			r.Host, r.RemoteAddr = tc.host, tc.remote
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("%d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if tc.want != 200 && strings.Contains(w.Body.String(), "token\":\"") {
				t.Fatal("a token was handed out")
			}
		})
	}
	// The API's routes keep answering by their token alone.
	var chans struct{ Channels []struct{ ID string } }
	if code := c.do("GET", "/v1/channels", nil, &chans); code != 200 || len(chans.Channels) == 0 {
		t.Fatalf("GET /v1/channels: %d", code)
	}
}
