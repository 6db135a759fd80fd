// Package secretfile keeps a random secret in a local file, base64, created
// on first use: the local stack's sealing key and token-signing secret.
package secretfile

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LoadOrCreate reads the secret at path or, when there is no file, creates
// one of size random bytes (the file mode 0600, its folder 0700). A file
// whose secret is shorter than size, or longer when exact, is an error: it
// is not overwritten.
func LoadOrCreate(path string, size int, exact bool) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		s, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(s) < size || exact && len(s) != size {
			want := fmt.Sprintf("%d+", size)
			if exact {
				want = fmt.Sprint(size)
			}
			return nil, fmt.Errorf("%s is not a base64 secret of %s bytes", path, want)
		}
		return s, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	s := make([]byte, size)
	if _, err := rand.Read(s); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create the folder of %s: %w", path, err)
	}
	// O_EXCL: two processes starting at once must not each write a secret.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadOrCreate(path, size, exact)
	}
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(s)); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return s, f.Sync()
}
