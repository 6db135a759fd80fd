package app

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/awsapi"
	"github.com/autosync/autosync/shared/connector"
	"github.com/autosync/autosync/shared/dispatch"
	"github.com/autosync/autosync/shared/schedule/eventbridge"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store/dynamostore"
)

// AWSConfig is what the Lambda functions read from their environment.
type AWSConfig struct {
	Table         string // TABLE_NAME
	KMSKey        string // KMS_KEY_ID
	ScheduleGroup string // SCHEDULE_GROUP
	SchedulerRole string // SCHEDULER_ROLE_ARN
	TaskFunction  string // TASK_FUNCTION_ARN (or the task function's own name for continuations)
	DLQ           string // SCHEDULE_DLQ_ARN
	LogLevel      string // LOG_LEVEL: debug, info, warn, error
	WebhookBase   string // WEBHOOK_BASE_URL: where carts post webhooks (the HTTP API's URL)
	// DevCartURLs lets channels point at loopback simulators
	// (AUTOSYNC_DEV_CART_URLS=1); only the smoke tests set it.
	DevCartURLs bool
}

// AWSConfigFromEnv reads the configuration; required lists the variables
// the calling function cannot run without.
func AWSConfigFromEnv(getenv func(string) string, required ...string) (AWSConfig, error) {
	c := AWSConfig{
		Table: getenv("TABLE_NAME"), KMSKey: getenv("KMS_KEY_ID"),
		ScheduleGroup: getenv("SCHEDULE_GROUP"), SchedulerRole: getenv("SCHEDULER_ROLE_ARN"),
		TaskFunction: getenv("TASK_FUNCTION_ARN"), DLQ: getenv("SCHEDULE_DLQ_ARN"),
		LogLevel: getenv("LOG_LEVEL"), WebhookBase: getenv("WEBHOOK_BASE_URL"), DevCartURLs: getenv("AUTOSYNC_DEV_CART_URLS") == "1",
	}
	var missing []string
	for _, k := range required {
		if getenv(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("missing environment: %s", strings.Join(missing, ", "))
	}
	return c, nil
}

// NewLogger returns the JSON logger every function uses.
func NewLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: l}))
}

// NewAWS assembles the service on DynamoDB and EventBridge Scheduler (the
// SDK's clients) and KMS and asynchronous Lambda invokes (awsapi). Clients
// are built once per cold start.
func NewAWS(awsCfg aws.Config, c AWSConfig, log *slog.Logger) (*App, error) {
	api, err := awsapi.New(awsCfg)
	if err != nil {
		return nil, err
	}
	a := New(Deps{
		Store:  dynamostore.New(dynamodb.NewFromConfig(awsCfg), c.Table),
		Sealer: seal.KMS{API: api, KeyID: c.KMSKey},
		Scheduler: eventbridge.New(scheduler.NewFromConfig(awsCfg), eventbridge.Config{
			Group: c.ScheduleGroup, TargetARN: c.TaskFunction, RoleARN: c.SchedulerRole, DLQARN: c.DLQ,
		}),
		Dispatch:   dispatch.Lambda{API: api, Function: c.TaskFunction},
		Connectors: connector.Factory{AllowLoopbackBase: c.DevCartURLs},
		Auth:       auth.APIGateway{},
		Log:        log, WebhookBaseURL: c.WebhookBase,
	})
	// Lambda runs every invocation at once; the cap keeps one account's
	// burst from taking the account-wide concurrency (see runner.AccountCap).
	a.Runner.AccountCap = AccountCap
	return a, nil
}

// AccountCap is how many runs one account may have working at once in AWS.
const AccountCap = 8
