package lambdaenv

import (
	"strings"
	"testing"

	"github.com/autosync/autosync/shared/seal"
	"github.com/autosync/autosync/shared/seal/datakeys"
)

func TestFromEnv(t *testing.T) {
	env := map[string]string{"TABLE_NAME": "t", "KMS_KEY_ID": "k", "TASK_FUNCTION_ARN": "arn:task", "AUTOSYNC_DEV_CART_URLS": "1"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name     string
		required []string
		missing  string // "" = no error
	}{
		{"all present", []string{"TABLE_NAME", "KMS_KEY_ID", "TASK_FUNCTION_ARN"}, ""},
		{"none required", nil, ""},
		{"one missing", []string{"TABLE_NAME", "SCHEDULE_GROUP"}, "SCHEDULE_GROUP"},
		{"two missing", []string{"SCHEDULE_GROUP", "SCHEDULER_ROLE_ARN"}, "SCHEDULE_GROUP, SCHEDULER_ROLE_ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromEnv(getenv, tt.required...)
			if tt.missing == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else if err == nil || !strings.HasSuffix(err.Error(), tt.missing) {
				t.Fatalf("err %v, want it to name %s", err, tt.missing)
			}
			if c.Table != "t" || c.KMSKey != "k" || c.TaskFunction != "arn:task" || !c.DevCartURLs || c.ScheduleGroup != "" {
				t.Errorf("config %+v", c)
			}
		})
	}
}

func TestNewLoggerLevel(t *testing.T) {
	for level, debug := range map[string]bool{"debug": true, "info": false, "": false, "nonsense": false} {
		if got := NewLogger(level).Enabled(t.Context(), -4); got != debug {
			t.Errorf("level %q: debug enabled %v, want %v", level, got, debug)
		}
	}
}

func TestLoad(t *testing.T) {
	base := map[string]string{
		"TABLE_NAME": "t", "KMS_KEY_ID": "k", "LOG_LEVEL": "debug",
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret",
	}
	tests := []struct {
		name    string
		unset   string
		wantErr string // "" = no error
	}{
		{"complete", "", ""},
		{"required variable missing", "TABLE_NAME", "TABLE_NAME"},
		{"no region", "AWS_REGION", "AWS_REGION"},
		{"no credentials", "AWS_SECRET_ACCESS_KEY", "AWS credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == tt.unset {
					return ""
				}
				return base[k]
			}
			env, err := Load(getenv, "TABLE_NAME", "KMS_KEY_ID")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want it to name %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if env.Table != "t" || env.AWS.Region != "eu-west-1" || env.API == nil || env.Store == nil {
				t.Errorf("env %+v", env)
			}
			if !env.Log.Enabled(t.Context(), -4) {
				t.Error("LOG_LEVEL=debug: the logger does not log debug")
			}
			if k := env.Sealer(); k.KeyID != "k" || k.API != env.API || k.MaxAge != seal.DefaultDataKeyAge || k.MaxSeals != seal.DefaultDataKeySeals {
				t.Errorf("sealer over %q, limits %v and %d", k.KeyID, k.MaxAge, k.MaxSeals)
			}
			// Every environment seals under the table's shared data key.
			if _, ok := env.Sealer().Keys.(*datakeys.Store); !ok {
				t.Errorf("sealer's shared data keys %T, want the table's", env.Sealer().Keys)
			}
		})
	}
}
