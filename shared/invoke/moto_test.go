package invoke_test

import (
	"context"
	"errors"
	"testing"

	"github.com/autosync/autosync/shared/awstest"
	"github.com/autosync/autosync/shared/invoke"
)

// TestAgainstEmulator queues an event for a function that exists in the
// AWS emulator, by name and by ARN, and is refused for one that does not.
func TestAgainstEmulator(t *testing.T) {
	name := awstest.Unique("autosync-invoke")
	arn := awstest.CreateFunction(t, name)
	c, err := invoke.New(awstest.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, f := range []string{name, arn} {
		if err := c.Async(ctx, f, []byte(`{"task":"import_orders"}`)); err != nil {
			t.Errorf("invoke %s: %v", f, err)
		}
	}
	err = c.Async(ctx, name+"-missing", []byte(`{}`))
	var le *invoke.Error
	if !errors.As(err, &le) || le.Code != "ResourceNotFoundException" || le.Status != 404 {
		t.Fatalf("missing function: %v", err)
	}
}
