// Package awsenv builds the AWS SDK configuration from what Lambda puts in
// a function's environment.
//
// It replaces config.LoadDefaultConfig in the Lambda functions on purpose:
// that package links the whole credential chain (SSO, SSO-OIDC, STS,
// sign-in, IMDS), whose package init alone is about 3.7 ms of every cold
// start, more than a hello-world function's entire init (BENCHMARKS.md). A
// Lambda function never uses that chain: Lambda hands it the role's
// credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN (or, where it serves them from an endpoint, in
// AWS_CONTAINER_CREDENTIALS_FULL_URI), and its region in AWS_REGION.
// Development and tests outside Lambda keep using config.LoadDefaultConfig.
package awsenv

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
)

// Config reads the region, the credentials and an optional endpoint
// override (AWS_ENDPOINT_URL, as the SDK names it: the smoke tests point it
// at the emulator) from getenv.
func Config(getenv func(string) string) (aws.Config, error) {
	cfg := aws.Config{Region: getenv("AWS_REGION")}
	if cfg.Region == "" {
		cfg.Region = getenv("AWS_DEFAULT_REGION")
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("AWS region: AWS_REGION is not set (Lambda sets it)")
	}
	key, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	switch uri := getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"); {
	case key != "" && secret != "":
		cfg.Credentials = credentials.NewStaticCredentialsProvider(key, secret, getenv("AWS_SESSION_TOKEN"))
	case uri != "":
		if _, err := absoluteURL(uri); err != nil {
			return aws.Config{}, fmt.Errorf("AWS_CONTAINER_CREDENTIALS_FULL_URI: %w", err)
		}
		token := getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
		cfg.Credentials = aws.NewCredentialsCache(endpointcreds.New(uri, func(o *endpointcreds.Options) {
			o.AuthorizationToken = token
		}))
	default:
		return aws.Config{}, errors.New("AWS credentials: neither AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set (Lambda sets them from the function's role)")
	}
	if e := getenv("AWS_ENDPOINT_URL"); e != "" {
		u, err := absoluteURL(e)
		if err != nil {
			return aws.Config{}, fmt.Errorf("AWS_ENDPOINT_URL: %w", err)
		}
		cfg.BaseEndpoint = aws.String(u.String())
	}
	return cfg, nil
}

func absoluteURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return u, nil
}
