// Command api is the HTTP API Lambda: the Sync modal, manual runs, run
// history, channels, orders and support's admin routes, behind the HTTP
// API's JWT authorizer.
package main

import (
	"github.com/autosync/autosync/shared/identity"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/autosync/autosync/shared/app/apifn"
	"github.com/autosync/autosync/shared/app/core"
	"github.com/autosync/autosync/shared/app/lambdaenv"
	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/awsapi"
	"github.com/autosync/autosync/shared/awsenv"
	"github.com/autosync/autosync/shared/connect"
	"github.com/autosync/autosync/shared/connector"
	"github.com/autosync/autosync/shared/dispatch"
	"github.com/autosync/autosync/shared/schedule/eventbridge"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store/dynamostore"
	"github.com/autosync/autosync/shared/ui"
)

func main() {
	cfg, err := lambdaenv.FromEnv(os.Getenv, "TABLE_NAME", "KMS_KEY_ID", "SCHEDULE_GROUP", "SCHEDULER_ROLE_ARN", "TASK_FUNCTION_ARN")
	if err != nil {
		log.Fatal(err)
	}
	awsCfg, err := awsenv.Config(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	// KMS and Lambda invokes go through awsapi (the SDK's signer only).
	api, err := awsapi.New(awsCfg)
	if err != nil {
		log.Fatal(err)
	}
	c := core.New(core.Deps{
		Store:  dynamostore.New(dynamodb.NewFromConfig(awsCfg), cfg.Table),
		Sealer: seal.KMS{API: api, KeyID: cfg.KMSKey},
		Scheduler: eventbridge.New(scheduler.NewFromConfig(awsCfg), eventbridge.Config{
			Group: cfg.ScheduleGroup, TargetARN: cfg.TaskFunction, RoleARN: cfg.SchedulerRole, DLQARN: cfg.DLQ,
		}),
		Connectors:     connector.Factory{AllowLoopbackBase: cfg.DevCartURLs},
		Capabilities:   apifn.Capabilities(),
		WebhookBaseURL: cfg.WebhookBase,
		Log:            lambdaenv.NewLogger(cfg.LogLevel),
	})
	signIn, err := identity.SignInFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	h := apifn.New(c, apifn.Deps{
		Auth:     auth.APIGateway{},
		Dispatch: dispatch.Lambda{API: api, Function: cfg.TaskFunction},
		// The page posts the sign-in code to the hosted page's token URL.
		UI:     ui.Handler(signIn.DomainURL),
		SignIn: signIn,
		// The carts' app credentials, read from Secrets Manager when a
		// merchant first connects (not at cold start).
		Apps:    &connect.SecretApps{Getenv: os.Getenv, Read: api.SecretString},
		BaseURL: cfg.WebhookBase,
	})
	lambda.Start(httpadapter.NewV2(h.Handler()).ProxyWithContext)
}
