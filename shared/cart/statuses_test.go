package cart

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestQueryStatuses(t *testing.T) {
	defaults := func() []string { return []string{"1", "2"} }
	parse := func(s string) (int, bool) {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		return n, err == nil && n > 0
	}
	for _, tc := range []struct {
		q    OrderQuery
		want []int
		err  string
	}{
		{OrderQuery{}, []int{1, 2}, ""},
		{OrderQuery{Statuses: []string{" 3", "3", "1"}}, []int{3, 1}, ""},
		{OrderQuery{Cancelled: true, Statuses: []string{"x"}}, []int{9}, ""},
		{OrderQuery{Statuses: []string{"1", "x"}}, nil, `order status "x" is not a positive number`},
		{OrderQuery{Statuses: []string{}}, nil, "no order statuses are set for this channel"},
	} {
		got, err := QueryStatuses(tc.q, defaults, []int{9}, "a positive number", parse)
		if !reflect.DeepEqual(got, tc.want) || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%+v: %v, %v; want %v, %q", tc.q, got, err, tc.want, tc.err)
		}
	}
}
