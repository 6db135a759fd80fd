package testkit

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestEventually(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		go func() {
			time.Sleep(time.Second)
			n.Store(1)
		}()
		start := time.Now()
		if !Eventually(time.Minute, func() bool { return n.Load() == 1 }) {
			t.Fatal("the condition that came true was not seen")
		}
		if waited := time.Since(start); waited < time.Second || waited > time.Second+time.Second/10 {
			t.Errorf("waited %v; want about the second it took", waited)
		}
		start = time.Now()
		if Eventually(time.Minute, func() bool { return false }) {
			t.Fatal("a condition that never holds was reported true")
		}
		if waited := time.Since(start); waited < time.Minute {
			t.Errorf("gave up after %v; want the whole minute", waited)
		}
	})
}

func TestTransport(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Host", r.Host)
			w.Header().Set("X-URI", r.RequestURI)
			w.WriteHeader(http.StatusCreated)
			w.Write(append([]byte(r.Method+" "), b...))
		case "/drop":
			panic(http.ErrAbortHandler)
		case "/slow":
			<-r.Context().Done()
		}
	})
	c := Client(h)
	resp, err := c.Post("http://shop.test/echo?a=1", "text/plain", strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 || string(b) != "POST body" || resp.Header.Get("X-Host") != "shop.test" || resp.Header.Get("X-URI") != "/echo?a=1" {
		t.Errorf("got %d %q host %q uri %q", resp.StatusCode, b, resp.Header.Get("X-Host"), resp.Header.Get("X-URI"))
	}
	if _, err := c.Get("http://shop.test/drop"); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("dropped: err = %v; want io.ErrUnexpectedEOF", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://shop.test/slow", nil)
	go cancel()
	if _, err := c.Do(req); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v; want context.Canceled", err)
	}
}
