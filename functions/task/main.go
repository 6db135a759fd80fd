// Command task is the one executor: schedules, manual runs, webhooks and
// continuations all invoke it with a runs.Input.
package main

import (
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/autosync/autosync/shared/app/lambdacore"
	"github.com/autosync/autosync/shared/app/lambdaenv"
	"github.com/autosync/autosync/shared/app/taskfn"
	"github.com/autosync/autosync/shared/dispatch"
)

func main() {
	env, err := lambdaenv.Load(os.Getenv, "TABLE_NAME", "KMS_KEY_ID")
	if err != nil {
		log.Fatal(err)
	}
	// Continuations invoke this same function; schedules (repair) need its
	// ARN, which the template passes. The name serves for invokes only.
	if env.TaskFunction == "" {
		env.TaskFunction = os.Getenv("AWS_LAMBDA_FUNCTION_NAME")
	}
	// The Scheduler client serves repair (repair_schedules) and reports of
	// a channel that needs re-authorising, which pause its schedules.
	// The sealer keeps its data keys for the execution environment's life:
	// one KMS call per data key per environment, not per run.
	c := lambdacore.New(env, env.Sealer(), nil)
	t := taskfn.New(c, taskfn.Deps{
		Dispatch:   dispatch.Lambda{API: env.API, Function: env.TaskFunction},
		AccountCap: taskfn.AccountCap,
	})
	lambda.Start(t.Handle)
}
