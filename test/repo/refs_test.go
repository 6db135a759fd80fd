// Package repo_test holds checks on the repository as a whole.
package repo_test

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// outside are references to documents a clone does not have: the design
// notes and cart survey the project started from, and folders beside the
// repository. Spelled in pieces so this file does not match itself.
var outside = []string{
	"DESIGN" + ".md",
	"CARTS" + ".md",
	".." + "/shared",
	"/work/" + "shared",
}

// Every comment, script and document points inside the repository: a
// reader of a plain clone can follow each reference.
func TestNoReferencesOutsideTheRepository(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	files := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			// Dot folders (.git, .venv, .tools, .aws-sam, .autosync) and
			// build output are not the repository's text.
			if p != root && (strings.HasPrefix(name, ".") || name == "bin" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if len(b) > 4<<20 || bytes.IndexByte(b[:min(len(b), 8192)], 0) >= 0 {
			return nil // large or binary (images, built test binaries)
		}
		files++
		rel, _ := filepath.Rel(root, p)
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 0, 64<<10), len(b)+1)
		for n := 1; sc.Scan(); n++ {
			for _, ref := range outside {
				if strings.Contains(sc.Text(), ref) {
					t.Errorf("%s:%d refers to %s, which a clone does not have: %s", rel, n, ref, strings.TrimSpace(sc.Text()))
				}
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("looked at %d text files: the walk did not see the repository", files)
	}
}
