// Package eventbridge is the schedule.Scheduler adapter over Amazon
// EventBridge Scheduler: one schedule per enabled (account, channel, task) in
// the stack-owned schedule group, each invoking the task Lambda with the
// executor's input on a rate(...) expression.
package eventbridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/schedule"
)

// API is the part of the EventBridge Scheduler client the adapter uses.
// *scheduler.Client satisfies it; tests substitute a failing one.
type API interface {
	CreateSchedule(ctx context.Context, in *scheduler.CreateScheduleInput, optFns ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error)
	UpdateSchedule(ctx context.Context, in *scheduler.UpdateScheduleInput, optFns ...func(*scheduler.Options)) (*scheduler.UpdateScheduleOutput, error)
	GetSchedule(ctx context.Context, in *scheduler.GetScheduleInput, optFns ...func(*scheduler.Options)) (*scheduler.GetScheduleOutput, error)
	DeleteSchedule(ctx context.Context, in *scheduler.DeleteScheduleInput, optFns ...func(*scheduler.Options)) (*scheduler.DeleteScheduleOutput, error)
	ListSchedules(ctx context.Context, in *scheduler.ListSchedulesInput, optFns ...func(*scheduler.Options)) (*scheduler.ListSchedulesOutput, error)
}

var _ API = (*scheduler.Client)(nil)

// Config names the resources the stack owns.
type Config struct {
	// Group is the stack-owned schedule group; every schedule lives there
	// so List never sees schedules that are not Autosync's.
	Group string
	// TargetARN is the task Lambda's ARN.
	TargetARN string
	// RoleARN is the execution role EventBridge Scheduler assumes to
	// invoke TargetARN.
	RoleARN string
	// DLQARN is the SQS queue receiving events that could not be
	// delivered after the retries; empty sends none.
	DLQARN string
}

// Scheduler implements schedule.Scheduler over EventBridge Scheduler.
type Scheduler struct {
	api API
	cfg Config
}

var _ schedule.Scheduler = (*Scheduler)(nil)

// New returns a Scheduler that manages schedules in cfg.Group through api,
// normally a *scheduler.Client.
func New(api API, cfg Config) *Scheduler {
	return &Scheduler{api: api, cfg: cfg}
}

// namePrefix starts every name schedule.Name makes. List filters on it as a
// second fence (after the group) against schedules Autosync did not create.
const namePrefix = "as."

// Window is the flexible time window, in minutes, for an interval. A window
// lets EventBridge spread thousands of schedules sharing an interval instead
// of invoking the task Lambda for all of them in the same second; it is kept
// to a small share of the interval (a fifth of 10m, a sixth of 1h, at most
// 15 minutes for the long ones) so a merchant's runs do not wander far from
// the advertised cadence.
func Window(i catalog.Interval) int32 {
	switch i {
	case catalog.Every10m:
		return 2
	case catalog.Every1h:
		return 10
	default:
		return 15
	}
}

// MaxEventAge is how long, in seconds, EventBridge keeps retrying one firing:
// the interval, capped at an hour and never under the API's minimum of 60.
// A firing older than the interval is superseded by the next one, and every
// task resumes from its checkpoint, so retrying it longer would only stack
// runs that the executor's lease then skips.
func MaxEventAge(i catalog.Interval) int32 {
	secs := int32(i.Duration().Seconds())
	return max(60, min(secs, 3600))
}

// maxRetries replaces the default of 185 retries over a day: a small number
// rides out a throttled or cold Lambda; anything longer is for the DLQ.
const maxRetries = 2

// CreateInput is the CreateScheduleInput for s under cfg. It is the single
// description of what an Autosync schedule looks like; the update sent when
// the schedule already exists is built from it, so the two cannot drift.
//
// ClientToken is deliberately left nil: the SDK then generates one per call
// and reuses it across its own retries, which is the idempotency needed. A
// token derived from the schedule's content would make "untick, tick again"
// (Delete, then Put of the same schedule) a replay of the first create that
// EventBridge answers with success without recreating anything; an
// existing schedule is already handled by the conflict path of Put.
func CreateInput(s schedule.Schedule, cfg Config) *scheduler.CreateScheduleInput {
	state := types.ScheduleStateEnabled
	if !s.Enabled {
		state = types.ScheduleStateDisabled
	}
	target := &types.Target{
		Arn:     aws.String(cfg.TargetARN),
		RoleArn: aws.String(cfg.RoleARN),
		Input:   aws.String(string(s.Input)),
		RetryPolicy: &types.RetryPolicy{
			MaximumRetryAttempts:     aws.Int32(maxRetries),
			MaximumEventAgeInSeconds: aws.Int32(MaxEventAge(s.Interval)),
		},
	}
	if cfg.DLQARN != "" {
		target.DeadLetterConfig = &types.DeadLetterConfig{Arn: aws.String(cfg.DLQARN)}
	}
	return &scheduler.CreateScheduleInput{
		Name:               aws.String(s.Name),
		GroupName:          aws.String(cfg.Group),
		ScheduleExpression: aws.String(s.Interval.Rate()),
		State:              state,
		FlexibleTimeWindow: &types.FlexibleTimeWindow{
			Mode:                   types.FlexibleTimeWindowModeFlexible,
			MaximumWindowInMinutes: aws.Int32(Window(s.Interval)),
		},
		Target: target,
	}
}

// updateInput carries every field of c: UpdateSchedule replaces the whole
// schedule, and a field left out is reset to its default (a missing
// RetryPolicy, say, brings back 185 retries).
func updateInput(c *scheduler.CreateScheduleInput) *scheduler.UpdateScheduleInput {
	return &scheduler.UpdateScheduleInput{
		Name:                       c.Name,
		GroupName:                  c.GroupName,
		ScheduleExpression:         c.ScheduleExpression,
		ScheduleExpressionTimezone: c.ScheduleExpressionTimezone,
		State:                      c.State,
		FlexibleTimeWindow:         c.FlexibleTimeWindow,
		Target:                     c.Target,
		Description:                c.Description,
		StartDate:                  c.StartDate,
		EndDate:                    c.EndDate,
		KmsKeyArn:                  c.KmsKeyArn,
		ActionAfterCompletion:      c.ActionAfterCompletion,
		ClientToken:                c.ClientToken,
	}
}

// Put creates the schedule, or replaces it whole when it exists. It costs
// one call for a new schedule and two for an existing one: CreateSchedule,
// then, on ConflictException, a complete UpdateSchedule. No GetSchedule is
// needed first because the update is built from s and the Config alone.
func (a *Scheduler) Put(ctx context.Context, s schedule.Schedule) error {
	if err := schedule.Validate(s); err != nil {
		return err
	}
	in := CreateInput(s, a.cfg)
	if s.Replace {
		_, err := a.api.UpdateSchedule(ctx, updateInput(in))
		if err == nil {
			return nil
		}
		if !errors.As(err, new(*types.ResourceNotFoundException)) {
			return fmt.Errorf("eventbridge: update schedule %q in group %q: %w", s.Name, a.cfg.Group, err)
		}
	}
	// Two rounds cover a delete racing this Put: the create conflicts, the
	// schedule disappears, the update finds nothing, and the create is
	// tried once more.
	for range 2 {
		_, err := a.api.CreateSchedule(ctx, in)
		if err == nil {
			return nil
		}
		if !errors.As(err, new(*types.ConflictException)) {
			return fmt.Errorf("eventbridge: create schedule %q in group %q: %w", s.Name, a.cfg.Group, err)
		}
		_, err = a.api.UpdateSchedule(ctx, updateInput(in))
		if err == nil {
			return nil
		}
		if !errors.As(err, new(*types.ResourceNotFoundException)) {
			return fmt.Errorf("eventbridge: update schedule %q in group %q: %w", s.Name, a.cfg.Group, err)
		}
	}
	return fmt.Errorf("eventbridge: put schedule %q in group %q: created and deleted concurrently, giving up", s.Name, a.cfg.Group)
}

// Delete removes the schedule; a missing one is already what was asked for.
func (a *Scheduler) Delete(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	_, err := a.api.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{
		Name:      aws.String(name),
		GroupName: aws.String(a.cfg.Group),
	})
	if err != nil && !errors.As(err, new(*types.ResourceNotFoundException)) {
		return fmt.Errorf("eventbridge: delete schedule %q in group %q: %w", name, a.cfg.Group, err)
	}
	return nil
}

// Get reads the schedule back into the port's terms. A schedule whose
// expression is not one of catalog's rates was not written by Put; it is
// reported as an error rather than guessed at.
func (a *Scheduler) Get(ctx context.Context, name string) (schedule.Schedule, error) {
	if err := checkName(name); err != nil {
		return schedule.Schedule{}, err
	}
	out, err := a.api.GetSchedule(ctx, &scheduler.GetScheduleInput{
		Name:      aws.String(name),
		GroupName: aws.String(a.cfg.Group),
	})
	if errors.As(err, new(*types.ResourceNotFoundException)) {
		return schedule.Schedule{}, fmt.Errorf("eventbridge: get schedule %q in group %q: %w", name, a.cfg.Group, schedule.ErrNotFound)
	}
	if err != nil {
		return schedule.Schedule{}, fmt.Errorf("eventbridge: get schedule %q in group %q: %w", name, a.cfg.Group, err)
	}
	return fromOutput(name, out, a.cfg)
}

func fromOutput(name string, out *scheduler.GetScheduleOutput, cfg Config) (schedule.Schedule, error) {
	expr := aws.ToString(out.ScheduleExpression)
	iv, ok := ParseRate(expr)
	if !ok {
		return schedule.Schedule{}, fmt.Errorf("eventbridge: schedule %q has expression %q, which is not an Autosync interval", name, expr)
	}
	s := schedule.Schedule{
		Name:     name,
		Interval: iv,
		Enabled:  out.State != types.ScheduleStateDisabled,
	}
	if out.Target != nil && out.Target.Input != nil {
		s.Input = json.RawMessage(*out.Target.Input)
	}
	s.Drift = drift(out, CreateInput(s, cfg))
	return s, nil
}

// drift names what of the delivery Put would write (want) the schedule
// read back (got) lacks: a stack update that replaced the task Lambda,
// its role or the dead-letter queue, or a console edit.
func drift(got *scheduler.GetScheduleOutput, want *scheduler.CreateScheduleInput) string {
	var d []string
	gt, wt := got.Target, want.Target
	if gt == nil {
		gt = &types.Target{}
	}
	if aws.ToString(gt.Arn) != aws.ToString(wt.Arn) {
		d = append(d, "target "+aws.ToString(gt.Arn))
	}
	if aws.ToString(gt.RoleArn) != aws.ToString(wt.RoleArn) {
		d = append(d, "role "+aws.ToString(gt.RoleArn))
	}
	dlq := func(c *types.DeadLetterConfig) string {
		if c == nil {
			return ""
		}
		return aws.ToString(c.Arn)
	}
	if dlq(gt.DeadLetterConfig) != dlq(wt.DeadLetterConfig) {
		d = append(d, "dead-letter queue "+dlq(gt.DeadLetterConfig))
	}
	if gr, wr := gt.RetryPolicy, wt.RetryPolicy; gr == nil ||
		aws.ToInt32(gr.MaximumRetryAttempts) != aws.ToInt32(wr.MaximumRetryAttempts) ||
		aws.ToInt32(gr.MaximumEventAgeInSeconds) != aws.ToInt32(wr.MaximumEventAgeInSeconds) {
		d = append(d, "retry policy")
	}
	if gw, ww := got.FlexibleTimeWindow, want.FlexibleTimeWindow; gw == nil || gw.Mode != ww.Mode ||
		aws.ToInt32(gw.MaximumWindowInMinutes) != aws.ToInt32(ww.MaximumWindowInMinutes) {
		d = append(d, "time window")
	}
	return strings.Join(d, ", ")
}

// ParseRate maps a rate expression written by Put back to its interval.
func ParseRate(expr string) (catalog.Interval, bool) {
	expr = strings.TrimSpace(expr)
	for _, iv := range catalog.Intervals {
		if iv.Rate() == expr {
			return iv, true
		}
	}
	return "", false
}

// pageSize is the most ListSchedules returns in one page.
const pageSize = 100

// List returns the names of every schedule in the group made by
// schedule.Name, sorted, following every page.
func (a *Scheduler) List(ctx context.Context) ([]string, error) {
	p := scheduler.NewListSchedulesPaginator(a.api, &scheduler.ListSchedulesInput{
		GroupName:  aws.String(a.cfg.Group),
		NamePrefix: aws.String(namePrefix),
		MaxResults: aws.Int32(pageSize),
	})
	var names []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("eventbridge: list schedules in group %q (after %d): %w", a.cfg.Group, len(names), err)
		}
		for _, s := range page.Schedules {
			// Checked again here so a server that ignores NamePrefix
			// cannot widen what the adapter owns.
			if n := aws.ToString(s.Name); strings.HasPrefix(n, namePrefix) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// ListPage returns one page of ListSchedules (at most 100 names) from
// token, EventBridge's NextToken.
func (a *Scheduler) ListPage(ctx context.Context, token string, limit int) ([]string, string, error) {
	if limit <= 0 || limit > pageSize {
		limit = pageSize
	}
	in := &scheduler.ListSchedulesInput{
		GroupName:  aws.String(a.cfg.Group),
		NamePrefix: aws.String(namePrefix),
		MaxResults: aws.Int32(int32(limit)),
	}
	if token != "" {
		in.NextToken = aws.String(token)
	}
	page, err := a.api.ListSchedules(ctx, in)
	if token != "" && errors.As(err, new(*types.ValidationException)) {
		// An expired or foreign NextToken: the caller must start over.
		return nil, "", fmt.Errorf("eventbridge: list a page of schedules in group %q: %w: %w", a.cfg.Group, schedule.ErrInvalidToken, err)
	}
	if err != nil {
		return nil, "", fmt.Errorf("eventbridge: list a page of schedules in group %q: %w", a.cfg.Group, err)
	}
	names := make([]string, 0, len(page.Schedules))
	for _, s := range page.Schedules {
		if n := aws.ToString(s.Name); strings.HasPrefix(n, namePrefix) {
			names = append(names, n)
		}
	}
	return names, aws.ToString(page.NextToken), nil
}

var _ schedule.Pager = (*Scheduler)(nil)

// checkName refuses a name no schedule can have before it reaches a request
// path, where a slash would address something else.
func checkName(name string) error {
	return schedule.Validate(schedule.Schedule{Name: name, Interval: catalog.Every1h, Input: json.RawMessage(`{}`)})
}
