package awsapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/smithy-go/encoding/httpbinding"
)

// MaxPayload is Lambda's limit for an asynchronous invocation's event.
const MaxPayload = 1 << 20

// InvokeAsync queues payload for the function (a name, a partial or a full
// ARN): Invoke with InvocationType Event. Lambda answers 202 once the event
// is queued, then runs the function and retries it on its own.
func (c *Client) InvokeAsync(ctx context.Context, function string, payload []byte) error {
	if function == "" {
		return errors.New("invoke: no function")
	}
	if len(payload) > MaxPayload {
		return fmt.Errorf("invoke %s: payload of %d bytes is over Lambda's %d", function, len(payload), MaxPayload)
	}
	_, err := c.do(ctx, request{
		service: "lambda", method: http.MethodPost,
		path: "/2015-03-31/functions/" + httpbinding.EscapePath(function, true) + "/invocations",
		header: http.Header{
			"X-Amz-Invocation-Type": {"Event"},
			"Content-Type":          {"application/json"},
		},
		body: payload, ok: http.StatusAccepted,
	})
	if err != nil {
		return fmt.Errorf("invoke %s: %w", function, err)
	}
	return nil
}
