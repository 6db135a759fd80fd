package cart

import (
	"net/url"
	"slices"
)

// AppendImages appends to urls each of more that is an absolute http(s)
// URL and not in urls yet: a listing's images, in the cart's order.
func AppendImages(urls []string, more ...string) []string {
	for _, u := range more {
		if p, err := url.Parse(u); err == nil && (p.Scheme == "https" || p.Scheme == "http") && p.Host != "" && !slices.Contains(urls, u) {
			urls = append(urls, u)
		}
	}
	return urls
}
