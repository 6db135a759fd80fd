// Command task is the one executor: schedules, manual runs, webhooks and
// continuations all invoke it with a runs.Input.
package main

import (
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/autosync/autosync/shared/app"
	"github.com/autosync/autosync/shared/awsenv"
)

func main() {
	cfg, err := app.AWSConfigFromEnv(os.Getenv, "TABLE_NAME", "KMS_KEY_ID")
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
	a, err := app.NewAWS(awsCfg, cfg, app.NewLogger(cfg.LogLevel))
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(a.TaskHandler)
}
