// Command pretoken is the Cognito user pool's pre token generation trigger
// (event version V2_0): it puts account_id and the Autosync scopes into
// the tokens the HTTP API's JWT authorizer accepts (shared/identity).
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/autosync/autosync/shared/identity"
)

func main() {
	var level slog.Level
	if err := level.UnmarshalText([]byte(os.Getenv("LOG_LEVEL"))); err != nil {
		level = slog.LevelInfo
	}
	t := identity.Trigger{
		AdminGroup: os.Getenv("ADMIN_GROUP"),
		Log:        slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level})),
	}
	lambda.Start(t.Handle)
}
