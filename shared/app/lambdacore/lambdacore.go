// Package lambdacore builds the shared part (core) the api and task
// functions run on, over what lambdaenv built and an EventBridge Scheduler
// client. The webhook function needs neither and does not link it.
package lambdacore

import (
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/autosync/autosync/shared/app/core"
	"github.com/autosync/autosync/shared/app/lambdaenv"
	"github.com/autosync/autosync/shared/connector"
	"github.com/autosync/autosync/shared/schedule/eventbridge"
	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/settings"
)

// New builds the shared part on env with sealer; caps says which tasks the
// executor runs (nil: whatever the catalog offers).
func New(env lambdaenv.Env, sealer seal.Sealer, caps settings.Capabilities) *core.Core {
	return core.New(core.Deps{
		Store:  env.Store,
		Sealer: sealer,
		Scheduler: eventbridge.New(scheduler.NewFromConfig(env.AWS), eventbridge.Config{
			Group: env.ScheduleGroup, TargetARN: env.TaskFunction, RoleARN: env.SchedulerRole, DLQARN: env.DLQ,
		}),
		Connectors:     connector.Factory{AllowLoopbackBase: env.DevCartURLs},
		Capabilities:   caps,
		WebhookBaseURL: env.WebhookBase,
		Log:            env.Log,
	})
}
