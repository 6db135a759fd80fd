// Package awsapi calls the two AWS operations families whose SDK clients
// cost more at cold start than they are worth here: Lambda's asynchronous
// Invoke and KMS's Encrypt, GenerateDataKey and Decrypt. Requests are signed with the SDK's
// SigV4 signer, with the SDK's credentials; only the requests and the
// error documents are built here, from the services' API references.
//
// Why: linking the SDK's Lambda and KMS clients (their operation schemas
// and endpoint tables) costs about 1.3 ms of package init on every cold
// start of every function, a third of a hello-world function's whole init
// (BENCHMARKS.md, cold start), for a few operations. DynamoDB and EventBridge
// Scheduler, with many operations and richer documents, keep the SDK.
package awsapi

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

	"github.com/autosync/autosync/shared/clock"
)

// Client calls AWS services in one account and region.
type Client struct {
	base     string // BaseEndpoint (an emulator's), or "" for the services' own
	region   string
	creds    aws.CredentialsProvider
	signer   *v4.Signer
	hc       *http.Client
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	attempts int
}

// New builds a client from the SDK configuration: its region, credentials
// and BaseEndpoint are used.
func New(cfg aws.Config) (*Client, error) {
	if cfg.Region == "" {
		return nil, errors.New("awsapi: no region")
	}
	if cfg.Credentials == nil {
		return nil, errors.New("awsapi: no credentials")
	}
	c := &Client{
		region:   cfg.Region,
		creds:    cfg.Credentials,
		signer:   v4.NewSigner(),
		hc:       &http.Client{Timeout: 10 * time.Second},
		now:      time.Now,
		sleep:    clock.Sleep,
		attempts: 3,
	}
	if cfg.BaseEndpoint != nil {
		c.base = strings.TrimRight(*cfg.BaseEndpoint, "/")
	}
	return c, nil
}

// endpoint is the service's regional endpoint; the China regions have
// their own domain.
func (c *Client) endpoint(service string) string {
	if c.base != "" {
		return c.base
	}
	suffix := "amazonaws.com"
	if strings.HasPrefix(c.region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://" + service + "." + c.region + "." + suffix
}

// Error is a service's refusal.
type Error struct {
	Status    int
	Code      string // e.g. ResourceNotFoundException, ThrottlingException
	Message   string
	RequestID string
}

func (e *Error) Error() string {
	return fmt.Sprintf("aws %s (HTTP %d, request %s): %s", e.Code, e.Status, e.RequestID, e.Message)
}

// throttles are the codes AWS services slow callers down with, whatever
// the HTTP status (KMS answers 400 ThrottlingException).
var throttles = map[string]bool{
	"ThrottlingException": true, "TooManyRequestsException": true,
	"RequestLimitExceeded": true, "Throttling": true,
}

// Temporary reports whether trying again may succeed: throttling and the
// service's own failures, not a missing resource or a refused request.
func (e *Error) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 || throttles[e.Code]
}

// request is one call: the body is sent as is, and an answer with status
// ok is success.
type request struct {
	service string
	method  string
	path    string // escaped
	header  http.Header
	body    []byte
	ok      int
}

// do sends r, retrying throttling, 5xx answers and failed connections
// with jittered backoff within ctx, and returns the success answer's body.
func (c *Client) do(ctx context.Context, r request) ([]byte, error) {
	for attempt := 1; ; attempt++ {
		body, err := c.once(ctx, r)
		var ae *Error
		retry := err != nil && ctx.Err() == nil && (!errors.As(err, &ae) || ae.Temporary())
		if !retry || attempt == c.attempts {
			return body, err
		}
		// 100 ms, 200 ms, ... with full jitter.
		d := time.Duration(rand.Int64N(int64(100*time.Millisecond) << (attempt - 1)))
		if serr := c.sleep(ctx, d); serr != nil {
			return nil, err
		}
	}
}

func (c *Client) once(ctx context.Context, r request) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, r.method, c.endpoint(r.service)+r.path, bytes.NewReader(r.body))
	if err != nil {
		return nil, err
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	sum := sha256.Sum256(r.body)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), r.service, c.region, c.now()); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == r.ok {
		return body, err
	}
	return nil, parseError(resp, body)
}

// parseError reads a service's error: the code from X-Amzn-ErrorType (up
// to its first ':'), else the body's "__type" (after its '#'); the body's
// message.
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
	if e.Message == "" {
		e.Message = "unexpected answer"
	}
	if len(e.Message) > 512 {
		e.Message = e.Message[:512]
	}
	return e
}
