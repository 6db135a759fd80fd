package eventbridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/autosync/autosync/shared/awstest"
	"github.com/autosync/autosync/shared/catalog"
	"github.com/autosync/autosync/shared/schedule"
	"github.com/autosync/autosync/shared/schedule/eventbridge"
	"github.com/autosync/autosync/shared/schedule/scheduletest"
)

var testConfig = eventbridge.Config{
	Group:     "autosync-test",
	TargetARN: "arn:aws:lambda:us-east-1:123456789012:function:autosync-task",
	RoleARN:   "arn:aws:iam::123456789012:role/autosync-scheduler",
	DLQARN:    "arn:aws:sqs:us-east-1:123456789012:autosync-schedule-dlq",
}

func sample(iv catalog.Interval, enabled bool) schedule.Schedule {
	return schedule.Schedule{
		Name:     schedule.Name("acct1", "ch1", catalog.ImportOrders),
		Interval: iv,
		Enabled:  enabled,
		Input:    scheduletest.Input("acct1", "ch1", catalog.ImportOrders),
	}
}

// expect is what every Autosync schedule must look like, spelled out
// independently of the code under test.
type expect struct {
	expr    string
	window  int32
	maxAge  int32
	retries int32
}

var expected = map[catalog.Interval]expect{
	catalog.Every10m: {"rate(10 minutes)", 2, 600, 2},
	catalog.Every1h:  {"rate(1 hour)", 10, 3600, 2},
	catalog.Every6h:  {"rate(6 hours)", 15, 3600, 2},
	catalog.Every1d:  {"rate(1 day)", 15, 3600, 2},
}

// checkFields asserts the fields Autosync sets, whether they come from
// CreateInput or from GetSchedule against the emulator.
func checkFields(t *testing.T, where string, s schedule.Schedule, cfg eventbridge.Config,
	group, expr *string, state types.ScheduleState, ftw *types.FlexibleTimeWindow, target *types.Target) {
	t.Helper()
	want := expected[s.Interval]
	wantState := types.ScheduleStateEnabled
	if !s.Enabled {
		wantState = types.ScheduleStateDisabled
	}
	errorf := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s %s/%v: %s", where, s.Interval, s.Enabled, fmt.Sprintf(format, args...))
	}
	if got := aws.ToString(group); got != cfg.Group {
		errorf("group %q, want %q", got, cfg.Group)
	}
	if got := aws.ToString(expr); got != want.expr {
		errorf("expression %q, want %q", got, want.expr)
	}
	if state != wantState {
		errorf("state %q, want %q", state, wantState)
	}
	if ftw == nil {
		errorf("no flexible time window")
	} else {
		if ftw.Mode != types.FlexibleTimeWindowModeFlexible {
			errorf("window mode %q, want FLEXIBLE", ftw.Mode)
		}
		if got := aws.ToInt32(ftw.MaximumWindowInMinutes); got != want.window {
			errorf("window %d minutes, want %d", got, want.window)
		}
	}
	if target == nil {
		errorf("no target")
		return
	}
	if got := aws.ToString(target.Arn); got != cfg.TargetARN {
		errorf("target %q, want %q", got, cfg.TargetARN)
	}
	if got := aws.ToString(target.RoleArn); got != cfg.RoleARN {
		errorf("role %q, want %q", got, cfg.RoleARN)
	}
	if got := aws.ToString(target.Input); got != string(s.Input) {
		errorf("input %s, want %s", got, s.Input)
	}
	if rp := target.RetryPolicy; rp == nil {
		errorf("no retry policy (the default is 185 retries)")
	} else {
		if got := aws.ToInt32(rp.MaximumRetryAttempts); got != want.retries {
			errorf("retries %d, want %d", got, want.retries)
		}
		if got := aws.ToInt32(rp.MaximumEventAgeInSeconds); got != want.maxAge {
			errorf("max event age %d s, want %d", got, want.maxAge)
		}
	}
	if cfg.DLQARN == "" {
		if target.DeadLetterConfig != nil && aws.ToString(target.DeadLetterConfig.Arn) != "" {
			errorf("dead-letter queue %q, want none", aws.ToString(target.DeadLetterConfig.Arn))
		}
	} else if target.DeadLetterConfig == nil || aws.ToString(target.DeadLetterConfig.Arn) != cfg.DLQARN {
		errorf("dead-letter config %+v, want %q", target.DeadLetterConfig, cfg.DLQARN)
	}
}

func TestCreateInput(t *testing.T) {
	for _, iv := range catalog.Intervals {
		for _, enabled := range []bool{true, false} {
			s := sample(iv, enabled)
			in := eventbridge.CreateInput(s, testConfig)
			if got := aws.ToString(in.Name); got != s.Name {
				t.Errorf("%s: name %q, want %q", iv, got, s.Name)
			}
			checkFields(t, "CreateInput", s, testConfig, in.GroupName, in.ScheduleExpression, in.State, in.FlexibleTimeWindow, in.Target)
			// Fields Autosync leaves alone must stay unset: a start or end
			// date, a timezone or a key would be carried into every update.
			if in.StartDate != nil || in.EndDate != nil || in.ScheduleExpressionTimezone != nil || in.KmsKeyArn != nil {
				t.Errorf("%s: unexpected optional fields set: %+v", iv, in)
			}
			if in.ClientToken != nil {
				t.Errorf("%s: ClientToken %q; the SDK must generate one per call", iv, *in.ClientToken)
			}
		}
	}
}

func TestCreateInputWithoutDLQ(t *testing.T) {
	cfg := testConfig
	cfg.DLQARN = ""
	s := sample(catalog.Every1h, true)
	in := eventbridge.CreateInput(s, cfg)
	checkFields(t, "CreateInput", s, cfg, in.GroupName, in.ScheduleExpression, in.State, in.FlexibleTimeWindow, in.Target)
	if in.Target.DeadLetterConfig != nil {
		t.Errorf("DeadLetterConfig %+v, want nil when no DLQ is configured", in.Target.DeadLetterConfig)
	}
}

func TestParseRate(t *testing.T) {
	for _, iv := range catalog.Intervals {
		if got, ok := eventbridge.ParseRate(iv.Rate()); !ok || got != iv {
			t.Errorf("ParseRate(%q) = %q, %v; want %q", iv.Rate(), got, ok, iv)
		}
	}
	for _, expr := range []string{"", "rate(5 minutes)", "rate(1 hours)", "cron(0 * * * ? *)", "at(2025-01-01T00:00:00)"} {
		if got, ok := eventbridge.ParseRate(expr); ok {
			t.Errorf("ParseRate(%q) = %q, want not ok", expr, got)
		}
	}
}

// The emulator.

func newMoto(t *testing.T) (*scheduler.Client, eventbridge.Config) {
	t.Helper()
	client := scheduler.NewFromConfig(awstest.Config(t))
	cfg := testConfig
	cfg.Group = awstest.Unique("g")
	if _, err := client.CreateScheduleGroup(t.Context(), &scheduler.CreateScheduleGroupInput{Name: aws.String(cfg.Group)}); err != nil {
		t.Fatalf("CreateScheduleGroup(%q): %v", cfg.Group, err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteScheduleGroup(context.Background(), &scheduler.DeleteScheduleGroupInput{Name: aws.String(cfg.Group)})
	})
	return client, cfg
}

func TestContract(t *testing.T) {
	scheduletest.Run(t, func(t *testing.T) schedule.Scheduler {
		client, cfg := newMoto(t)
		return eventbridge.New(client, cfg)
	})
}

// TestFieldsOnEmulator reads schedules back with the raw API, so the fields
// CreateInput promises are the ones that reach the service, through both the
// create and the update path.
func TestFieldsOnEmulator(t *testing.T) {
	client, cfg := newMoto(t)
	sch := eventbridge.New(client, cfg)
	for _, enabled := range []bool{true, false} {
		for _, iv := range catalog.Intervals { // the first Put creates, the rest update
			s := sample(iv, enabled)
			if err := sch.Put(t.Context(), s); err != nil {
				t.Fatalf("Put: %v", err)
			}
			out, err := client.GetSchedule(t.Context(), &scheduler.GetScheduleInput{Name: aws.String(s.Name), GroupName: aws.String(cfg.Group)})
			if err != nil {
				t.Fatalf("GetSchedule: %v", err)
			}
			checkFields(t, "GetSchedule", s, cfg, out.GroupName, out.ScheduleExpression, out.State, out.FlexibleTimeWindow, out.Target)
		}
	}
}

// TestListOwnsOnlyItsGroup: a schedule in another group, or one in the group
// that schedule.Name did not make, is not Autosync's to list.
func TestListOwnsOnlyItsGroup(t *testing.T) {
	client, cfg := newMoto(t)
	sch := eventbridge.New(client, cfg)
	s := sample(catalog.Every1h, true)
	if err := sch.Put(t.Context(), s); err != nil {
		t.Fatalf("Put: %v", err)
	}

	_, other := newMoto(t)
	if err := eventbridge.New(client, other).Put(t.Context(), sample(catalog.Every6h, true)); err != nil {
		t.Fatalf("Put in other group: %v", err)
	}
	foreign := eventbridge.CreateInput(sample(catalog.Every1d, true), cfg)
	foreign.Name = aws.String("someone-else")
	if _, err := client.CreateSchedule(t.Context(), foreign); err != nil {
		t.Fatalf("CreateSchedule(foreign): %v", err)
	}

	names, err := sch.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(names) != 1 || names[0] != s.Name {
		t.Fatalf("List = %v, want [%s]", names, s.Name)
	}
}

// A failing and recording client.

type call struct {
	op string
	in any
}

type fakeAPI struct {
	calls  []call
	create func(*scheduler.CreateScheduleInput) (*scheduler.CreateScheduleOutput, error)
	update func(*scheduler.UpdateScheduleInput) (*scheduler.UpdateScheduleOutput, error)
	get    func(*scheduler.GetScheduleInput) (*scheduler.GetScheduleOutput, error)
	del    func(*scheduler.DeleteScheduleInput) (*scheduler.DeleteScheduleOutput, error)
	list   func(*scheduler.ListSchedulesInput) (*scheduler.ListSchedulesOutput, error)
}

var errBoom = errors.New("boom: injected failure")

func (f *fakeAPI) record(op string, in any) { f.calls = append(f.calls, call{op, in}) }

func (f *fakeAPI) ops() string {
	var ops []string
	for _, c := range f.calls {
		ops = append(ops, c.op)
	}
	return strings.Join(ops, ",")
}

func (f *fakeAPI) CreateSchedule(_ context.Context, in *scheduler.CreateScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error) {
	f.record("Create", in)
	if f.create == nil {
		return nil, errBoom
	}
	return f.create(in)
}

func (f *fakeAPI) UpdateSchedule(_ context.Context, in *scheduler.UpdateScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.UpdateScheduleOutput, error) {
	f.record("Update", in)
	if f.update == nil {
		return nil, errBoom
	}
	return f.update(in)
}

func (f *fakeAPI) GetSchedule(_ context.Context, in *scheduler.GetScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.GetScheduleOutput, error) {
	f.record("Get", in)
	if f.get == nil {
		return nil, errBoom
	}
	return f.get(in)
}

func (f *fakeAPI) DeleteSchedule(_ context.Context, in *scheduler.DeleteScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.DeleteScheduleOutput, error) {
	f.record("Delete", in)
	if f.del == nil {
		return nil, errBoom
	}
	return f.del(in)
}

func (f *fakeAPI) ListSchedules(_ context.Context, in *scheduler.ListSchedulesInput, _ ...func(*scheduler.Options)) (*scheduler.ListSchedulesOutput, error) {
	f.record("List", in)
	if f.list == nil {
		return nil, errBoom
	}
	return f.list(in)
}

func conflict(*scheduler.CreateScheduleInput) (*scheduler.CreateScheduleOutput, error) {
	return nil, &types.ConflictException{Message: aws.String("Schedule already exists.")}
}

func notFound[I, O any](I) (O, error) {
	var zero O
	return zero, &types.ResourceNotFoundException{Message: aws.String("Schedule does not exist.")}
}

func ok[I, O any](I) (O, error) {
	var zero O
	return zero, nil
}

// wantWrapped checks that err carries the injected failure and says what
// was being done to which schedule.
func wantWrapped(t *testing.T, err error, cause error, words ...string) {
	t.Helper()
	if !errors.Is(err, cause) {
		t.Fatalf("error %v does not wrap %v", err, cause)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

func TestInvalidMakesNoCall(t *testing.T) {
	f := &fakeAPI{}
	sch := eventbridge.New(f, testConfig)
	good := sample(catalog.Every1h, true)
	bad := []schedule.Schedule{good, good, good, good}
	bad[0].Name = strings.Repeat("a", 65)
	bad[1].Name = "as.a b"
	bad[2].Name = "as.a/b"
	bad[3].Interval = "5m"
	for _, s := range bad {
		if err := sch.Put(t.Context(), s); !errors.Is(err, schedule.ErrInvalid) {
			t.Errorf("Put(%+v) = %v, want ErrInvalid", s, err)
		}
	}
	if _, err := sch.Get(t.Context(), "as.a/b"); !errors.Is(err, schedule.ErrInvalid) {
		t.Errorf("Get: %v, want ErrInvalid", err)
	}
	if err := sch.Delete(t.Context(), "as.a/b"); !errors.Is(err, schedule.ErrInvalid) {
		t.Errorf("Delete: %v, want ErrInvalid", err)
	}
	if len(f.calls) != 0 {
		t.Fatalf("invalid requests reached the API: %s", f.ops())
	}
}

func TestCreateNewIsOneCall(t *testing.T) {
	f := &fakeAPI{create: ok[*scheduler.CreateScheduleInput, *scheduler.CreateScheduleOutput]}
	s := sample(catalog.Every10m, true)
	if err := eventbridge.New(f, testConfig).Put(t.Context(), s); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if f.ops() != "Create" {
		t.Fatalf("calls %s, want Create", f.ops())
	}
	if got, want := f.calls[0].in, eventbridge.CreateInput(s, testConfig); !reflect.DeepEqual(got, want) {
		t.Fatalf("sent %+v, want %+v", got, want)
	}
}

// TestConflictSendsFullUpdate: UpdateSchedule replaces every field, so the
// update must carry every field of the create, not only the changed ones.
func TestConflictSendsFullUpdate(t *testing.T) {
	f := &fakeAPI{create: conflict, update: ok[*scheduler.UpdateScheduleInput, *scheduler.UpdateScheduleOutput]}
	s := sample(catalog.Every6h, false)
	if err := eventbridge.New(f, testConfig).Put(t.Context(), s); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if f.ops() != "Create,Update" {
		t.Fatalf("calls %s, want Create,Update", f.ops())
	}
	up := f.calls[1].in.(*scheduler.UpdateScheduleInput)
	checkFields(t, "UpdateSchedule", s, testConfig, up.GroupName, up.ScheduleExpression, up.State, up.FlexibleTimeWindow, up.Target)

	// Field by field, by name: whatever CreateScheduleInput has, the
	// update has too, with the same value. A field the SDK adds later
	// and Put forgets to copy fails here.
	create := reflect.ValueOf(*eventbridge.CreateInput(s, testConfig))
	update := reflect.ValueOf(*up)
	for i := range create.NumField() {
		field := create.Type().Field(i)
		if !field.IsExported() || field.Name == "ClientToken" {
			continue
		}
		uv := update.FieldByName(field.Name)
		if !uv.IsValid() {
			t.Errorf("UpdateScheduleInput has no field %s; the update cannot be complete", field.Name)
			continue
		}
		if !reflect.DeepEqual(create.Field(i).Interface(), uv.Interface()) {
			t.Errorf("update %s = %+v, want %+v", field.Name, uv.Interface(), create.Field(i).Interface())
		}
	}
}

func TestConflictThenDeletedRecreates(t *testing.T) {
	n := 0
	f := &fakeAPI{
		create: func(in *scheduler.CreateScheduleInput) (*scheduler.CreateScheduleOutput, error) {
			if n++; n == 1 {
				return conflict(in)
			}
			return &scheduler.CreateScheduleOutput{}, nil
		},
		update: notFound[*scheduler.UpdateScheduleInput, *scheduler.UpdateScheduleOutput],
	}
	if err := eventbridge.New(f, testConfig).Put(t.Context(), sample(catalog.Every1h, true)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if f.ops() != "Create,Update,Create" {
		t.Fatalf("calls %s, want Create,Update,Create", f.ops())
	}
}

func TestConflictLoopGivesUp(t *testing.T) {
	f := &fakeAPI{create: conflict, update: notFound[*scheduler.UpdateScheduleInput, *scheduler.UpdateScheduleOutput]}
	err := eventbridge.New(f, testConfig).Put(t.Context(), sample(catalog.Every1h, true))
	if err == nil {
		t.Fatal("Put succeeded with a schedule that never settles")
	}
	if f.ops() != "Create,Update,Create,Update" {
		t.Fatalf("calls %s, want two rounds", f.ops())
	}
}

func TestErrorsWrapped(t *testing.T) {
	s := sample(catalog.Every1h, true)
	throttled := &types.ThrottlingException{Message: aws.String("slow down")}

	t.Run("create", func(t *testing.T) {
		f := &fakeAPI{}
		err := eventbridge.New(f, testConfig).Put(t.Context(), s)
		wantWrapped(t, err, errBoom, "create schedule", s.Name, testConfig.Group)
		if f.ops() != "Create" {
			t.Errorf("calls %s; a failure other than a conflict must not update", f.ops())
		}
	})
	t.Run("create throttled", func(t *testing.T) {
		f := &fakeAPI{create: func(*scheduler.CreateScheduleInput) (*scheduler.CreateScheduleOutput, error) { return nil, throttled }}
		err := eventbridge.New(f, testConfig).Put(t.Context(), s)
		wantWrapped(t, err, throttled, "create schedule", s.Name)
		if !errors.As(err, new(*types.ThrottlingException)) {
			t.Errorf("the SDK's typed error is lost: %v", err)
		}
	})
	t.Run("update", func(t *testing.T) {
		f := &fakeAPI{create: conflict}
		err := eventbridge.New(f, testConfig).Put(t.Context(), s)
		wantWrapped(t, err, errBoom, "update schedule", s.Name, testConfig.Group)
	})
	t.Run("get", func(t *testing.T) {
		_, err := eventbridge.New(&fakeAPI{}, testConfig).Get(t.Context(), s.Name)
		wantWrapped(t, err, errBoom, "get schedule", s.Name)
		if errors.Is(err, schedule.ErrNotFound) {
			t.Errorf("a failed Get reported as not found: %v", err)
		}
	})
	t.Run("delete", func(t *testing.T) {
		err := eventbridge.New(&fakeAPI{}, testConfig).Delete(t.Context(), s.Name)
		wantWrapped(t, err, errBoom, "delete schedule", s.Name)
	})
	t.Run("list second page", func(t *testing.T) {
		f := &fakeAPI{list: func(in *scheduler.ListSchedulesInput) (*scheduler.ListSchedulesOutput, error) {
			if in.NextToken == nil {
				return &scheduler.ListSchedulesOutput{
					Schedules: []types.ScheduleSummary{{Name: aws.String("as.a.b.c")}},
					NextToken: aws.String("t1"),
				}, nil
			}
			return nil, errBoom
		}}
		names, err := eventbridge.New(f, testConfig).List(t.Context())
		wantWrapped(t, err, errBoom, "list schedules", testConfig.Group)
		if names != nil {
			t.Errorf("List returned %v with an error; a partial list would let a repair delete live schedules' records", names)
		}
	})
}

func TestNotFound(t *testing.T) {
	f := &fakeAPI{
		get: notFound[*scheduler.GetScheduleInput, *scheduler.GetScheduleOutput],
		del: notFound[*scheduler.DeleteScheduleInput, *scheduler.DeleteScheduleOutput],
	}
	sch := eventbridge.New(f, testConfig)
	name := sample(catalog.Every1h, true).Name
	if _, err := sch.Get(t.Context(), name); !errors.Is(err, schedule.ErrNotFound) {
		t.Errorf("Get: %v, want ErrNotFound", err)
	}
	if err := sch.Delete(t.Context(), name); err != nil {
		t.Errorf("Delete of a missing schedule: %v", err)
	}
	for _, c := range f.calls {
		var group *string
		switch in := c.in.(type) {
		case *scheduler.GetScheduleInput:
			group = in.GroupName
		case *scheduler.DeleteScheduleInput:
			group = in.GroupName
		}
		if aws.ToString(group) != testConfig.Group {
			t.Errorf("%s in group %q, want %q", c.op, aws.ToString(group), testConfig.Group)
		}
	}
}

func TestGetMapsBack(t *testing.T) {
	s := sample(catalog.Every10m, false)
	in := eventbridge.CreateInput(s, testConfig)
	f := &fakeAPI{get: func(*scheduler.GetScheduleInput) (*scheduler.GetScheduleOutput, error) {
		return &scheduler.GetScheduleOutput{
			Name: in.Name, GroupName: in.GroupName, ScheduleExpression: in.ScheduleExpression,
			State: in.State, FlexibleTimeWindow: in.FlexibleTimeWindow, Target: in.Target,
		}, nil
	}}
	got, err := eventbridge.New(f, testConfig).Get(t.Context(), s.Name)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !scheduletest.Equal(got, s) {
		t.Fatalf("Get = %+v, want %+v", got, s)
	}
}

func TestGetUnknownExpression(t *testing.T) {
	f := &fakeAPI{get: func(*scheduler.GetScheduleInput) (*scheduler.GetScheduleOutput, error) {
		return &scheduler.GetScheduleOutput{
			ScheduleExpression: aws.String("rate(5 minutes)"),
			State:              types.ScheduleStateEnabled,
			Target:             &types.Target{Input: aws.String(`{}`)},
		}, nil
	}}
	name := sample(catalog.Every1h, true).Name
	_, err := eventbridge.New(f, testConfig).Get(t.Context(), name)
	if err == nil || !strings.Contains(err.Error(), "rate(5 minutes)") || !strings.Contains(err.Error(), name) {
		t.Fatalf("Get of an unknown expression: %v, want an error naming it", err)
	}
	if errors.Is(err, schedule.ErrNotFound) {
		t.Fatalf("unknown expression reported as not found: %v", err)
	}
}

func TestListPaginates(t *testing.T) {
	const pages = 3
	f := &fakeAPI{list: func(in *scheduler.ListSchedulesInput) (*scheduler.ListSchedulesOutput, error) {
		page := 0
		if in.NextToken != nil {
			fmt.Sscanf(*in.NextToken, "p%d", &page)
		}
		out := &scheduler.ListSchedulesOutput{}
		for i := range 100 {
			out.Schedules = append(out.Schedules, types.ScheduleSummary{Name: aws.String(fmt.Sprintf("as.p%d.%03d", page, i))})
		}
		if page+1 < pages {
			out.NextToken = aws.String(fmt.Sprintf("p%d", page+1))
		}
		return out, nil
	}}
	names, err := eventbridge.New(f, testConfig).List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(names) != pages*100 {
		t.Fatalf("List returned %d names, want %d", len(names), pages*100)
	}
	if len(f.calls) != pages {
		t.Fatalf("%d ListSchedules calls, want %d", len(f.calls), pages)
	}
	for _, c := range f.calls {
		in := c.in.(*scheduler.ListSchedulesInput)
		if aws.ToString(in.GroupName) != testConfig.Group || aws.ToString(in.NamePrefix) != "as." || aws.ToInt32(in.MaxResults) != 100 {
			t.Errorf("ListSchedules(group %q, prefix %q, max %d), want (%q, \"as.\", 100)",
				aws.ToString(in.GroupName), aws.ToString(in.NamePrefix), aws.ToInt32(in.MaxResults), testConfig.Group)
		}
	}
}

// Input must reach the target byte for byte: the executor parses it.
func TestInputVerbatim(t *testing.T) {
	s := sample(catalog.Every1h, true)
	s.Input = json.RawMessage(`{"account_id":"a","channel_id":"c","task":"import_orders","trigger":"schedule","x":"é\u00e9"}`)
	in := eventbridge.CreateInput(s, testConfig)
	if got := aws.ToString(in.Target.Input); got != string(s.Input) {
		t.Fatalf("Input %q, want %q", got, s.Input)
	}
}

// countingAPI passes calls to the emulator, counting ListSchedules pages.
type countingAPI struct {
	*scheduler.Client
	lists int
}

func (c *countingAPI) ListSchedules(ctx context.Context, in *scheduler.ListSchedulesInput, optFns ...func(*scheduler.Options)) (*scheduler.ListSchedulesOutput, error) {
	c.lists++
	return c.Client.ListSchedules(ctx, in, optFns...)
}

// TestListPagesOnEmulator proves the contract's List really crossed a page
// boundary on the emulator rather than getting everything in one answer.
func TestListPagesOnEmulator(t *testing.T) {
	client, cfg := newMoto(t)
	api := &countingAPI{Client: client}
	sch := eventbridge.New(api, cfg)
	const n = 230
	for i := range n {
		s := sample(catalog.Every1h, true)
		s.Name = schedule.Name(fmt.Sprintf("acct%03d", i), "ch1", catalog.ImportOrders)
		if err := sch.Put(t.Context(), s); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	names, err := sch.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(names) != n {
		t.Fatalf("List returned %d names, want %d", len(names), n)
	}
	if api.lists != 3 {
		t.Fatalf("List took %d pages for %d schedules, want 3 of at most 100", api.lists, n)
	}
}

// TestGetReportsDrift: Get says which part of a schedule's delivery is not
// what Put writes under the adapter's Config (a stack update replaced the
// task Lambda or its role, a console edit), so repair can Put it again.
func TestGetReportsDrift(t *testing.T) {
	s := sample(catalog.Every1h, true)
	cases := []struct {
		name   string
		change func(out *scheduler.GetScheduleOutput)
		want   string // "" for no drift, else a word the report must hold
	}{
		{"as Put writes it", func(*scheduler.GetScheduleOutput) {}, ""},
		{"old target", func(o *scheduler.GetScheduleOutput) {
			o.Target.Arn = aws.String("arn:aws:lambda:us-east-1:123456789012:function:old-task")
		}, "target"},
		{"old role", func(o *scheduler.GetScheduleOutput) {
			o.Target.RoleArn = aws.String("arn:aws:iam::123456789012:role/old")
		}, "role"},
		{"no dead-letter queue", func(o *scheduler.GetScheduleOutput) { o.Target.DeadLetterConfig = nil }, "dead-letter"},
		{"default retries", func(o *scheduler.GetScheduleOutput) { o.Target.RetryPolicy = nil }, "retry"},
		{"more retries", func(o *scheduler.GetScheduleOutput) {
			o.Target.RetryPolicy = &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(185), MaximumEventAgeInSeconds: aws.Int32(3600)}
		}, "retry"},
		{"no window", func(o *scheduler.GetScheduleOutput) {
			o.FlexibleTimeWindow = &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff}
		}, "window"},
		{"no target at all", func(o *scheduler.GetScheduleOutput) { o.Target = &types.Target{Input: o.Target.Input} }, "target"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := eventbridge.CreateInput(s, testConfig)
			tg := *in.Target
			out := &scheduler.GetScheduleOutput{
				Name: in.Name, GroupName: in.GroupName, ScheduleExpression: in.ScheduleExpression,
				State: in.State, FlexibleTimeWindow: in.FlexibleTimeWindow, Target: &tg,
			}
			c.change(out)
			f := &fakeAPI{get: func(*scheduler.GetScheduleInput) (*scheduler.GetScheduleOutput, error) { return out, nil }}
			got, err := eventbridge.New(f, testConfig).Get(t.Context(), s.Name)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if (c.want == "") != (got.Drift == "") || !strings.Contains(got.Drift, c.want) {
				t.Fatalf("Drift %q, want one naming %q", got.Drift, c.want)
			}
		})
	}
}

// TestDriftOnEmulator: a schedule written under an older Config (another
// task Lambda) reads back as drifted, and Put under the current one mends it.
func TestDriftOnEmulator(t *testing.T) {
	client, cfg := newMoto(t)
	old := cfg
	old.TargetARN, old.DLQARN = "arn:aws:lambda:us-east-1:123456789012:function:old-task", ""
	s := sample(catalog.Every1h, true)
	if err := eventbridge.New(client, old).Put(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	sch := eventbridge.New(client, cfg)
	got, err := sch.Get(t.Context(), s.Name)
	if err != nil || !strings.Contains(got.Drift, "target") || !strings.Contains(got.Drift, "dead-letter") {
		t.Fatalf("Get of a schedule from an older stack: %+v, %v; want drift naming target and dead-letter queue", got, err)
	}
	s.Replace = true
	if err := sch.Put(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	if got, err := sch.Get(t.Context(), s.Name); err != nil || got.Drift != "" {
		t.Fatalf("after Put: drift %q, %v", got.Drift, err)
	}
}

// TestListPageRefusedToken: a NextToken EventBridge refuses (it expires)
// is reported as schedule.ErrInvalidToken, so the caller starts over; a
// refusal of the first page, or another failure, is not.
func TestListPageRefusedToken(t *testing.T) {
	validation := &types.ValidationException{Message: aws.String("Invalid NextToken")}
	cases := []struct {
		name    string
		token   string
		err     error
		invalid bool
	}{
		{"refused token", "tok-1", validation, true},
		{"refused first page", "", validation, false},
		{"other failure", "tok-1", errBoom, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeAPI{list: func(*scheduler.ListSchedulesInput) (*scheduler.ListSchedulesOutput, error) { return nil, c.err }}
			_, _, err := eventbridge.New(f, testConfig).ListPage(t.Context(), c.token, 100)
			if err == nil || errors.Is(err, schedule.ErrInvalidToken) != c.invalid || !errors.Is(err, c.err) {
				t.Fatalf("ListPage: %v; want ErrInvalidToken %v, wrapping %v", err, c.invalid, c.err)
			}
		})
	}
}
