// Package lambdaenv reads what the Lambda functions take from their
// environment (the template sets it) and builds, once per cold start, what
// every function uses: the AWS configuration, the awsapi client (KMS, Lambda
// invokes, Secrets Manager), the table and the logger. It builds no other
// SDK client: the Scheduler's stays with the functions that use it
// (lambdacore), so the webhook function does not link it.
package lambdaenv

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/autosync/autosync/shared/awsapi"
	"github.com/autosync/autosync/shared/awsenv"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/seal/datakeys"
	"github.com/autosync/autosync/shared/store/dynamostore"
)

// Config is what the Lambda functions read from their environment.
type Config struct {
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

// FromEnv reads the configuration; required lists the variables
// the calling function cannot run without.
func FromEnv(getenv func(string) string, required ...string) (Config, error) {
	c := Config{
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

// Env is what a function builds at cold start.
type Env struct {
	Config
	AWS aws.Config
	// API makes KMS calls, Lambda invokes and Secrets Manager reads (the
	// SDK's signer only).
	API   *awsapi.Client
	Store *dynamostore.Store
	Log   *slog.Logger
}

// Load reads the configuration (required as in FromEnv) and builds the
// clients every function uses.
func Load(getenv func(string) string, required ...string) (Env, error) {
	cfg, err := FromEnv(getenv, required...)
	if err != nil {
		return Env{}, err
	}
	awsCfg, err := awsenv.Config(getenv)
	if err != nil {
		return Env{}, err
	}
	api, err := awsapi.New(awsCfg)
	if err != nil {
		return Env{}, err
	}
	return Env{
		Config: cfg, AWS: awsCfg, API: api,
		Store: dynamostore.New(dynamodb.NewFromConfig(awsCfg), cfg.Table),
		Log:   NewLogger(cfg.LogLevel),
	}, nil
}

// Sealer is the sealer over the stack's credentials key: envelope
// encryption whose data keys stay in memory for the execution environment's
// life, so most opens and seals call KMS not at all. Every function's
// environments seal under the one data key recorded in the table
// (datakeys), so the keys in circulation are about one a day and an
// environment's one Decrypt of it opens nearly every merchant's
// credentials. Opening reads no record (the webhook function only opens).
// Call it once per cold start and share the result: the keys live in it.
func (e Env) Sealer() *seal.Envelope {
	s := seal.NewEnvelope(e.API, e.KMSKey)
	s.Keys = datakeys.New(e.Store)
	return s
}
