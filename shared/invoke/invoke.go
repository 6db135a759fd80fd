// Package invoke queues asynchronous Lambda invocations (Invoke with
// InvocationType Event) over Lambda's REST API, signed with the SDK's
// SigV4 signer.
//
// Why not the SDK's Lambda client: it is the only Lambda operation
// Autosync calls, and linking that client (its operation schemas and
// endpoint tables) costs about 0.75 ms of package init on every cold start
// of every function, a fifth of a hello-world function's whole init
// (BENCHMARKS.md, DESIGN §8). Signing, credentials and the HTTP client
// are still the SDK's; only the request and the error document are built
// here, from the Invoke API reference.
package invoke

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"

	"github.com/autosync/autosync/shared/clock"
)

// MaxPayload is Lambda's limit for an asynchronous invocation's event.
const MaxPayload = 1 << 20

// Client invokes functions in one account and region.
type Client struct {
	endpoint string
	region   string
	creds    aws.CredentialsProvider
	signer   *v4.Signer
	hc       *http.Client
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	attempts int
}

// New builds a client from the SDK configuration: its region, credentials
// and BaseEndpoint (an emulator's) are used.
func New(cfg aws.Config) (*Client, error) {
	if cfg.Region == "" {
		return nil, errors.New("invoke: no region")
	}
	if cfg.Credentials == nil {
		return nil, errors.New("invoke: no credentials")
	}
	c := &Client{
		endpoint: "https://lambda." + cfg.Region + "." + dnsSuffix(cfg.Region),
		region:   cfg.Region,
		creds:    cfg.Credentials,
		signer:   v4.NewSigner(),
		hc:       &http.Client{Timeout: 10 * time.Second},
		now:      time.Now,
		sleep:    clock.Sleep,
		attempts: 3,
	}
	if cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != "" {
		c.endpoint = strings.TrimRight(*cfg.BaseEndpoint, "/")
	}
	return c, nil
}

// dnsSuffix is the partition's domain: the China regions have their own.
func dnsSuffix(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// Error is Lambda's answer to a refused invocation.
type Error struct {
	Status    int
	Code      string // e.g. ResourceNotFoundException, TooManyRequestsException
	Message   string
	RequestID string
}

func (e *Error) Error() string {
	return fmt.Sprintf("lambda %s (HTTP %d, request %s): %s", e.Code, e.Status, e.RequestID, e.Message)
}

// Temporary reports whether trying again may succeed: throttling and
// Lambda's own failures, not a missing function or a refused payload.
func (e *Error) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// Async queues payload for the function (a name, a partial or a full
// ARN). Lambda answers 202 once the event is queued; it runs the function
// and retries it on its own. Throttling, 5xx answers and failed
// connections are retried here, with jittered backoff, within ctx.
func (c *Client) Async(ctx context.Context, function string, payload []byte) error {
	if function == "" {
		return errors.New("invoke: no function")
	}
	if len(payload) > MaxPayload {
		return fmt.Errorf("invoke %s: payload of %d bytes is over Lambda's %d", function, len(payload), MaxPayload)
	}
	var err error
	for attempt := 1; ; attempt++ {
		err = c.once(ctx, function, payload)
		var le *Error
		retry := err != nil && ctx.Err() == nil && (!errors.As(err, &le) || le.Temporary())
		if !retry || attempt == c.attempts {
			return err
		}
		// 100 ms, 200 ms, ... with full jitter.
		d := time.Duration(rand.Int64N(int64(100*time.Millisecond) << (attempt - 1)))
		if serr := c.sleep(ctx, d); serr != nil {
			return err
		}
	}
}

func (c *Client) once(ctx context.Context, function string, payload []byte) error {
	u := c.endpoint + "/2015-03-31/functions/" + httpbinding.EscapePath(function, true) + "/invocations"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("invoke %s: %w", function, err)
	}
	req.Header.Set("X-Amz-Invocation-Type", "Event")
	req.Header.Set("Content-Type", "application/json")
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("invoke %s: credentials: %w", function, err)
	}
	sum := sha256.Sum256(payload)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "lambda", c.region, c.now()); err != nil {
		return fmt.Errorf("invoke %s: sign: %w", function, err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("invoke %s: %w", function, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusAccepted {
		return nil
	}
	return fmt.Errorf("invoke %s: %w", function, parseError(resp, body))
}

// parseError reads Lambda's error: the code from X-Amzn-ErrorType (up to
// its first ':'), else the body's "__type"; the body's message.
func parseError(resp *http.Response, body []byte) *Error {
	e := &Error{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Amzn-Requestid")}
	var doc struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	_ = json.Unmarshal(body, &doc)
	e.Code, _, _ = strings.Cut(resp.Header.Get("X-Amzn-Errortype"), ":")
	if e.Code == "" {
		e.Code = doc.Type
		if i := strings.LastIndexByte(e.Code, '#'); i >= 0 {
			e.Code = e.Code[i+1:]
		}
	}
	if e.Code == "" {
		e.Code = http.StatusText(resp.StatusCode)
	}
	e.Message = doc.Message
	if e.Message == "" {
		e.Message = doc.Message2
	}
	if e.Message == "" && resp.StatusCode < 300 {
		e.Message = "unexpected answer to an asynchronous invoke"
	}
	if len(e.Message) > 512 {
		e.Message = e.Message[:512]
	}
	return e
}
