// Command api is the HTTP API Lambda: the Sync modal, manual runs, run
// history, channels, orders and support's admin routes, behind the HTTP
// API's JWT authorizer.
package main

import (
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/autosync/autosync/shared/app"
	"github.com/autosync/autosync/shared/awsenv"
	"github.com/autosync/autosync/shared/ui"
)

func main() {
	cfg, err := app.AWSConfigFromEnv(os.Getenv, "TABLE_NAME", "KMS_KEY_ID", "SCHEDULE_GROUP", "SCHEDULER_ROLE_ARN", "TASK_FUNCTION_ARN")
	if err != nil {
		log.Fatal(err)
	}
	awsCfg, err := awsenv.Config(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	a, err := app.NewAWS(awsCfg, cfg, app.NewLogger(cfg.LogLevel))
	if err != nil {
		log.Fatal(err)
	}
	a.API.UI = ui.Handler()
	lambda.Start(httpadapter.NewV2(a.API.Handler()).ProxyWithContext)
}
