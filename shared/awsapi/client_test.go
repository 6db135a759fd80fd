package awsapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

const arn = "arn:aws:lambda:eu-west-1:123456789012:function:autosync-task"

var creds = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "session")

func newClient(t *testing.T, h http.HandlerFunc) (*Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := New(aws.Config{Region: "eu-west-1", Credentials: creds, BaseEndpoint: aws.String(srv.URL + "/")})
	if err != nil {
		t.Fatal(err)
	}
	c.sleep = func(context.Context, time.Duration) error { return nil }
	return c, &n
}

// TestSignedRequest checks the request against the Invoke API reference
// and its signature by signing the received request again.
func TestSignedRequest(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	payload := []byte(`{"account_id":"a","task":"import_orders"}`)
	c, n := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.Method != http.MethodPost:
			t.Errorf("method %s", r.Method)
		case r.URL.EscapedPath() != "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Aautosync-task/invocations":
			t.Errorf("path %s", r.URL.EscapedPath())
		case r.Header.Get("X-Amz-Invocation-Type") != "Event":
			t.Errorf("invocation type %q", r.Header.Get("X-Amz-Invocation-Type"))
		case !bytes.Equal(body, payload):
			t.Errorf("body %s", body)
		case r.Header.Get("X-Amz-Security-Token") != "session":
			t.Error("no session token")
		case !strings.Contains(r.Header.Get("Authorization"), "Credential=AKIDEXAMPLE/20261127/eu-west-1/lambda/aws4_request"):
			t.Errorf("authorization %s", r.Header.Get("Authorization"))
		}
		// Sign the same request again, as Lambda would check it.
		again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.EscapedPath(), bytes.NewReader(body))
		for _, h := range []string{"Content-Type", "X-Amz-Invocation-Type"} {
			again.Header.Set(h, r.Header.Get(h))
		}
		again.ContentLength = int64(len(body))
		cr, _ := creds.Retrieve(context.Background())
		if err := v4.NewSigner().SignHTTP(context.Background(), cr, again, sha256hex(body), "lambda", "eu-west-1", at); err != nil {
			t.Fatal(err)
		}
		if got, want := r.Header.Get("Authorization"), again.Header.Get("Authorization"); got != want {
			t.Errorf("signature\n got %s\nwant %s", got, want)
		}
		w.WriteHeader(http.StatusAccepted)
	})
	c.now = func() time.Time { return at }
	if err := c.InvokeAsync(context.Background(), arn, payload); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 1 {
		t.Fatalf("%d requests", n.Load())
	}
}

func TestErrorsAndRetries(t *testing.T) {
	type answer struct {
		status int
		header string
		body   string
	}
	notFound := answer{404, "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.awslambda/", `{"Type":"User","message":"Function not found: ` + arn + `"}`}
	throttled := answer{429, "TooManyRequestsException", `{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}`}
	broken := answer{500, "", `{"__type":"com.amazonaws.awslambda#ServiceException","message":"oops"}`}
	ok := answer{202, "", ""}
	tests := []struct {
		name     string
		answers  []answer
		requests int32
		code     string // "" for success
	}{
		{"queued", []answer{ok}, 1, ""},
		{"missing function is not retried", []answer{notFound}, 1, "ResourceNotFoundException"},
		{"throttled, then queued", []answer{throttled, ok}, 2, ""},
		{"5xx, then queued", []answer{broken, ok}, 2, ""},
		{"throttled three times", []answer{throttled, throttled, throttled, ok}, 3, "TooManyRequestsException"},
		{"code from the body", []answer{broken, broken, broken}, 3, "ServiceException"},
		{"200 is not queued", []answer{{200, "", `{}`}}, 1, "OK"},
		{"a throttling code is retried whatever the status", []answer{{400, "", `{"__type":"ThrottlingException","message":"Rate exceeded"}`}, ok}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var i atomic.Int32
			c, n := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				a := tt.answers[min(int(i.Add(1))-1, len(tt.answers)-1)]
				w.Header().Set("X-Amzn-RequestId", "req-1")
				if a.header != "" {
					w.Header().Set("X-Amzn-ErrorType", a.header)
				}
				w.WriteHeader(a.status)
				io.WriteString(w, a.body)
			})
			err := c.InvokeAsync(context.Background(), arn, []byte(`{}`))
			if n.Load() != tt.requests {
				t.Errorf("%d requests, want %d", n.Load(), tt.requests)
			}
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var le *Error
			if !errors.As(err, &le) || le.Code != tt.code || le.RequestID != "req-1" || le.Message == "" {
				t.Fatalf("err %v (%+v), want code %s", err, le, tt.code)
			}
		})
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	c, n := newClient(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	if err := c.InvokeAsync(context.Background(), arn, make([]byte, MaxPayload+1)); err == nil {
		t.Error("oversized payload accepted")
	}
	if err := c.InvokeAsync(context.Background(), "", []byte(`{}`)); err == nil {
		t.Error("no function accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.InvokeAsync(ctx, arn, []byte(`{}`)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if n.Load() != 0 {
		t.Fatalf("%d requests sent", n.Load())
	}
	for _, cfg := range []aws.Config{{Credentials: creds}, {Region: "eu-west-1"}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, _ := New(aws.Config{Region: "eu-west-1", Credentials: creds, BaseEndpoint: &url})
	slept := 0
	c.sleep = func(context.Context, time.Duration) error { slept++; return nil }
	if err := c.InvokeAsync(context.Background(), arn, []byte(`{}`)); err == nil || slept != 2 {
		t.Fatalf("err %v after %d waits", err, slept)
	}
}

func TestEndpoint(t *testing.T) {
	for region, want := range map[string]string{
		"eu-west-1":  "https://lambda.eu-west-1.amazonaws.com",
		"cn-north-1": "https://lambda.cn-north-1.amazonaws.com.cn",
	} {
		c, _ := New(aws.Config{Region: region, Credentials: creds})
		if got := c.endpoint("lambda"); got != want {
			t.Errorf("%s: %s, want %s", region, got, want)
		}
	}
}

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// FuzzParseError: whatever Lambda (or something in between) answers, the
// error is built without panicking, carries a code and a bounded message.
func FuzzParseError(f *testing.F) {
	f.Add(404, "ResourceNotFoundException:http://internal.amazon.com/", `{"Type":"User","message":"Function not found"}`)
	f.Add(500, "", `{"__type":"com.amazonaws.awslambda#ServiceException","message":"oops"}`)
	f.Add(429, "TooManyRequestsException", `not json`)
	f.Add(200, "", ``)
	f.Fuzz(func(t *testing.T, status int, errType, body string) {
		if status < 100 || status > 999 {
			return
		}
		h := http.Header{}
		h.Set("X-Amzn-ErrorType", errType)
		e := parseError(&http.Response{StatusCode: status, Header: h}, []byte(body))
		if e.Code == "" && http.StatusText(status) != "" {
			t.Fatalf("no code for status %d", status)
		}
		if len(e.Message) > 512 || e.Status != status {
			t.Fatalf("error %+v", e)
		}
	})
}

// TestKMSRequests checks Encrypt and Decrypt against the KMS API
// reference: JSON 1.1 with X-Amz-Target, binary fields as base64, the
// encryption context sent both ways, and the signature's scope.
func TestKMSRequests(t *testing.T) {
	encCtx := map[string]string{"autosync": "acct/ch"}
	c, n := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			KeyId             string
			Plaintext         []byte
			CiphertextBlob    []byte
			EncryptionContext map[string]string
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &in); err != nil {
			t.Errorf("body %s: %v", body, err)
		}
		if r.URL.Path != "/" || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" || in.KeyId != "alias/autosync" || in.EncryptionContext["autosync"] != "acct/ch" ||
			!strings.Contains(r.Header.Get("Authorization"), "/eu-west-1/kms/aws4_request") {
			t.Errorf("request %s %v %s", r.URL.Path, r.Header, body)
		}
		switch r.Header.Get("X-Amz-Target") {
		case "TrentService.Encrypt":
			json.NewEncoder(w).Encode(map[string]any{"CiphertextBlob": append([]byte("sealed:"), in.Plaintext...), "KeyId": "arn:aws:kms:eu-west-1:1:key/k"})
		case "TrentService.Decrypt":
			if !bytes.HasPrefix(in.CiphertextBlob, []byte("sealed:")) {
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"__type":"InvalidCiphertextException","message":"bad"}`)
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"Plaintext": bytes.TrimPrefix(in.CiphertextBlob, []byte("sealed:"))})
		default:
			t.Errorf("target %q", r.Header.Get("X-Amz-Target"))
		}
	})
	ctx := context.Background()
	sealed, err := c.Encrypt(ctx, "alias/autosync", []byte("secret\x00bytes"), encCtx)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := c.Decrypt(ctx, "alias/autosync", sealed, encCtx)
	if err != nil || string(plain) != "secret\x00bytes" {
		t.Fatalf("round trip %q: %v", plain, err)
	}
	var ae *Error
	if _, err := c.Decrypt(ctx, "alias/autosync", []byte("forged"), encCtx); !errors.As(err, &ae) || ae.Code != "InvalidCiphertextException" || ae.Temporary() {
		t.Fatalf("forged ciphertext: %v", err)
	}
	if n.Load() != 3 {
		t.Fatalf("%d requests, want 3 (a refusal is not retried)", n.Load())
	}
}

// TestGenerateDataKeyRequest checks GenerateDataKey against the KMS API
// reference: KeySpec AES_256, the encryption context, both halves of the
// answer returned, and an answer without a 32-byte key refused.
func TestGenerateDataKeyRequest(t *testing.T) {
	plain := bytes.Repeat([]byte{9}, 32)
	answer := map[string]any{"Plaintext": plain, "CiphertextBlob": []byte("wrapped"), "KeyId": "arn:aws:kms:eu-west-1:1:key/k"}
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			KeyId             string
			KeySpec           string
			EncryptionContext map[string]string
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &in); err != nil {
			t.Errorf("body %s: %v", body, err)
		}
		if r.Header.Get("X-Amz-Target") != "TrentService.GenerateDataKey" || in.KeyId != "alias/autosync" || in.KeySpec != "AES_256" ||
			len(in.EncryptionContext) != 1 || in.EncryptionContext["autosync"] != "data-key" {
			t.Errorf("request %v %s", r.Header, body)
		}
		json.NewEncoder(w).Encode(answer)
	})
	ctx := context.Background()
	encCtx := map[string]string{"autosync": "data-key"}
	gotPlain, wrapped, err := c.GenerateDataKey(ctx, "alias/autosync", encCtx)
	if err != nil || !bytes.Equal(gotPlain, plain) || string(wrapped) != "wrapped" {
		t.Fatalf("GenerateDataKey = %x, %q, %v", gotPlain, wrapped, err)
	}
	answer["Plaintext"] = plain[:16]
	if _, _, err := c.GenerateDataKey(ctx, "alias/autosync", encCtx); err == nil {
		t.Fatal("a 16-byte data key was accepted")
	}
}
