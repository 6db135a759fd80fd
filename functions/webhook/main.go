// Command webhook receives carts' signed webhooks at
// POST /webhooks/{cart}/{channel_id}. It builds no Scheduler client and
// links neither the connectors nor the executor (webhookfn): a cart waits
// on its answer, cold start included.
package main

import (
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/autosync/autosync/shared/app/lambdaenv"
	"github.com/autosync/autosync/shared/app/webhookfn"
	"github.com/autosync/autosync/shared/awsapi"
	"github.com/autosync/autosync/shared/awsenv"
	"github.com/autosync/autosync/shared/dispatch"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/store/dynamostore"
)

func main() {
	cfg, err := lambdaenv.FromEnv(os.Getenv, "TABLE_NAME", "KMS_KEY_ID", "TASK_FUNCTION_ARN")
	if err != nil {
		log.Fatal(err)
	}
	awsCfg, err := awsenv.Config(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	api, err := awsapi.New(awsCfg)
	if err != nil {
		log.Fatal(err)
	}
	rc := webhookfn.New(webhookfn.Deps{
		Store:    dynamostore.New(dynamodb.NewFromConfig(awsCfg), cfg.Table),
		Sealer:   &seal.Cached{Sealer: seal.KMS{API: api, KeyID: cfg.KMSKey}}, // one KMS call per secret per environment
		Dispatch: dispatch.Lambda{API: api, Function: cfg.TaskFunction},
		Log:      lambdaenv.NewLogger(cfg.LogLevel),
	})
	lambda.Start(httpadapter.NewV2(rc.Handler()).ProxyWithContext)
}
