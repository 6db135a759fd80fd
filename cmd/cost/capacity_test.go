package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The rounding examples are DynamoDB's own, from the Developer Guide's
// "DynamoDB read and write operations" and the on-demand/provisioned
// pricing pages' key terms.
func TestReadUnits(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
		c    Consistency
		want float64
	}{
		{"a 3,500-byte item reads as 4 KB", 3500, Strong, 1},
		{"exactly 4 KB", 4096, Strong, 1},
		{"one byte over 4 KB", 4097, Strong, 2},
		{"8 KB strongly consistent", 8192, Strong, 2},
		{"8 KB eventually consistent", 8192, Eventual, 1},
		{"8 KB transactional", 8192, Transactional, 4},
		{"missing item, strongly consistent: the minimum", 0, Strong, 1},
		{"missing item, eventually consistent: the minimum", 0, Eventual, 0.5},
		{"a Query page of 40.8 KB rounds to 44 KB", 41779, Strong, 11},
	} {
		if got := ReadUnits(tc.size, tc.c); got != tc.want {
			t.Errorf("%s: ReadUnits(%d) = %v, want %v", tc.name, tc.size, got, tc.want)
		}
	}
}

func TestWriteUnits(t *testing.T) {
	for _, tc := range []struct {
		name     string
		size     int
		transact bool
		want     float64
	}{
		{"a 500-byte item", 500, false, 1},
		{"a 1 KB item", 1024, false, 1},
		{"a 3 KB item", 3072, false, 3},
		{"a 3 KB item in a transaction", 3072, true, 6},
		{"1,025 bytes round up", 1025, false, 2},
		{"a delete of nothing still costs one", 0, false, 1},
	} {
		if got := WriteUnits(tc.size, tc.transact); got != tc.want {
			t.Errorf("%s: WriteUnits(%d) = %v, want %v", tc.name, tc.size, got, tc.want)
		}
	}
}

// Item sizes by the rules of "DynamoDB item sizes and formats": names and
// values in UTF-8 bytes; numbers one byte per two significant digits plus
// one; binary by raw length; booleans and nulls one byte; lists and maps 3
// bytes plus one per element.
func TestItemSize(t *testing.T) {
	for _, tc := range []struct {
		name string
		item string
		want int
	}{
		{"string", `{"pk":{"S":"ACCT#1"}}`, 2 + 6},
		{"utf-8 bytes, not characters", `{"név":{"S":"€"}}`, 4 + 3},
		{"number of two digits", `{"number":{"N":"27"}}`, 6 + 2},
		{"leading and trailing zeros are trimmed", `{"n":{"N":"000123.4500"}}`, 1 + (5+1)/2 + 1},
		{"negative number with exponent", `{"n":{"N":"-1.5E10"}}`, 1 + 1 + 1},
		{"binary counts raw bytes", `{"buffer":{"B":"YnVmZmVy"}}`, 6 + 6},
		{"bool and null", `{"ok":{"BOOL":true},"x":{"NULL":true}}`, 2 + 1 + 1 + 1},
		{"empty map", `{"m":{"M":{}}}`, 1 + 3},
		{"map: 3 bytes, plus 1 per element", `{"m":{"M":{"a":{"S":"xy"},"b":{"N":"7"}}}}`, 1 + 3 + (1 + 2 + 1) + (1 + 2 + 1)},
		{"list: 3 bytes, plus 1 per element", `{"l":{"L":[{"S":"abc"},{"BOOL":false}]}}`, 1 + 3 + (3 + 1) + (1 + 1)},
		{"string set", `{"tags":{"SS":["a","bc"]}}`, 4 + 3},
		{"the dyno-item-size example", `{"string":{"S":"string"},"number":{"N":"27"},"buffer":{"B":"YnVmZmVy"}}`, 32},
	} {
		var item map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tc.item), &item); err != nil {
			t.Fatal(err)
		}
		got, err := ItemSize(item)
		if err != nil || got != tc.want {
			t.Errorf("%s: ItemSize = %d, %v; want %d", tc.name, got, err, tc.want)
		}
	}
}

func TestItemSizeRefusesMalformedValues(t *testing.T) {
	for _, bad := range []string{
		`{"a":{"Q":"x"}}`,
		`{"a":{"S":"x","N":"1"}}`,
		`{"a":{"B":"not base64!"}}`,
		`{"a":"plain"}`,
		`{"a":{"L":[{"Z":1}]}}`,
	} {
		var item map[string]json.RawMessage
		if err := json.Unmarshal([]byte(bad), &item); err != nil {
			t.Fatal(err)
		}
		if _, err := ItemSize(item); err == nil {
			t.Errorf("%s: sized without an error", bad)
		}
	}
}

func TestNumberSize(t *testing.T) {
	for in, want := range map[string]int{"0": 1, "1": 2, "12": 2, "123": 3, "1000": 2, strings.Repeat("9", 38): 20} {
		if got := NumberSize(in); got != want {
			t.Errorf("NumberSize(%s) = %d, want %d", in, got, want)
		}
	}
}
