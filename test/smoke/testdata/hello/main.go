// Command hello is the cold-start yardstick for the smoke tests: the
// smallest aws-lambda-go function, built with the same flags as the real
// bootstraps, so their init time under the RIE can be compared with it
// (BENCHMARKS.md's goal: within 2x of hello-world). An input {"fail":true} makes it
// return an error, which the harness uses to check that it tells a Lambda
// error from a result.
package main

import (
	"context"
	"errors"

	"github.com/aws/aws-lambda-go/lambda"
)

type input struct {
	Fail bool `json:"fail"`
}

type output struct {
	Hello string `json:"hello"`
}

func handle(_ context.Context, in input) (output, error) {
	if in.Fail {
		return output{}, errors.New("asked to fail")
	}
	return output{Hello: "world"}, nil
}

func main() {
	lambda.Start(handle)
}
