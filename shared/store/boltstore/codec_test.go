package boltstore

import (
	"bytes"
	"testing"
	"time"
)

func TestValueRoundTrip(t *testing.T) {
	for _, v := range []value{
		{Version: 1},
		{Version: 1 << 40, Data: []byte(`{"a":1}`)},
		{Version: 7, Expires: 1_700_000_000, HasExpiry: true, Data: []byte{0, 1, 2}},
		{Version: 2, Expires: 0, HasExpiry: true},
		{Version: 3, Expires: -5, HasExpiry: true, Data: []byte("x")},
	} {
		got, err := decodeValue(v.encode())
		if err != nil {
			t.Fatalf("decode(encode(%+v)): %v", v, err)
		}
		if got.Version != v.Version || got.Expires != v.Expires || got.HasExpiry != v.HasExpiry || !bytes.Equal(got.Data, v.Data) {
			t.Fatalf("decode(encode(%+v)) = %+v", v, got)
		}
	}
}

func TestDecodeCorrupt(t *testing.T) {
	for _, b := range [][]byte{
		nil,
		{formatV1},
		{2, 0, 1},              // unknown format
		{formatV1, 2, 1},       // unknown flag
		{formatV1, 0},          // no version
		{formatV1, 0, 0},       // version 0
		{formatV1, 0, 0x80},    // truncated version
		{formatV1, 1, 1},       // missing expiry
		{formatV1, 1, 1, 0x80}, // truncated expiry
		{formatV1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // version overflows int64
	} {
		if v, err := decodeValue(b); err == nil {
			t.Errorf("decodeValue(%x) = %+v; want an error", b, v)
		}
	}
}

func TestCeilSeconds(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	for _, tc := range []struct {
		in   time.Time
		want int64
	}{
		{base, 1_700_000_000},
		{base.Add(time.Nanosecond), 1_700_000_001},
		{base.Add(-time.Nanosecond), 1_700_000_000},
		{time.Unix(-1, 500), 0},
	} {
		if got := ceilSeconds(tc.in); got != tc.want {
			t.Errorf("ceilSeconds(%v) = %d; want %d", tc.in, got, tc.want)
		}
	}
}

// FuzzDecodeValue checks that no stored bytes, however damaged, crash the
// decoder, and that whatever it accepts survives a round trip.
func FuzzDecodeValue(f *testing.F) {
	f.Add(value{Version: 1}.encode())
	f.Add(value{Version: 9, Expires: 1_700_000_000, HasExpiry: true, Data: []byte(`{"x":1}`)}.encode())
	f.Add([]byte{formatV1, 1, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeValue(b)
		if err != nil {
			return
		}
		if v.Version < 1 {
			t.Fatalf("accepted version %d", v.Version)
		}
		w, err := decodeValue(v.encode())
		if err != nil {
			t.Fatalf("re-decoding %+v: %v", v, err)
		}
		if w.Version != v.Version || w.HasExpiry != v.HasExpiry || w.Expires != v.Expires || !bytes.Equal(w.Data, v.Data) {
			t.Fatalf("round trip changed %+v into %+v", v, w)
		}
	})
}
