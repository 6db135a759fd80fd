// Command task is the one executor: schedules, manual runs, webhooks and
// continuations all invoke it with a runs.Input.
package main

import (
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/autosync/autosync/shared/app/core"
	"github.com/autosync/autosync/shared/app/lambdaenv"
	"github.com/autosync/autosync/shared/app/taskfn"
	"github.com/autosync/autosync/shared/awsapi"
	"github.com/autosync/autosync/shared/awsenv"
	"github.com/autosync/autosync/shared/connector"
	"github.com/autosync/autosync/shared/dispatch"
	"github.com/autosync/autosync/shared/schedule/eventbridge"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store/dynamostore"
)

func main() {
	cfg, err := lambdaenv.FromEnv(os.Getenv, "TABLE_NAME", "KMS_KEY_ID")
	if err != nil {
		log.Fatal(err)
	}
	// Continuations invoke this same function; schedules (repair) need its
	// ARN, which the template passes. The name serves for invokes only.
	if cfg.TaskFunction == "" {
		cfg.TaskFunction = os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
	}
	awsCfg, err := awsenv.Config(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	api, err := awsapi.New(awsCfg)
	if err != nil {
		log.Fatal(err)
	}
	// The Scheduler client serves repair (repair_schedules) and reports of
	// a channel that needs re-authorising, which pause its schedules.
	c := core.New(core.Deps{
		Store: dynamostore.New(dynamodb.NewFromConfig(awsCfg), cfg.Table),
		// One KMS call per channel per execution environment, not per run.
		Sealer: &seal.Cached{Sealer: seal.KMS{API: api, KeyID: cfg.KMSKey}},
		Scheduler: eventbridge.New(scheduler.NewFromConfig(awsCfg), eventbridge.Config{
			Group: cfg.ScheduleGroup, TargetARN: cfg.TaskFunction, RoleARN: cfg.SchedulerRole, DLQARN: cfg.DLQ,
		}),
		Connectors:     connector.Factory{AllowLoopbackBase: cfg.DevCartURLs},
		WebhookBaseURL: cfg.WebhookBase,
		Log:            lambdaenv.NewLogger(cfg.LogLevel),
	})
	t := taskfn.New(c, taskfn.Deps{
		Dispatch:   dispatch.Lambda{API: api, Function: cfg.TaskFunction},
		AccountCap: taskfn.AccountCap,
	})
	lambda.Start(t.Handle)
}
