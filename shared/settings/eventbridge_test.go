package settings

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/autosync/autosync/shared/awstest"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/runs"
	"github.com/autosync/autosync/shared/schedule"
	"github.com/autosync/autosync/shared/schedule/eventbridge"
)

// countingAPI counts the Scheduler API calls a settings change makes:
// writes, and GetSchedule apart (List is the repair's business).
type countingAPI struct {
	*scheduler.Client
	writes, gets atomic.Int64
}

func (c *countingAPI) CreateSchedule(ctx context.Context, in *scheduler.CreateScheduleInput, o ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error) {
	c.writes.Add(1)
	return c.Client.CreateSchedule(ctx, in, o...)
}

func (c *countingAPI) UpdateSchedule(ctx context.Context, in *scheduler.UpdateScheduleInput, o ...func(*scheduler.Options)) (*scheduler.UpdateScheduleOutput, error) {
	c.writes.Add(1)
	return c.Client.UpdateSchedule(ctx, in, o...)
}

func (c *countingAPI) DeleteSchedule(ctx context.Context, in *scheduler.DeleteScheduleInput, o ...func(*scheduler.Options)) (*scheduler.DeleteScheduleOutput, error) {
	c.writes.Add(1)
	return c.Client.DeleteSchedule(ctx, in, o...)
}

func (c *countingAPI) GetSchedule(ctx context.Context, in *scheduler.GetScheduleInput, o ...func(*scheduler.Options)) (*scheduler.GetScheduleOutput, error) {
	c.gets.Add(1)
	return c.Client.GetSchedule(ctx, in, o...)
}

// TestEventBridgeSchedules enables and disables import_orders against the
// emulated EventBridge Scheduler: the schedule it creates carries the right
// expression, input, window, retry policy and DLQ, a no-op PUT makes no
// Scheduler call and each changed task makes exactly one.
func TestEventBridgeSchedules(t *testing.T) {
	ctx := context.Background()
	client := scheduler.NewFromConfig(awstest.Config(t))
	group := awstest.Unique("autosync")
	if _, err := client.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: &group}); err != nil {
		t.Fatal(err)
	}
	api := &countingAPI{Client: client}
	cfg := eventbridge.Config{Group: group,
		TargetARN: "arn:aws:lambda:us-east-1:123456789012:function:autosync-task",
		RoleARN:   "arn:aws:iam::123456789012:role/autosync-scheduler",
		DLQARN:    "arn:aws:sqs:us-east-1:123456789012:autosync-schedules-dlq"}
	f := newFixtureWith(t, eventbridge.New(api, cfg))

	put := func(changes ...Change) int64 {
		t.Helper()
		before := api.writes.Load()
		if _, err := f.svc.Update(ctx, "acct", changes); err != nil {
			t.Fatal(err)
		}
		return api.writes.Load() - before
	}
	two := []Change{{f.shop.ID, catalog.ImportOrders, true}, {f.shop.ID, catalog.WriteInventory, true}}
	if n := put(two...); n != 2 {
		t.Fatalf("enabling two tasks made %d Scheduler calls, want 2", n)
	}
	if n := put(two...); n != 0 {
		t.Fatalf("no-op PUT made %d Scheduler calls, want 0", n)
	}
	t.Logf("scheduler calls: enable 2 tasks = 2, no-op = 0")

	name := schedule.Name("acct", f.shop.ID, catalog.ImportOrders)
	got, err := client.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: &name, GroupName: &group})
	if err != nil {
		t.Fatalf("schedule not created: %v", err)
	}
	if aws.ToString(got.ScheduleExpression) != "rate(1 hour)" || got.State != types.ScheduleStateEnabled {
		t.Errorf("expression %q state %s", aws.ToString(got.ScheduleExpression), got.State)
	}
	if got.FlexibleTimeWindow == nil || got.FlexibleTimeWindow.Mode != types.FlexibleTimeWindowModeFlexible || aws.ToInt32(got.FlexibleTimeWindow.MaximumWindowInMinutes) != 10 {
		t.Errorf("window %+v", got.FlexibleTimeWindow)
	}
	tg := got.Target
	if tg == nil || aws.ToString(tg.Arn) != cfg.TargetARN || aws.ToString(tg.RoleArn) != cfg.RoleARN {
		t.Fatalf("target %+v", tg)
	}
	if tg.RetryPolicy == nil || aws.ToInt32(tg.RetryPolicy.MaximumRetryAttempts) != 2 {
		t.Errorf("retry policy %+v", tg.RetryPolicy)
	}
	if tg.DeadLetterConfig == nil || aws.ToString(tg.DeadLetterConfig.Arn) != cfg.DLQARN {
		t.Errorf("dead-letter config %+v", tg.DeadLetterConfig)
	}
	var in runs.Input
	if err := json.Unmarshal([]byte(aws.ToString(tg.Input)), &in); err != nil || in.AccountID != "acct" || in.ChannelID != f.shop.ID || in.Task != catalog.ImportOrders || in.Trigger != runs.Schedule {
		t.Errorf("target input %q: %v", aws.ToString(tg.Input), err)
	}

	// Support re-times an existing schedule: one UpdateSchedule.
	before := api.writes.Load()
	if _, err := f.svc.SetInterval(ctx, "acct", f.shop.ID, catalog.ImportOrders, catalog.Every6h); err != nil {
		t.Fatal(err)
	}
	if n := api.writes.Load() - before; n != 1 {
		t.Fatalf("changing an interval made %d Scheduler calls, want 1", n)
	}
	got, err = client.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: &name, GroupName: &group})
	if err != nil || aws.ToString(got.ScheduleExpression) != "rate(6 hours)" {
		t.Fatalf("after SetInterval: %v %v", got, err)
	}
	// Broken credentials pause the channel's two schedules: one
	// UpdateSchedule each.
	before = api.writes.Load()
	if err := f.svc.NeedsReauth(ctx, "acct", f.shop.ID, "401 from the cart"); err != nil {
		t.Fatal(err)
	}
	if n := api.writes.Load() - before; n != 2 {
		t.Fatalf("pausing two schedules made %d Scheduler calls, want 2", n)
	}
	t.Logf("scheduler calls: interval change = 1, pausing 2 schedules = 2")

	if n := put(Change{f.shop.ID, catalog.ImportOrders, false}); n != 1 {
		t.Fatalf("disabling one task made %d Scheduler calls, want 1", n)
	}
	if _, err := client.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: &name, GroupName: &group}); err == nil {
		t.Fatal("schedule survived disabling")
	}
	if st := f.state(t, f.shop.ID, catalog.ImportOrders); st.NextRunAt != nil {
		t.Fatalf("next_run_at after disabling: %v", st.NextRunAt)
	}
	// Converged: repair lists, reads back the one schedule left (paused,
	// as its record says: what EventBridge returns reads as no drift) and
	// finds nothing to do.
	before, gets := api.writes.Load(), api.gets.Load()
	if rep, err := f.svc.Repair(ctx); err != nil || rep != (RepairReport{}) {
		t.Fatalf("repair %+v %v", rep, err)
	}
	if api.writes.Load() != before {
		t.Fatal("repair of a converged state wrote")
	}
	if n := api.gets.Load() - gets; n != 1 {
		t.Fatalf("repair read %d schedules back, want the 1 left", n)
	}
}
