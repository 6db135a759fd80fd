package carttest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// LoopbackClient is an HTTP client that reaches only loopback addresses:
// tests hand it to connectors so that a channel pointing at a real cart's
// host fails at once with a transport error instead of sending traffic off
// the machine. The host is checked before any name is resolved.
func LoopbackClient() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("carttest: refusing to dial %s: tests reach loopback addresses only", host)
		}
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}
