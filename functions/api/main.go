// Command api is the HTTP API Lambda: the Sync modal, manual runs, run
// history, channels, orders and support's admin routes, behind the HTTP
// API's JWT authorizer.
package main

import (
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/autosync/autosync/shared/app/apifn"
	"github.com/autosync/autosync/shared/app/lambdacore"
	"github.com/autosync/autosync/shared/app/lambdaenv"
	"github.com/autosync/autosync/shared/auth"
	"github.com/autosync/autosync/shared/connect"
	"github.com/autosync/autosync/shared/dispatch"
	"github.com/autosync/autosync/shared/identity"
	"github.com/autosync/autosync/shared/ui"
)

func main() {
	env, err := lambdaenv.Load(os.Getenv, "TABLE_NAME", "KMS_KEY_ID", "SCHEDULE_GROUP", "SCHEDULER_ROLE_ARN", "TASK_FUNCTION_ARN")
	if err != nil {
		log.Fatal(err)
	}
	signIn, err := identity.SignInFromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	c := lambdacore.New(env, env.Sealer(), apifn.Capabilities())
	h := apifn.New(c, apifn.Deps{
		Auth:     auth.APIGateway{},
		Dispatch: dispatch.Lambda{API: env.API, Function: env.TaskFunction},
		// The page posts the sign-in code to the hosted page's token URL.
		UI:     ui.Handler(signIn.DomainURL),
		SignIn: signIn,
		// The carts' app credentials, read from Secrets Manager when a
		// merchant first connects (not at cold start).
		Apps:    &connect.SecretApps{Getenv: os.Getenv, Read: env.API.SecretString},
		BaseURL: env.WebhookBase,
	})
	lambda.Start(httpadapter.NewV2(h.Handler()).ProxyWithContext)
}
