package secretfile

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "key")
	s, err := LoadOrCreate(path, 32, true)
	if err != nil || len(s) != 32 {
		t.Fatalf("created %d bytes, %v", len(s), err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file %v, %v; want mode 0600", fi, err)
	}
	again, err := LoadOrCreate(path, 32, true)
	if err != nil || !bytes.Equal(s, again) {
		t.Fatalf("secret not stable: %v", err)
	}
}

func TestLoadOrCreateRefusesABadFile(t *testing.T) {
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n)) + "\n" }
	tests := []struct {
		name, content string
		exact         bool
		ok            bool
	}{
		{"exact size", b64(32), true, true},
		{"longer, at least", b64(48), false, true},
		{"longer, exact", b64(48), true, false},
		{"shorter", b64(16), false, false},
		{"not base64", "%%%", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := LoadOrCreate(path, 32, tt.exact)
			if tt.ok != (err == nil) {
				t.Fatalf("err %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			if b, _ := os.ReadFile(path); string(b) != tt.content {
				t.Error("the file was overwritten")
			}
			if tt.ok && len(s) < 32 {
				t.Errorf("%d bytes", len(s))
			}
		})
	}
}
