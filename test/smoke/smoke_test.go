// Package smoke runs every Lambda bootstrap as Lambda runs it, under the
// Lambda Runtime Interface Emulator (aws-lambda-rie), against the AWS
// emulator (moto_server), and invokes it with the sample events in events/.
//
// The bootstraps are built here for the host's architecture with the
// template's flags (CGO_ENABLED=0 GOOS=linux -trimpath -tags lambda.norpc
// -ldflags "-s -w"); only GOARCH differs from what sam build ships
// (arm64), because the RIE runs a bootstrap natively and an arm64 binary
// does not run on an amd64 host. Where the host is arm64, scripts/test.sh
// sets AUTOSYNC_SMOKE_ARTIFACTS to sam's output (.aws-sam/build) and those
// very binaries are tested.
//
// It also measures each bootstrap's cold start (init time under the RIE)
// next to a hello-world aws-lambda-go function built the same way
// (testdata/hello) and reports both; the figures are reported, never
// enforced (BENCHMARKS.md's goals).
//
// Environment:
//
//	AUTOSYNC_AWS_ENDPOINT      a running moto_server (else one is started)
//	AUTOSYNC_RIE               the aws-lambda-rie binary (else .tools/bin, then PATH)
//	AUTOSYNC_SMOKE_ARTIFACTS   a folder of <LogicalId>/bootstrap to test instead of building
//	AUTOSYNC_SMOKE_REPORT      a file to write the cold start report to
//	AUTOSYNC_SMOKE_COLD_STARTS cold starts measured per bootstrap, round robin (default 9)
//	CI                         when set, a missing tool fails the test instead of skipping it
package smoke

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/autosync/autosync/shared/awstest"
	"github.com/autosync/autosync/shared/store/dynamostore"
	"github.com/autosync/autosync/shared/testkit"
)

const (
	envRIE        = "AUTOSYNC_RIE"
	envArtifacts  = "AUTOSYNC_SMOKE_ARTIFACTS"
	envReport     = "AUTOSYNC_SMOKE_REPORT"
	envColdStarts = "AUTOSYNC_SMOKE_COLD_STARTS"

	// motoAccount is the account moto_server answers for.
	motoAccount = "123456789012"
	// rieDefaultRuntimeAPIPort is where the RIE would put its internal
	// runtime API if not told otherwise; the harness never uses it.
	rieDefaultRuntimeAPIPort = 9001
)

// function is one bootstrap and what the smoke test asks of it.
type function struct {
	name      string            // folder under functions/ (or testdata/)
	logical   string            // logical id in template.yaml = sam's output folder
	pkg       string            // package to build
	timeout   int               // seconds, as in template.yaml
	memory    int               // MB, as in template.yaml
	env       map[string]string // on top of the environment every function gets
	cold      string            // a trivial payload for the cold start measurements
	cases     []invocation
	yardstick bool // the hello-world function the others are compared with
}

// invocation is one event and the assertion on the function's answer.
type invocation struct {
	event string // a file under events/, or literal JSON starting with '{'
	check func(t *testing.T, payload []byte)
	name  string // the subtest's name; default: the event's file name
}

func (c invocation) subtest() string {
	if c.name != "" {
		return c.name
	}
	return strings.TrimSuffix(c.event, ".json")
}

// taskFunction is the task function as the emulator knows it: the api
// and webhook functions invoke it asynchronously.
var taskFunction = awstest.Unique("autosync-smoke-task")

// resources are what the functions find in the AWS emulator.
type resources struct {
	endpoint, table, kmsKey, group string
}

// functions is the table of bootstraps and their assertions.
func functions(r resources, s seeded) []function {
	taskARN := "arn:aws:lambda:" + awstest.Region + ":" + motoAccount + ":function:" + taskFunction
	schedule := map[string]string{
		"SCHEDULE_GROUP":     r.group,
		"SCHEDULER_ROLE_ARN": "arn:aws:iam::" + motoAccount + ":role/autosync-smoke-scheduler",
		"TASK_FUNCTION_ARN":  taskARN,
		"SCHEDULE_DLQ_ARN":   "arn:aws:sqs:" + awstest.Region + ":" + motoAccount + ":autosync-smoke-dlq",
	}
	return []function{
		{
			name: "hello", pkg: "./test/smoke/testdata/hello", timeout: 10, memory: 128,
			cold: `{}`, yardstick: true,
			cases: []invocation{
				{`{}`, wantJSON(`{"hello":"world"}`), "result"},
				// The harness must tell a Lambda error from a result.
				{`{"fail":true}`, wantLambdaError("asked to fail"), "lambda-error"},
			},
		},
		{
			name: "api", logical: "ApiFunction", pkg: "./functions/api", timeout: 29, memory: 512,
			env: schedule, cold: `{}`,
			cases: []invocation{
				{"api-get-channels.json", wantHTTP([]int{http.StatusOK}, "channels"), ""},
				{"api-get-sync.json", s.wantModal, ""},
				// Sync once: the run is queued by an asynchronous invoke of
				// the task function (which exists in the emulator).
				{"api-post-runs.json", wantQueued, ""},
			},
		},
		{
			name: "webhook", logical: "WebhookFunction", pkg: "./functions/webhook", timeout: 10, memory: 512,
			env: map[string]string{"TASK_FUNCTION_ARN": taskARN}, cold: `{}`,
			cases: []invocation{
				// The sample's signature is made up: refused, nothing stored.
				{"webhook-shopify.json", wantHTTP([]int{http.StatusUnauthorized}, ""), ""},
				// Signed with the seeded channel's client secret: accepted,
				// and (instasync being ticked) the import is queued by an
				// asynchronous invoke of the task function; a failed
				// hand-over would answer 503.
				{"webhook-shopify-signed.json", wantHTTP([]int{http.StatusOK}, ""), ""},
				// The seeded channel is a Shopify one: another cart's
				// delivery to it is "no such endpoint", whatever it carries.
				{"webhook-woocommerce.json", wantHTTP([]int{http.StatusNotFound}, ""), ""},
				{"webhook-bigcommerce.json", wantHTTP([]int{http.StatusNotFound}, ""), ""},
				{"webhook-squarespace.json", wantHTTP([]int{http.StatusNotFound}, ""), ""},
			},
		},
		{
			name: "task", logical: "TaskFunction", pkg: "./functions/task", timeout: 300, memory: 1024,
			// The seeded channel's cart is a simulator on loopback.
			env: withDevCarts(schedule), cold: `{}`,
			cases: []invocation{
				{"task-repair.json", wantNoLambdaError, ""},
				{"task-schedule.json", s.wantImported, ""},
				// The webhook function's hand-over of an uninstall notice:
				// the seeded channel's cart still holds its credentials.
				{"task-verify-channel.json", wantNoLambdaError, ""},
			},
		},
		{
			// Cognito's pre token generation trigger: no AWS calls, so
			// no environment beyond Lambda's own and the admin group.
			name: "pretoken", logical: "PreTokenFunction", pkg: "./functions/pretoken", timeout: 5, memory: 128,
			env:  map[string]string{"ADMIN_GROUP": "autosync-admins"},
			cold: `{"version":"2","triggerSource":"TokenGeneration_HostedAuth","request":{"userAttributes":{"sub":"cold"}}}`,
			cases: []invocation{
				{"pretoken.json", wantTokenClaims("5b8e2f0c-7d1a-4c8e-9f3b-2a6d4e1c0b9a"), ""},
				// An event of another trigger is refused: Cognito then
				// refuses the sign-in instead of issuing a token the
				// API cannot use.
				{`{"version":"1","triggerSource":"TokenGeneration_HostedAuth","request":{"userAttributes":{"sub":"x"}}}`,
					wantLambdaError("configure the trigger as V2_0"), "v1-event"},
				{`{}`, wantLambdaError("not a pre token generation V2 event"), "garbage"},
			},
		},
	}
}

// wantTokenClaims checks a pre token generation answer (decoded with
// aws-lambda-go's V2_0 types): account_id in both tokens, the merchant
// scope added to the access token and the admin scope suppressed.
func wantTokenClaims(account string) func(*testing.T, []byte) {
	return func(t *testing.T, payload []byte) {
		t.Helper()
		if msg, ok := lambdaError(payload); ok {
			t.Fatalf("Lambda error: %s", msg)
		}
		var e events.CognitoEventUserPoolsPreTokenGenV2_0
		if err := json.Unmarshal(payload, &e); err != nil {
			t.Fatalf("not a pre token generation V2_0 event: %v: %s", err, truncate(payload, 500))
		}
		d := e.Response.ClaimsAndScopeOverrideDetails
		t.Logf("access token: %+v", d.AccessTokenGeneration)
		if got := d.AccessTokenGeneration.ClaimsToAddOrOverride["account_id"]; got != account {
			t.Errorf("access token account_id %v; want %q", got, account)
		}
		if got := d.IDTokenGeneration.ClaimsToAddOrOverride["account_id"]; got != account {
			t.Errorf("ID token account_id %v; want %q", got, account)
		}
		if !slices.Equal(d.AccessTokenGeneration.ScopesToAdd, []string{"autosync/merchant"}) ||
			!slices.Equal(d.AccessTokenGeneration.ScopesToSuppress, []string{"autosync/admin"}) {
			t.Errorf("scopes add %q suppress %q; want autosync/merchant added, autosync/admin suppressed",
				d.AccessTokenGeneration.ScopesToAdd, d.AccessTokenGeneration.ScopesToSuppress)
		}
		if e.UserName != "5b8e2f0c-7d1a-4c8e-9f3b-2a6d4e1c0b9a" || e.Request.UserAttributes["email"] != "merchant@example.com" {
			t.Errorf("the event did not come back as sent: %s", truncate(payload, 500))
		}
	}
}

func TestSmoke(t *testing.T) {
	root := moduleRoot(t)
	rie := findRIE(t, root)
	r := provision(t)
	sd := seed(t, r)
	fns := functions(r, sd)
	checkEveryEventIsUsed(t, root, fns)
	bins := bootstraps(t, root, fns)
	coldStarts := 9
	if v := os.Getenv(envColdStarts); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive integer", envColdStarts, v)
		}
		coldStarts = n
	}

	envs := map[string][]string{}
	for _, fn := range fns {
		envs[fn.name] = functionEnv(t, r, fn)
	}
	results := measureColdStarts(t, rie, fns, bins, envs, coldStarts)
	for _, fn := range fns {
		ok := t.Run(fn.name, func(t *testing.T) {
			env := envs[fn.name]
			p := startRIE(t, rie, bins[fn.name], env)
			defer p.stop()
			for _, c := range fn.cases {
				payload := withChannel(readEvent(t, root, c.event), sd.channel)
				status, body, err := p.invoke(payload, time.Duration(fn.timeout+10)*time.Second)
				if err != nil || status != http.StatusOK {
					t.Fatalf("invoke %s with %s: RIE status %d, err %v, body %s\n%s", fn.name, c.event, status, err, body, p.out)
				}
				t.Run(c.subtest(), func(t *testing.T) {
					defer func() {
						if t.Failed() {
							t.Logf("RIE and function output:\n%s", p.out)
						}
					}()
					c.check(t, body)
				})
			}
		})
		if !ok && fn.yardstick {
			t.Fatal("the hello-world function failed: the harness itself is broken")
		}
	}
	report(t, results)
}

// ---------------------------------------------------------------- checks

// lambdaError reports whether payload is the error document the runtime
// posts when the handler returns an error or panics; the RIE answers it
// with HTTP 200, as Lambda's Invoke does (there with X-Amz-Function-Error).
func lambdaError(payload []byte) (string, bool) {
	var e struct {
		Message *string `json:"errorMessage"`
		Type    *string `json:"errorType"`
	}
	if json.Unmarshal(payload, &e) != nil || (e.Message == nil && e.Type == nil) {
		return "", false
	}
	return fmt.Sprintf("%s: %s", aws.ToString(e.Type), aws.ToString(e.Message)), true
}

func wantNoLambdaError(t *testing.T, payload []byte) {
	t.Helper()
	if msg, ok := lambdaError(payload); ok {
		t.Fatalf("Lambda error: %s", msg)
	}
	t.Logf("result: %s", truncate(payload, 300))
}

func wantLambdaError(substr string) func(*testing.T, []byte) {
	return func(t *testing.T, payload []byte) {
		t.Helper()
		msg, ok := lambdaError(payload)
		if !ok || !strings.Contains(msg, substr) {
			t.Fatalf("payload %s; want a Lambda error containing %q", payload, substr)
		}
	}
}

func wantJSON(want string) func(*testing.T, []byte) {
	return func(t *testing.T, payload []byte) {
		t.Helper()
		var got, w any
		if err := json.Unmarshal(payload, &got); err != nil {
			t.Fatalf("payload %s is not JSON: %v", payload, err)
		}
		_ = json.Unmarshal([]byte(want), &w)
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Fatalf("payload %s; want %s", payload, want)
		}
	}
}

// wantHTTP checks an API Gateway (HTTP API, payload 2.0) response: one of
// the statuses, a JSON body, and where listKey is set, a JSON object whose
// listKey is an array (`{"channels":[...]}`).
func wantHTTP(statuses []int, listKey string) func(*testing.T, []byte) {
	return func(t *testing.T, payload []byte) {
		t.Helper()
		if msg, ok := lambdaError(payload); ok {
			t.Fatalf("Lambda error: %s", msg)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(payload, &resp); err != nil {
			t.Fatalf("not an HTTP API response: %v: %s", err, truncate(payload, 500))
		}
		body := []byte(resp.Body)
		if resp.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(resp.Body)
			if err != nil {
				t.Fatalf("body is not base64: %v", err)
			}
			body = b
		}
		t.Logf("HTTP %d %s", resp.StatusCode, truncate(body, 300))
		if !slices.Contains(statuses, resp.StatusCode) {
			t.Fatalf("status %d; want one of %v; body %s", resp.StatusCode, statuses, truncate(body, 500))
		}
		if ct := header(resp.Headers, "Content-Type"); len(body) > 0 && !strings.Contains(ct, "json") {
			t.Errorf("Content-Type %q; want JSON", ct)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("body is not a JSON object: %v: %s", err, truncate(body, 500))
		}
		if listKey == "" {
			return
		}
		raw, ok := doc[listKey]
		if !ok {
			t.Fatalf("body has no %q: %s", listKey, truncate(body, 500))
		}
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil || list == nil {
			t.Fatalf("%q is %s; want a JSON array", listKey, truncate(raw, 200))
		}
	}
}

func header(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "..."
}

// --------------------------------------------------------------- set-up

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's folder")
		}
		dir = parent
	}
}

// missing skips the test, or fails it under CI, where a skipped smoke
// test would hide that the bootstraps never ran.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI: a missing tool fails the smoke test; run scripts/install-tools.sh)", msg)
	}
	t.Skipf("%s (run scripts/install-tools.sh rie, or make test)", msg)
}

func findRIE(t *testing.T, root string) string {
	t.Helper()
	if p := os.Getenv(envRIE); p != "" {
		if _, err := os.Stat(p); err != nil {
			missing(t, "%s=%s: %v", envRIE, p, err)
		}
		return p
	}
	if p := filepath.Join(root, ".tools", "bin", "aws-lambda-rie"); fileExists(p) {
		return p
	}
	p, err := exec.LookPath("aws-lambda-rie")
	if err != nil {
		missing(t, "aws-lambda-rie not found in %s, .tools/bin or PATH", envRIE)
	}
	return p
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// provision creates, in the emulator, the table, KMS key and schedule
// group the template would create, and removes them afterwards.
func provision(t *testing.T) resources {
	t.Helper()
	cfg := awstest.Config(t) // fails under CI, skips elsewhere, without moto
	ctx := context.Background()
	r := resources{
		endpoint: awstest.Endpoint(t),
		table:    awstest.Unique("autosync-smoke"),
		group:    awstest.Unique("autosync-smoke"),
	}
	ddb := dynamodb.NewFromConfig(cfg)
	if err := dynamostore.CreateTable(ctx, ddb, r.table); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(r.table)})
	})
	key, err := kms.NewFromConfig(cfg).CreateKey(ctx, &kms.CreateKeyInput{
		Description: aws.String("autosync smoke: seals cart credentials"),
	})
	if err != nil {
		t.Fatalf("kms create key: %v", err)
	}
	r.kmsKey = aws.ToString(key.KeyMetadata.Arn)
	sch := scheduler.NewFromConfig(cfg)
	if _, err := sch.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String(r.group)}); err != nil {
		t.Fatalf("scheduler create group: %v", err)
	}
	t.Cleanup(func() {
		_, _ = sch.DeleteScheduleGroup(context.Background(), &scheduler.DeleteScheduleGroupInput{Name: aws.String(r.group)})
	})
	awstest.CreateFunction(t, taskFunction)
	return r
}

// functionEnv is the environment Lambda would give the function: the
// template's variables, Lambda's own, and the emulator's endpoint and dummy
// credentials. Nothing of the test's environment leaks in (no ~/.aws).
func functionEnv(t *testing.T, r resources, fn function) []string {
	home := t.TempDir()
	env := map[string]string{
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
		"HOME":                            home,
		"TZ":                              "UTC",
		"AWS_REGION":                      awstest.Region,
		"AWS_DEFAULT_REGION":              awstest.Region,
		"AWS_ACCESS_KEY_ID":               "testing",
		"AWS_SECRET_ACCESS_KEY":           "testing",
		"AWS_SESSION_TOKEN":               "testing",
		"AWS_ENDPOINT_URL":                r.endpoint,
		"AWS_EC2_METADATA_DISABLED":       "true",
		"AWS_CONFIG_FILE":                 filepath.Join(home, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE":     filepath.Join(home, "no-aws-credentials"),
		"AWS_LAMBDA_FUNCTION_NAME":        "autosync-smoke-" + fn.name,
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     strconv.Itoa(fn.timeout),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(fn.memory),
		"TABLE_NAME":                      r.table,
		"KMS_KEY_ID":                      r.kmsKey,
		"LOG_LEVEL":                       "info",
	}
	for k, v := range fn.env {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// bootstraps builds every function for the host (or takes sam's output)
// and returns each one's bootstrap path.
func bootstraps(t *testing.T, root string, fns []function) map[string]string {
	t.Helper()
	dir := t.TempDir()
	built := filepath.Join(dir, "go-build-output")
	artifacts := os.Getenv(envArtifacts)
	if artifacts != "" && runtime.GOARCH != "arm64" {
		t.Fatalf("%s is set, but sam builds linux/arm64 and this host is %s: unset it to build for the host", envArtifacts, runtime.GOARCH)
	}
	var pkgs []string
	for _, fn := range fns {
		if artifacts != "" && fn.logical != "" {
			continue
		}
		pkgs = append(pkgs, fn.pkg)
	}
	start := time.Now()
	args := append([]string{"build", "-trimpath", "-tags", "lambda.norpc", "-ldflags", "-s -w", "-o", built + string(os.PathSeparator)}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("built %d bootstraps for linux/%s in %v", len(pkgs), runtime.GOARCH, time.Since(start).Round(time.Millisecond))
	bins := map[string]string{}
	for _, fn := range fns {
		if artifacts != "" && fn.logical != "" {
			p := filepath.Join(artifacts, fn.logical, "bootstrap")
			if !fileExists(p) {
				t.Fatalf("%s=%s has no %s/bootstrap", envArtifacts, artifacts, fn.logical)
			}
			bins[fn.name] = p
			continue
		}
		// Each in a folder of its own, named bootstrap, as Lambda has it.
		p := filepath.Join(dir, fn.name, "bootstrap")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(built, filepath.Base(fn.pkg)), p); err != nil {
			t.Fatal(err)
		}
		bins[fn.name] = p
	}
	return bins
}

func readEvent(t *testing.T, root, event string) []byte {
	t.Helper()
	if strings.HasPrefix(event, "{") {
		return []byte(event)
	}
	b, err := os.ReadFile(filepath.Join(root, "events", event))
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) {
		t.Fatalf("events/%s is not valid JSON", event)
	}
	return b
}

// checkEveryEventIsUsed keeps events/ and the table in step: a sample
// event nobody invokes is a smoke test nobody runs.
func checkEveryEventIsUsed(t *testing.T, root string, fns []function) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "events", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no events/*.json (%v)", err)
	}
	used := map[string]bool{}
	for _, fn := range fns {
		for _, c := range fn.cases {
			used[c.event] = true
		}
	}
	for _, f := range files {
		if !used[filepath.Base(f)] {
			t.Errorf("events/%s is invoked by no smoke case: add it to functions()", filepath.Base(f))
		}
	}
}

// ------------------------------------------------------------ the RIE

type rieProcess struct {
	t       *testing.T
	cmd     *exec.Cmd
	out     *syncBuffer
	url     string
	started time.Time
	done    chan struct{}
}

// startRIE runs bootstrap under the RIE on two free loopback ports (its
// invoke endpoint and its internal runtime API, moved off 9001) and waits
// until it accepts connections.
func startRIE(t *testing.T, rie, bootstrap string, env []string) *rieProcess {
	t.Helper()
	addr, api := freePort(t), freePort(t)
	out := &syncBuffer{}
	cmd := exec.Command(rie,
		"--log-level", "info",
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", api,
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so stop() also ends the bootstrap it runs;
	// and it dies with the test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &rieProcess{t: t, cmd: cmd, out: out, url: "http://" + addr, started: time.Now(), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", rie, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(p.stop)
	exited := false
	listening := testkit.Eventually(15*time.Second, func() bool {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return true
		}
		select {
		case <-p.done:
			exited = true
			return true
		default:
			return false
		}
	})
	if exited {
		t.Fatalf("aws-lambda-rie exited before listening on %s:\n%s", addr, out)
	}
	if !listening {
		t.Fatalf("aws-lambda-rie did not listen on %s within 15s:\n%s", addr, out)
	}
	return p
}

func (p *rieProcess) invoke(payload []byte, timeout time.Duration) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url+"/2015-03-31/functions/function/invocations", bytes.NewReader(payload))
	if err != nil {
		return 0, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

func (p *rieProcess) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// initDuration is the RIE's own measure of the init phase: from starting
// the bootstrap until the runtime asks for its first event. (The REPORT
// line's "Init Duration" is not it: the RIE times only its own Init call.)
func (p *rieProcess) initDuration() (time.Duration, bool) {
	var m []string
	if !testkit.Eventually(2*time.Second, func() bool {
		m = initReport.FindStringSubmatch(p.out.String())
		return m != nil
	}) {
		return 0, false
	}
	ms, err := strconv.ParseFloat(m[1], 64)
	return time.Duration(ms * float64(time.Millisecond)), err == nil
}

func freePort(t *testing.T) string {
	t.Helper()
	for range 10 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		if !strings.HasSuffix(addr, ":"+strconv.Itoa(rieDefaultRuntimeAPIPort)) {
			return addr
		}
	}
	t.Fatal("no free loopback port")
	return ""
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ----------------------------------------------------------- cold start

type coldStart struct {
	name  string
	size  int64
	init  time.Duration // median INIT REPORT
	first time.Duration // median RIE process start -> first response
	n     int
}

// measureColdStarts starts every function n times in a fresh RIE, round
// robin, and invokes it once each time: a change in the machine's load (two
// shared cores) then falls on every function alike, the hello-world
// yardstick included, rather than on whichever was being measured.
func measureColdStarts(t *testing.T, rie string, fns []function, bins map[string]string, envs map[string][]string, n int) []coldStart {
	t.Helper()
	inits := map[string][]time.Duration{}
	firsts := map[string][]time.Duration{}
	for range n {
		for _, fn := range fns {
			init, first := coldStartOnce(t, rie, bins[fn.name], envs[fn.name], fn)
			inits[fn.name] = append(inits[fn.name], init)
			firsts[fn.name] = append(firsts[fn.name], first)
		}
	}
	out := make([]coldStart, 0, len(fns))
	for _, fn := range fns {
		st, err := os.Stat(bins[fn.name])
		if err != nil {
			t.Fatal(err)
		}
		cs := coldStart{name: fn.name, size: st.Size(), init: median(inits[fn.name]), first: median(firsts[fn.name]), n: n}
		t.Logf("%s cold start: init %v, first response %v (median of %d), bootstrap %d bytes", fn.name, cs.init, cs.first, n, cs.size)
		out = append(out, cs)
	}
	return out
}

// coldStartOnce starts the bootstrap in a fresh RIE, invokes it once and
// returns its init time (the RIE's INIT REPORT) and the time to the first
// response.
func coldStartOnce(t *testing.T, rie, bootstrap string, env []string, fn function) (init, first time.Duration) {
	t.Helper()
	p := startRIE(t, rie, bootstrap, env)
	status, body, err := p.invoke([]byte(fn.cold), time.Duration(fn.timeout+10)*time.Second)
	first = time.Since(p.started)
	p.stop() // the RIE's report is complete once it has stopped
	if err != nil || status != http.StatusOK {
		if fn.yardstick {
			t.Fatalf("cold start of the hello-world function failed, the harness itself is broken: RIE status %d, err %v, body %s\n%s", status, err, body, p.out)
		}
		t.Fatalf("cold start of %s: RIE status %d, err %v, body %s\n%s", fn.name, status, err, body, p.out)
	}
	init, ok := p.initDuration()
	if !ok {
		t.Fatalf("cold start of %s: no INIT REPORT in the RIE's output:\n%s", fn.name, p.out)
	}
	return init, first
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// report logs the cold starts next to hello-world's and writes them to
// AUTOSYNC_SMOKE_REPORT. BENCHMARKS.md's goal is each within 2x of hello-world;
// this reports the ratio and enforces nothing: timings on a shared 2-core
// machine are too noisy to gate on.
func report(t *testing.T, results []coldStart) {
	t.Helper()
	var hello *coldStart
	for i := range results {
		if results[i].name == "hello" {
			hello = &results[i]
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cold start under aws-lambda-rie, linux/%s, median of %d starts each\n", runtime.GOARCH, firstN(results))
	fmt.Fprintf(&b, "  init = bootstrap start -> first /next (RIE INIT REPORT); first = RIE start -> first response\n")
	for _, r := range results {
		ratio := ""
		if hello != nil && r.name != "hello" && hello.init > 0 {
			x := float64(r.init) / float64(hello.init)
			verdict := "within 2x of hello-world"
			if x > 2 {
				verdict = "MORE than 2x hello-world"
			}
			ratio = fmt.Sprintf("  %.1fx hello (%s)", x, verdict)
		}
		line := fmt.Sprintf("  %-8s init %8.2f ms  first %8.2f ms  size %6.2f MB%s",
			r.name, ms(r.init), ms(r.first), float64(r.size)/1e6, ratio)
		fmt.Fprintln(&b, line)
	}
	t.Log("\n" + b.String())
	if p := os.Getenv(envReport); p != "" {
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Errorf("write %s: %v", p, err)
		}
	}
}

func firstN(rs []coldStart) int {
	if len(rs) == 0 {
		return 0
	}
	return rs[0].n
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
