package shopifysim

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseSearch(t *testing.T) {
	tests := []struct {
		in   string
		want string // canonical form; "" means nil (match all)
		err  bool
	}{
		{in: "", want: ""},
		{in: "   \t", want: ""},
		{in: "status:open", want: "status:'open'"},
		{in: "updated_at:>'2025-01-01T00:00:00Z'", want: "updated_at:>'2025-01-01T00:00:00Z'"},
		{in: `updated_at:>="2025-01-01T00:00:00Z"`, want: "updated_at:>='2025-01-01T00:00:00Z'"},
		{in: "updated_at:<2025-01-01T00:00:00Z", want: "updated_at:<'2025-01-01T00:00:00Z'"},
		{in: "id:<=5", want: "id:<='5'"},
		{in: "a b", want: "('a' AND 'b')"},
		{in: "a AND b", want: "('a' AND 'b')"},
		{in: "a OR b", want: "('a' OR 'b')"},
		{in: "a AND b OR c", want: "(('a' AND 'b') OR 'c')"},
		{in: "a OR b c", want: "('a' OR ('b' AND 'c'))"},
		{in: "(a OR b) c", want: "(('a' OR 'b') AND 'c')"},
		{in: "(a OR b)(c OR d)", want: "(('a' OR 'b') AND ('c' OR 'd'))"},
		{in: " ( ( a ) ) ", want: "'a'"},
		{in: "-status:open", want: "NOT status:'open'"},
		{in: "NOT status:open", want: "NOT status:'open'"},
		{in: "NOT (a OR b)", want: "NOT ('a' OR 'b')"},
		{in: "- a", want: "('-' AND 'a')"},
		{in: "NOT", want: "'NOT'"},
		{in: "and or", want: "('and' AND 'or')"},
		{in: `tag:"it's"`, want: `tag:'it\'s'`},
		{in: `tag:'a\'b'`, want: `tag:'a\'b'`},
		{in: `tag:'a b'`, want: "tag:'a b'"},
		{in: "status:open (financial_status:paid OR financial_status:authorized)",
			want: "(status:'open' AND (financial_status:'paid' OR financial_status:'authorized'))"},
		{in: "(a", err: true},
		{in: "a)", err: true},
		{in: "()", err: true},
		{in: "status:", err: true},
		{in: "status: open", err: true},
		{in: "'unterminated", err: true},
		{in: "OR a", err: true},
		{in: "a OR", err: true},
		{in: "a AND", err: true},
		{in: "a AND OR b", err: true},
		{in: ":x", err: true},
		{in: `a\b`, err: true},
		{in: strings.Repeat("(", 200) + "a" + strings.Repeat(")", 200), err: true},
		{in: strings.Repeat("-", 200) + "a", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := parseSearch(tt.in)
			if tt.err {
				var se *SearchSyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("parseSearch(%q) = %v, %v; want a SearchSyntaxError", tt.in, e, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseSearch(%q): %v", tt.in, err)
			}
			got := ""
			if e != nil {
				got = e.String()
			}
			if got != tt.want {
				t.Errorf("parseSearch(%q) = %s; want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestOrderSearch(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	orders := []*order{
		{id: 1, number: 1001, updatedAt: at("2025-01-01T00:00:00Z"), financial: Paid, fulfillment: Unfulfilled, tags: []string{"vip"}},
		{id: 2, number: 1002, updatedAt: at("2025-01-01T12:00:00Z"), financial: Authorized, fulfillment: PartiallyFulfilled},
		{id: 3, number: 1003, updatedAt: at("2025-01-02T00:00:00Z"), financial: Paid, fulfillment: Fulfilled, closed: true},
		{id: 4, number: 1004, updatedAt: at("2025-01-03T00:00:00Z"), financial: Voided, fulfillment: Unfulfilled, closed: true, cancelledAt: at("2025-01-03T00:00:00Z")},
		{id: 5, number: 1005, updatedAt: at("2025-01-04T00:00:00Z"), financial: Pending, fulfillment: Unfulfilled, tags: []string{"Rush"}},
	}
	tests := []struct {
		query string
		want  []int64
		warn  []string // fields warned about
	}{
		{"", []int64{1, 2, 3, 4, 5}, nil},
		{"status:open", []int64{1, 2, 5}, nil},
		{"status:closed", []int64{3, 4}, nil},
		{"status:cancelled", []int64{4}, nil},
		{"status:any", []int64{1, 2, 3, 4, 5}, nil},
		{"financial_status:paid", []int64{1, 3}, nil},
		{"fulfillment_status:unshipped", []int64{1, 4, 5}, nil},
		{"fulfillment_status:partial", []int64{2}, nil},
		{"fulfillment_status:unfulfilled", []int64{1, 2, 4, 5}, nil},
		{"fulfillment_status:shipped", []int64{3}, nil},
		{"status:open (financial_status:paid OR financial_status:authorized) (fulfillment_status:unshipped OR fulfillment_status:partial)", []int64{1, 2}, nil},
		{"updated_at:>'2025-01-01T00:00:00Z'", []int64{2, 3, 4, 5}, nil},
		{"updated_at:>='2025-01-01T00:00:00Z' AND updated_at:<'2025-01-02T00:00:00Z'", []int64{1, 2}, nil},
		{"updated_at:<='2025-01-02T00:00:00Z'", []int64{1, 2, 3}, nil},
		{"updated_at:'2025-01-01'", []int64{1, 2}, nil},
		{"updated_at:>'2025-01-02'", []int64{4, 5}, nil},
		{"updated_at:<=2025-01-02", []int64{1, 2, 3}, nil},
		{"updated_at:'yesterday-ish'", nil, []string{"updated_at"}},
		{"-status:open", []int64{3, 4}, nil},
		{"NOT status:open AND NOT status:cancelled", []int64{3}, nil},
		{"status:open OR status:cancelled", []int64{1, 2, 4, 5}, nil},
		{"financial_status:paid status:closed OR financial_status:pending", []int64{3, 5}, nil},
		{"tag:rush", []int64{5}, nil},
		{"name:#1003", []int64{3}, nil},
		{"name:1003", []int64{3}, nil},
		{"id:>=4", []int64{4, 5}, nil},
		{"vip", []int64{1}, nil},
		{"bogus_field:x", []int64{1, 2, 3, 4, 5}, []string{"bogus_field"}},
		{"-bogus_field:x status:closed", []int64{3, 4}, []string{"bogus_field"}},
		{"bogus_field:x OR status:cancelled", []int64{4}, []string{"bogus_field"}},
		{"financial_status:nonsense", nil, []string{"financial_status"}},
		{"status:>open", nil, []string{"status"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			e, err := parseSearch(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			pred, warns := compileOrderSearch(e)
			var got []int64
			for _, o := range orders {
				if pred == nil || pred(o) {
					got = append(got, o.id)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("matched %v; want %v", got, tt.want)
			}
			var fields []string
			for _, w := range warns {
				fields = append(fields, w.Field)
			}
			if !slices.Equal(fields, tt.warn) {
				t.Errorf("warnings for %v; want %v", fields, tt.warn)
			}
		})
	}
}

// FuzzParseSearch checks that the parser never panics on outside input and
// that the canonical form of anything it accepts parses back to itself.
func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{
		"status:open",
		"updated_at:>='2025-01-01T00:00:00Z' AND updated_at:<'2025-02-01T00:00:00Z' status:open (financial_status:paid OR financial_status:authorized)",
		`-tag:"a\"b" OR NOT (x y)`,
		"((a)", "a:<=b:c", "NOT NOT -x", `'\`, "AND", "id:>3 OR id:<1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseSearch(s)
		if err != nil || e == nil {
			return
		}
		canon := e.String()
		again, err := parseSearch(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if again == nil || again.String() != canon {
			t.Fatalf("canonical form %q of %q reparses as %v", canon, s, again)
		}
		compileOrderSearch(e)
	})
}
