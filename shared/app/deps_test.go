package app_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

const mod = "github.com/autosync/autosync/"

// Each Lambda function links only what it uses: the webhook function
// answers carts and starts cold often, so it must not link (and initialise)
// the Scheduler client, the executor or the HTTP API; the task function
// has no HTTP API; no function links the local stack's pieces.
func TestFunctionDependencyBoundaries(t *testing.T) {
	cases := []struct {
		fn           string
		want, forbid []string
	}{
		{"webhook",
			[]string{mod + "shared/webhook", mod + "shared/store/dynamostore"},
			[]string{"github.com/aws/aws-sdk-go-v2/service/scheduler", mod + "shared/schedule/eventbridge",
				mod + "shared/runner", mod + "shared/httpapi", mod + "shared/ui", mod + "shared/app/core"}},
		{"task",
			[]string{mod + "shared/runner", "github.com/aws/aws-sdk-go-v2/service/scheduler"},
			[]string{mod + "shared/httpapi", mod + "shared/ui", mod + "shared/webhook"}},
		{"api",
			[]string{mod + "shared/httpapi", "github.com/aws/aws-sdk-go-v2/service/scheduler"},
			[]string{mod + "shared/webhook", mod + "shared/app/taskfn"}},
	}
	local := []string{mod + "shared/app", mod + "shared/devserver", mod + "shared/simulator/",
		mod + "shared/store/boltstore", mod + "shared/schedule/local", "go.etcd.io/bbolt"}

	statSources(t)
	deps := make([][]string, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Go(func() { deps[i] = listDeps(t, mod+"functions/"+c.fn) })
	}
	wg.Wait()
	for i, c := range cases {
		got := deps[i]
		if got == nil {
			continue
		}
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("functions/%s does not link %s: the listing is not what this test thinks", c.fn, w)
			}
		}
		for _, p := range got {
			for _, f := range append(c.forbid, local...) {
				if p == f || strings.HasSuffix(f, "/") && strings.HasPrefix(p, f) {
					t.Errorf("functions/%s links %s", c.fn, p)
				}
			}
		}
	}
}

// statSources looks at every Go file and go.mod/go.sum of the module, so
// that go test's cache knows this test's result depends on them (it cannot
// see what the go list it runs reads).
func statSources(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "bin"):
			return filepath.SkipDir
		case !d.IsDir() && (strings.HasSuffix(p, ".go") || d.Name() == "go.mod" || d.Name() == "go.sum"):
			_, err = os.Stat(p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// listDeps is the packages `go list -deps` reports for pkg, as built for
// Lambda (linux/arm64, tag lambda.norpc).
func listDeps(t *testing.T, pkg string) []string {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goBin, "list", "-deps", "-tags", "lambda.norpc", pkg)
	cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Errorf("go list -deps %s: %v\n%s", pkg, err, stderr)
		return nil
	}
	return strings.Fields(string(out))
}
