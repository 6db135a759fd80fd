package devserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// demoIDsPerStart is how many order ids each start of the demo's
// simulators may hand out before running into the next start's: start k
// skips k × demoIDsPerStart ids past the seeded orders.
const demoIDsPerStart = 1_000_000

// demoStartsFile, in the data folder, counts the demo's starts.
const demoStartsFile = "demo.starts"

// nextDemoStart counts one more start of the demo in the data folder and
// returns its number (1 for the first). The count is saved before any
// simulator serves, so a crash cannot let two starts share a number.
func nextDemoStart(data string) (int64, error) {
	path := filepath.Join(data, demoStartsFile)
	var n int64
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return 0, fmt.Errorf("read demo start count: %w", err)
	default:
		if n, err = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err != nil || n < 0 {
			return 0, fmt.Errorf("demo start count in %s is not a number", path)
		}
	}
	n++
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatInt(n, 10)+"\n"), 0o600); err != nil {
		return 0, fmt.Errorf("save demo start count: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("save demo start count: %w", err)
	}
	return n, nil
}
