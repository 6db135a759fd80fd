package awsenv

import (
	"context"
	"strings"
	"testing"
)

func TestConfig(t *testing.T) {
	lambdaEnv := map[string]string{
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
	}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range lambdaEnv {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name     string
		env      map[string]string
		region   string
		endpoint string
		wantErr  string
	}{
		{name: "lambda", env: lambdaEnv, region: "eu-west-1"},
		{name: "default region", env: with("AWS_REGION", "", "AWS_DEFAULT_REGION", "us-east-2"), region: "us-east-2"},
		{name: "endpoint", env: with("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"), region: "eu-west-1", endpoint: "http://127.0.0.1:5000"},
		{name: "container credentials", env: with("AWS_ACCESS_KEY_ID", "", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/creds"), region: "eu-west-1"},
		{name: "no region", env: with("AWS_REGION", ""), wantErr: "AWS_REGION"},
		{name: "no credentials", env: with("AWS_ACCESS_KEY_ID", ""), wantErr: "AWS credentials"},
		{name: "secret only", env: with("AWS_ACCESS_KEY_ID", "", "AWS_SESSION_TOKEN", ""), wantErr: "AWS credentials"},
		{name: "relative endpoint", env: with("AWS_ENDPOINT_URL", "127.0.0.1:5000"), wantErr: "AWS_ENDPOINT_URL"},
		{name: "garbage endpoint", env: with("AWS_ENDPOINT_URL", "http://%zz"), wantErr: "AWS_ENDPOINT_URL"},
		{name: "ftp endpoint", env: with("AWS_ENDPOINT_URL", "ftp://h/"), wantErr: "AWS_ENDPOINT_URL"},
		{name: "garbage credentials URI", env: with("AWS_ACCESS_KEY_ID", "", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "creds"), wantErr: "AWS_CONTAINER_CREDENTIALS_FULL_URI"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Config(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != tt.region {
				t.Errorf("region %q, want %q", cfg.Region, tt.region)
			}
			got := ""
			if cfg.BaseEndpoint != nil {
				got = *cfg.BaseEndpoint
			}
			if got != tt.endpoint {
				t.Errorf("endpoint %q, want %q", got, tt.endpoint)
			}
			if cfg.Credentials == nil {
				t.Fatal("no credentials provider")
			}
		})
	}
}

func TestStaticCredentialsFromEnv(t *testing.T) {
	env := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"}
	cfg, err := Config(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	c, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || c.AccessKeyID != "AKIDEXAMPLE" || c.SecretAccessKey != "secret" || c.SessionToken != "token" {
		t.Fatalf("credentials %+v: %v", c, err)
	}
}
