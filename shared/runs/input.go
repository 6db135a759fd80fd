package runs

import (
	"encoding/json"
	"fmt"

	"github.com/autosync/autosync/shared/catalog"
)

// Action selects what an executor invocation does besides running a task.
type Action string

const (
	// ActionRun (the zero value) runs a task.
	ActionRun Action = ""
	// ActionRepairSchedules makes the Scheduler match the schedule records.
	ActionRepairSchedules Action = "repair_schedules"
	// ActionVerifyChannel asks the channel's cart whether it still holds
	// Autosync's authorization and records the answer: a cart's notice
	// that the app was removed is checked with the cart, never taken on
	// its word alone.
	ActionVerifyChannel Action = "verify_channel"
)

// Input is the executor's input, whoever sends it: a schedule, a manual run,
// a webhook, or a run continuing itself.
type Input struct {
	Action    Action       `json:"action,omitempty"`
	AccountID string       `json:"account_id,omitempty"`
	ChannelID string       `json:"channel_id,omitempty"`
	Task      catalog.Task `json:"task,omitempty"`
	Trigger   Trigger      `json:"trigger,omitempty"`
	// RunID names an existing run: a queued manual run or a continuation.
	RunID string `json:"run_id,omitempty"`
	// ResourceID is the cart's id of one order or product (webhook imports).
	ResourceID string `json:"resource_id,omitempty"`
}

// ParseInput decodes and checks an executor input.
func ParseInput(b []byte) (Input, error) {
	var in Input
	if err := json.Unmarshal(b, &in); err != nil {
		return in, fmt.Errorf("decode executor input: %w", err)
	}
	return in, in.Validate()
}

// Validate checks the input names something runnable.
func (in Input) Validate() error {
	switch in.Action {
	case ActionRepairSchedules:
		return nil
	case ActionVerifyChannel:
		if in.AccountID == "" || in.ChannelID == "" || in.Task != "" {
			return fmt.Errorf("verify_channel needs account_id and channel_id, and no task")
		}
		return nil
	case ActionRun:
	default:
		return fmt.Errorf("unknown action %q", in.Action)
	}
	if in.AccountID == "" || in.ChannelID == "" {
		return fmt.Errorf("executor input needs account_id and channel_id")
	}
	if _, ok := catalog.Spec(in.Task); !ok {
		return fmt.Errorf("unknown task %q", in.Task)
	}
	switch in.Trigger {
	case Schedule, Manual, Webhook:
	case Continuation:
		if in.RunID == "" {
			return fmt.Errorf("a continuation needs run_id")
		}
	default:
		return fmt.Errorf("unknown trigger %q", in.Trigger)
	}
	return nil
}

// JSON encodes the input.
func (in Input) JSON() []byte { return mustJSON(in) }
