// Command webhook receives carts' signed webhooks at
// POST /webhooks/{cart}/{channel_id}.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/autosync/autosync/shared/app"
)

func main() {
	ctx := context.Background()
	cfg, err := app.AWSConfigFromEnv(os.Getenv, "TABLE_NAME", "KMS_KEY_ID", "TASK_FUNCTION_ARN")
	if err != nil {
		log.Fatal(err)
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatalf("load AWS config: %v", err)
	}
	a := app.NewAWS(ctx, awsCfg, cfg, app.NewLogger(cfg.LogLevel))
	lambda.Start(httpadapter.NewV2(a.WebhookHandler()).ProxyWithContext)
}
