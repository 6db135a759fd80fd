// Package awstest gives tests an AWS emulator (moto_server) on 127.0.0.1.
// make test starts one and exports AUTOSYNC_AWS_ENDPOINT; a test run without
// it starts its own moto_server, shared by the package's tests and stopped
// when the test binary exits. Under CI a missing emulator fails the test
// instead of skipping it, so a green CI means the DynamoDB and Scheduler
// paths really ran.
package awstest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// EnvEndpoint names the variable holding a running emulator's URL.
const EnvEndpoint = "AUTOSYNC_AWS_ENDPOINT"

// Region is the region every test client uses.
const Region = "us-east-1"

var (
	once     sync.Once
	endpoint string
	startErr error
)

// Endpoint returns the emulator's URL, starting moto_server if needed. It
// skips the test when no emulator can be had outside CI, and fails it in CI.
func Endpoint(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if e := os.Getenv(EnvEndpoint); e != "" {
			endpoint = e
			return
		}
		endpoint, startErr = start()
	})
	if startErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("AWS emulator: %v", startErr)
		}
		t.Skipf("AWS emulator unavailable (set %s or install moto[server]): %v", EnvEndpoint, startErr)
	}
	return endpoint
}

// Config returns an aws.Config pointed at the emulator with dummy credentials.
func Config(t testing.TB) aws.Config {
	ep := Endpoint(t)
	return aws.Config{
		// A bounded client: an emulator that never answers fails the test
		// instead of hanging it.
		HTTPClient:   awshttp.NewBuildableClient().WithTimeout(60 * time.Second),
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(ep),
	}
}

// Unique returns a name unique to this test process, for tables and groups.
func Unique(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), time.Now().UnixNano())
}

func start() (string, error) {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		return "", err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	// Die with the test binary: no emulator outlives the run.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/moto-api/", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return url, nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	_ = cmd.Process.Kill()
	return "", fmt.Errorf("moto_server did not answer on %s within 60s", url)
}
