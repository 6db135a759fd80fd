package httpapi_test

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzPathIDs puts arbitrary ids into every wildcard of every route the
// mux lists (admin routes with a support token): never a 5xx, never a
// panic, whatever the id (oversized, not UTF-8, control characters, "..").
func FuzzPathIDs(f *testing.F) {
	fe := newFuzzEnv(f)
	admin := fe.admin()
	for _, s := range []string{"ch_0000000000000000", "\xff", "..", "", " acct-a ", strings.Repeat("a", 3000), "a\x00b", "店\u202e", "%ff", "acct-a", "$CH1", "import_orders"} {
		f.Add(s)
	}
	routes := fe.app.API.Routes()
	f.Fuzz(func(t *testing.T, id string) {
		id = strings.ReplaceAll(id, "$CH1", fe.ch1)
		for _, pattern := range routes {
			method, path, ok := strings.Cut(pattern, " ")
			if !ok || !strings.Contains(path, "{") {
				continue
			}
			segs := strings.Split(path, "/")
			for i, seg := range segs {
				if !strings.HasPrefix(seg, "{") {
					continue
				}
				filled := make([]string, len(segs))
				for j, s := range segs {
					switch {
					case j == i:
						filled[j] = url.PathEscape(id)
					case s == "{account_id}":
						filled[j] = acctA
					case s == "{channel_id}":
						filled[j] = fe.ch1
					case s == "{task}":
						filled[j] = "import_orders"
					case strings.HasPrefix(s, "{"):
						filled[j] = "x"
					default:
						filled[j] = s
					}
				}
				tok := fe.tok
				if strings.HasPrefix(path, "/v1/admin/") {
					tok = admin
				}
				body := ""
				if method == "PUT" || method == "POST" {
					body = `{}`
				}
				rec := fe.serveTB(t, req{method: method, path: strings.Join(filled, "/"), token: tok, body: body})
				if rec.Code >= 500 {
					t.Fatalf("%s %q answered %d: %s", method, strings.Join(filled, "/"), rec.Code, rec.Body)
				}
			}
		}
	})
}
