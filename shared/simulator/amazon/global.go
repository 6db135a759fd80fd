package amazonsim

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"

	"github.com/autosync/autosync/shared/cart/amazon/region"
)

// LWAHost is Login with Amazon's host, one for every region.
const LWAHost = "api.amazon.com"

// Global is Amazon as an application sees it from anywhere: the Login with
// Amazon host and one Server per selling region's SP-API host (production
// and sandbox), all for the same seller. Its RoundTrip sends each request
// to the Server of the host it names, in process, and records the host, so
// a test can use Amazon's real URLs and see where every call went.
type Global struct {
	servers map[region.Region]*Server
	mu      sync.Mutex
	hosts   []string
}

// defaultMarketplaces are where a Global's seller sells in a region no
// marketplace was given for: amazon.com, amazon.co.uk, amazon.co.jp.
var defaultMarketplaces = map[region.Region]string{
	region.NorthAmerica: DefaultMarketplaceID, region.Europe: "A1F83G8C2ARO7P", region.FarEast: "A1VC38T7YXB528"}

// NewGlobal returns one Server per region: the seller sells in the given
// marketplaces (at most one a region; defaultMarketplaces for the others). opts is every Server's
// configuration but for MarketplaceID, Region and Issuer. The North
// America Server issues the LWA tokens every region accepts.
func NewGlobal(opts Options, marketplaces ...string) *Global {
	chosen := map[region.Region]string{}
	for _, id := range marketplaces {
		m, ok := region.Lookup(id)
		if !ok {
			panic(fmt.Sprintf("amazonsim: %q is not a marketplace id", id))
		}
		if _, dup := chosen[m.Region]; dup {
			panic(fmt.Sprintf("amazonsim: two marketplaces of region %s", m.Region))
		}
		chosen[m.Region] = id
	}
	for r, id := range defaultMarketplaces {
		if _, ok := chosen[r]; !ok {
			chosen[r] = id
		}
	}
	g := &Global{servers: map[region.Region]*Server{}}
	na := opts
	na.MarketplaceID, na.Region, na.Issuer = chosen[region.NorthAmerica], "", nil
	g.servers[region.NorthAmerica] = New(na)
	for _, r := range []region.Region{region.Europe, region.FarEast} {
		o := opts
		o.MarketplaceID, o.Region, o.Issuer = chosen[r], "", g.servers[region.NorthAmerica]
		g.servers[r] = New(o)
	}
	return g
}

// Server is the Server playing region r's host.
func (g *Global) Server(r region.Region) *Server { return g.servers[r] }

// Hosts lists the host of every request sent through g, in order.
func (g *Global) Hosts() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.hosts)
}

// Client is an HTTP client whose every request goes through g.
func (g *Global) Client() *http.Client { return &http.Client{Transport: g} }

// RoundTrip serves r with the Server of its host: api.amazon.com is Login
// with Amazon (the North America Server's token endpoint), and
// [sandbox.]sellingpartnerapi-{na,eu,fe}.amazon.com the region's Server.
// Any other host fails, as an unknown name would.
func (g *Global) RoundTrip(r *http.Request) (*http.Response, error) {
	host := r.URL.Hostname()
	g.mu.Lock()
	g.hosts = append(g.hosts, host)
	g.mu.Unlock()
	var s *Server
	switch {
	case host == LWAHost:
		if r.URL.Path != "/auth/o2/token" {
			return nil, fmt.Errorf("amazonsim: %s serves /auth/o2/token only", LWAHost)
		}
		s = g.servers[region.NorthAmerica]
	default:
		for reg, srv := range g.servers {
			if host == reg.Host(false) || host == reg.Host(true) {
				s = srv
			}
		}
	}
	if s == nil {
		return nil, fmt.Errorf("amazonsim: no such host %q", host)
	}
	in := r.Clone(r.Context())
	// Presigned document URLs are built from the host and from whether
	// the request came over TLS.
	in.Host = r.URL.Host
	if r.URL.Scheme == "https" {
		in.TLS = &tls.ConnectionState{ServerName: host}
	}
	in.RequestURI = r.URL.RequestURI()
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, in)
	resp := rec.Result()
	resp.Request = r
	if strings.EqualFold(resp.Header.Get("Connection"), "close") {
		resp.Close = true
	}
	return resp, nil
}
