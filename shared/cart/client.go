package cart

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
)

// HTTPClient is the client a connector sends with: a copy of given (nil:
// a default client) that follows no redirect, so a redirected API call is
// reported rather than silently sent elsewhere with its credentials.
func HTTPClient(given *http.Client) *http.Client {
	hc := &http.Client{}
	if given != nil {
		c := *given
		hc = &c
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return hc
}

// IsLoopback says whether host (a URL's Hostname) is this machine: where a
// connector may speak plain HTTP to a local simulator.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// OrderStatuses is the statuses q asks for: q.Statuses, or defaults when
// the channel sets none (nil). An empty list set on purpose imports
// nothing, which is refused.
func OrderStatuses(q OrderQuery, defaults func() []string) ([]string, error) {
	in := q.Statuses
	if in == nil {
		in = defaults()
	}
	if len(in) == 0 {
		return nil, &Error{Message: "no order statuses are set for this channel"}
	}
	return in, nil
}

// QueryStatuses is the statuses q asks for in the cart's own form, once
// each, in order: cancelled for a cancelled query, else OrderStatuses each
// read by parse. A value parse refuses is an error saying it is not what
// ("a Squarespace fulfillment status (PENDING, FULFILLED or CANCELED)").
func QueryStatuses[T comparable](q OrderQuery, defaults func() []string, cancelled []T, what string, parse func(string) (T, bool)) ([]T, error) {
	if q.Cancelled {
		return cancelled, nil
	}
	in, err := OrderStatuses(q, defaults)
	if err != nil {
		return nil, err
	}
	var out []T
	for _, s := range in {
		v, ok := parse(s)
		if !ok {
			return nil, &Error{Message: fmt.Sprintf("order status %q is not %s", s, what)}
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}
