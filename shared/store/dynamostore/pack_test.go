package dynamostore

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestPack(t *testing.T) {
	repetitive := []byte(`{"channels":{` + strings.Repeat(`"ch_x":{"link":{"product_id":"1"},"last_pushed":7},`, 20) + `"end":{}}}`)
	random := make([]byte, 2048)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(random)
	for _, tt := range []struct {
		name   string
		data   []byte
		packed bool
	}{
		{"small stays plain", []byte(`{"a":1}`), false},
		{"at the threshold stays plain", bytes.Repeat([]byte("a"), packMin), false},
		{"repetitive JSON packs", repetitive, true},
		{"incompressible stays plain", random, false},
	} {
		got, packed := pack(tt.data)
		if packed != tt.packed {
			t.Errorf("%s: packed = %v; want %v", tt.name, packed, tt.packed)
			continue
		}
		if !packed {
			if !bytes.Equal(got, tt.data) {
				t.Errorf("%s: plain data changed", tt.name)
			}
			continue
		}
		back, err := unpack(got)
		if err != nil || !bytes.Equal(back, tt.data) {
			t.Errorf("%s: round trip %q, %v", tt.name, back, err)
		}
	}
}

func FuzzUnpack(f *testing.F) {
	z, _ := pack([]byte(strings.Repeat(`{"sku":"A","n":1}`, 64)))
	f.Add(z)
	f.Add([]byte("not deflate"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := unpack(b)
		if err == nil && len(out) > maxUnpacked {
			t.Fatalf("inflated to %d bytes", len(out))
		}
	})
}

func FuzzPackRoundTrip(f *testing.F) {
	f.Add([]byte(strings.Repeat(`{"sku":"A","n":1}`, 64)))
	f.Fuzz(func(t *testing.T, b []byte) {
		z, packed := pack(b)
		if !packed {
			return
		}
		back, err := unpack(z)
		if err != nil || !bytes.Equal(back, b) {
			t.Fatalf("round trip of %d bytes: %v", len(b), err)
		}
	})
}
