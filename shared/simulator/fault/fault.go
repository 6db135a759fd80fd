// Package fault holds the failures the simulators inject the way carts,
// and the proxies and networks in front of them, fail: an HTML error page
// instead of the API's JSON, a connection dropped without an answer, an
// answer that comes late.
package fault

import (
	"fmt"
	"net/http"
	"time"

	"github.com/autosync/autosync/shared/clock"
)

// HTMLError answers status with the HTML page a load balancer or proxy
// sends, not the cart's own error document.
func HTMLError(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>\n", status, http.StatusText(status))
}

// Drop closes the connection without an answer.
func Drop(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
		return
	}
	panic(http.ErrAbortHandler) // net/http closes the connection for us
}

// Delay holds the answer back for d. It reports false when the client
// gave up meanwhile, and the handler should then not answer.
func Delay(r *http.Request, d time.Duration) bool {
	return clock.Sleep(r.Context(), d) == nil
}
