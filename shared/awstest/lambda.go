package awstest

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// CreateFunction makes a Lambda function named name in the emulator, so
// that asynchronous invokes of it are accepted (the emulator queues them
// and cannot run them), and returns its ARN.
func CreateFunction(t testing.TB, name string) string {
	t.Helper()
	cfg := Config(t)
	role := createRole(t, name)
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	w, _ := zw.Create("bootstrap")
	_, _ = w.Write([]byte("#!/bin/sh\n"))
	_ = zw.Close()
	fn, err := lambda.NewFromConfig(cfg).CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: &name,
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Role:         &role,
		Code:         &types.FunctionCode{ZipFile: zipped.Bytes()},
	})
	if err != nil {
		t.Fatalf("create function %s: %v", name, err)
	}
	return aws.ToString(fn.FunctionArn)
}

// createRole makes an IAM role Lambda may assume; the emulator checks a
// function's role exists. IAM's query API is one form post, routed by the
// credential scope; the emulator does not check the signature.
func createRole(t testing.TB, name string) string {
	t.Helper()
	form := url.Values{
		"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {name},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
	}
	req, err := http.NewRequest(http.MethodPost, Endpoint(t), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20261127/"+Region+"/iam/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("create role %s: %v", name, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create role %s: HTTP %d", name, resp.StatusCode)
	}
	return "arn:aws:iam::123456789012:role/" + name
}
