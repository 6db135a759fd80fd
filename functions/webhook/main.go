// Command webhook receives carts' signed webhooks at
// POST /webhooks/{cart}/{channel_id}. It builds no Scheduler client and
// links neither the connectors nor the executor (webhookfn): a cart waits
// on its answer, cold start included.
package main

import (
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/autosync/autosync/shared/app/lambdaenv"
	"github.com/autosync/autosync/shared/app/webhookfn"
	"github.com/autosync/autosync/shared/dispatch"
)

func main() {
	env, err := lambdaenv.Load(os.Getenv, "TABLE_NAME", "KMS_KEY_ID", "TASK_FUNCTION_ARN")
	if err != nil {
		log.Fatal(err)
	}
	rc := webhookfn.New(webhookfn.Deps{
		Store:    env.Store,
		Sealer:   env.Sealer(), // data keys kept per execution environment
		Dispatch: dispatch.Lambda{API: env.API, Function: env.TaskFunction},
		Log:      env.Log,
	})
	lambda.Start(httpadapter.NewV2(rc.Handler()).ProxyWithContext)
}
