package woocommercesim

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// listParams are the collection parameters WC_REST_CRUD_Controller
// registers, validated as WordPress validates them.
type listParams struct {
	page, perPage int
	offset        int
	hasOffset     bool
	orderby       string
	desc          bool
	gmt           bool
	// Date bounds are wall-clock times compared with the GMT or the local
	// column (dates_are_gmt), exclusive, to the second, as WP_Date_Query
	// compares them.
	after, before, modAfter, modBefore *time.Time
	include                            []int64
	exclude                            map[int64]bool
	fields                             []string
}

// dateRE is rest_parse_date's pattern.
var dateRE = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}(:\d{2})?)?$`)

// parseDate reads an ISO 8601 date as WordPress does. A date without a
// zone is a wall-clock time in whichever zone the column compared is in;
// one with a zone is converted to GMT first (WP_Date_Query runs strtotime
// in UTC), and is then compared with the column as it is.
func parseDate(s string) (time.Time, bool) {
	m := dateRE.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	layout := "2006-01-02T15:04:05"
	v := strings.Replace(s, " ", "T", 1)
	v = strings.Replace(v, "t", "T", 1)
	if m[7] != "" {
		v = strings.Replace(v, m[7], "", 1)
	}
	zone := m[8]
	if zone != "" {
		v = strings.TrimSuffix(v, zone)
	}
	t, err := time.Parse(layout, v)
	if err != nil {
		return time.Time{}, false
	}
	if zone != "" && zone != "Z" {
		sign := 1
		if zone[0] == '-' {
			sign = -1
		}
		h, _ := strconv.Atoi(zone[1:3])
		mi := 0
		if len(zone) > 3 {
			mi, _ = strconv.Atoi(zone[4:6])
		}
		t = t.Add(-time.Duration(sign) * (time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute))
	}
	return t, true
}

// splitList reads a WordPress list parameter: repeated values, "a[]"
// values, or comma/space separated ones (wp_parse_list).
func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
			if p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func listValues(q url.Values, name string) []string {
	return splitList(append(slices.Clone(q[name]), q[name+"[]"]...))
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "1":
		return true, true
	case "false", "0", "":
		return false, true
	}
	return false, false
}

// parseList validates the collection parameters; on failure it has
// answered the request.
func parseList(w http.ResponseWriter, r *http.Request, orderbys []string, defaultOrderby, defaultOrder string) (*listParams, bool) {
	q := r.URL.Query()
	p := &listParams{page: 1, perPage: 10, orderby: defaultOrderby, desc: defaultOrder == "desc"}
	intParam := func(name string, min, max int, dst *int) bool {
		s := q.Get(name)
		if s == "" {
			return true
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			invalidParam(w, name, name+" is not of type integer.")
			return false
		}
		if n < min || n > max {
			invalidParam(w, name, fmt.Sprintf("%s must be between %d (inclusive) and %d (inclusive)", name, min, max))
			return false
		}
		*dst = n
		return true
	}
	if !intParam("page", 1, 1<<30, &p.page) || !intParam("per_page", 1, 100, &p.perPage) {
		return nil, false
	}
	if s := q.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			invalidParam(w, "offset", "offset is not of type integer.")
			return nil, false
		}
		p.offset, p.hasOffset = max(n, -n), true // absint
	}
	if s := q.Get("orderby"); s != "" {
		if !slices.Contains(orderbys, s) {
			invalidParam(w, "orderby", "orderby is not one of "+strings.Join(orderbys, ", ")+".")
			return nil, false
		}
		p.orderby = s
	}
	if s := q.Get("order"); s != "" {
		if s != "asc" && s != "desc" {
			invalidParam(w, "order", "order is not one of asc, desc.")
			return nil, false
		}
		p.desc = s == "desc"
	}
	gmt, ok := parseBool(q.Get("dates_are_gmt"))
	if !ok {
		invalidParam(w, "dates_are_gmt", "dates_are_gmt is not of type boolean.")
		return nil, false
	}
	p.gmt = gmt
	for _, d := range []struct {
		name string
		dst  **time.Time
	}{{"after", &p.after}, {"before", &p.before}, {"modified_after", &p.modAfter}, {"modified_before", &p.modBefore}} {
		s := q.Get(d.name)
		if s == "" {
			continue
		}
		t, ok := parseDate(s)
		if !ok {
			invalidParam(w, d.name, "Invalid date.")
			return nil, false
		}
		t = t.Truncate(time.Second)
		*d.dst = &t
	}
	// wp_parse_id_list: absolute values, what is not a number dropped.
	for _, v := range listValues(q, "include") {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			p.include = append(p.include, max(n, -n))
		}
	}
	for _, v := range listValues(q, "exclude") {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			if p.exclude == nil {
				p.exclude = map[int64]bool{}
			}
			p.exclude[max(n, -n)] = true
		}
	}
	p.fields = fieldFilter(r)
	return p, true
}

// wall returns t as the wall clock of the column compared: GMT, or the
// site's local time, as a zone-less (UTC) time.
func (s *Server) wall(t time.Time, gmt bool) time.Time {
	if gmt {
		return t.UTC()
	}
	l := t.In(s.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

// matchDates applies the date and id filters to one object.
func (s *Server) matchDates(p *listParams, id int64, created, modified time.Time) bool {
	c, m := s.wall(created, p.gmt), s.wall(modified, p.gmt)
	switch {
	case p.after != nil && !c.After(*p.after),
		p.before != nil && !c.Before(*p.before),
		p.modAfter != nil && !m.After(*p.modAfter),
		p.modBefore != nil && !m.Before(*p.modBefore):
		return false
	case len(p.include) > 0 && !slices.Contains(p.include, id),
		p.exclude[id]:
		return false
	}
	return true
}

// page cuts one page out of n items and sets the page headers as
// WC_REST_CRUD_Controller::get_items does: X-WP-Total and X-WP-TotalPages
// count the whole result (an offset does not change them), and the Link
// header's prev/next are built from the page parameter.
func (p *listParams) window(w http.ResponseWriter, r *http.Request, n int) (from, to int) {
	start := (p.page - 1) * p.perPage
	if p.hasOffset {
		start = p.offset
	}
	pages := (n + p.perPage - 1) / p.perPage
	h := w.Header()
	h.Set("X-WP-Total", strconv.Itoa(n))
	h.Set("X-WP-TotalPages", strconv.Itoa(pages))
	base := *r.URL
	base.Scheme, base.Host = "http", r.Host
	if r.TLS != nil {
		base.Scheme = "https"
	}
	link := func(page int, rel string) {
		u := base
		q := u.Query()
		q.Set("page", strconv.Itoa(page))
		u.RawQuery = q.Encode()
		h.Add("Link", "<"+u.String()+`>; rel="`+rel+`"`)
	}
	if p.page > 1 {
		link(min(p.page-1, max(pages, 1)), "prev")
	}
	if pages > p.page {
		link(p.page+1, "next")
	}
	from = min(start, n)
	return from, min(from+p.perPage, n)
}
