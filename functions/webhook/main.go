// Command webhook receives carts' signed webhooks at
// POST /webhooks/{cart}/{channel_id}.
package main

import (
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/autosync/autosync/shared/app"
	"github.com/autosync/autosync/shared/awsenv"
)

func main() {
	cfg, err := app.AWSConfigFromEnv(os.Getenv, "TABLE_NAME", "KMS_KEY_ID", "TASK_FUNCTION_ARN")
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
	lambda.Start(httpadapter.NewV2(a.WebhookHandler()).ProxyWithContext)
}
