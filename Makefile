# Autosync. `make help` lists the targets.
SHELL := bash
.DEFAULT_GOAL := help

GO        ?= go
FUNCTIONS := api webhook task pretoken
ARGS      ?=

# The Lambda build, exactly as README.md (Deploy) and template.yaml state it.
LAMBDA_ENV   := CGO_ENABLED=0 GOOS=linux GOARCH=arm64
LAMBDA_FLAGS := -trimpath -tags lambda.norpc -ldflags "-s -w"

# Packages that hold benchmarks (found, so new ones join by themselves).
BENCH_PKGS  ?= $(sort $(dir $(shell grep -rlE --include='*_test.go' '^func Benchmark' shared functions test 2>/dev/null)))
BENCHFLAGS  ?= -benchmem

.PHONY: help dev test build bench cost tools lint clean distclean \
	build-ApiFunction build-WebhookFunction build-TaskFunction build-PreTokenFunction

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

dev: ## run the whole system locally with the demo account (make dev ARGS="-speed 60")
	$(GO) run ./functions/local -demo $(ARGS)

test: ## everything CI runs: tools, moto, gofmt, vet, go test -race, sam validate/build, sizes, RIE smoke
	bash scripts/test.sh

build: ## build bin/<function>/bootstrap for Lambda (linux/arm64)
	@set -e; for f in $(FUNCTIONS); do \
		echo "go build -> bin/$$f/bootstrap"; \
		$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o bin/$$f/bootstrap ./functions/$$f; \
	done
	@ls -l bin/*/bootstrap

# sam build (BuildMethod: makefile) calls these with ARTIFACTS_DIR set.
build-ApiFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/api

build-WebhookFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/webhook

build-TaskFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/task

build-PreTokenFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/pretoken

# Benchmarks report the figures of BENCHMARKS.md (throughput, requests per
# SKU, heap); they are never pass/fail timings. Narrow them with
#   make bench BENCH_PKGS=shared/store/boltstore/ BENCHFLAGS="-benchmem -benchtime=3x"
# and compare runs with benchstat.
bench: ## run the benchmarks (go test -run '^$' -bench .) of every package that has some
	@if [ -z "$(strip $(BENCH_PKGS))" ]; then echo "no benchmarks found"; exit 0; fi
	$(GO) test -run '^$$' -bench . $(BENCHFLAGS) $(addprefix ./,$(BENCH_PKGS))

# The cost model prints a table per profile and, last, the summary line;
# narrow it with  make cost COSTFLAGS="-profiles idle,typical -sim-skus 100"
COSTFLAGS ?=
cost: ## model AWS calls and dollars per merchant-month (moto + cart simulators; idle, typical, large)
	$(GO) run ./cmd/cost $(COSTFLAGS)

tools: ## install what the tests need (sam in .venv, aws-lambda-rie in .tools/bin, moto, chromium)
	bash scripts/install-tools.sh

lint: ## gofmt check and go vet
	bash scripts/gofmt-check.sh
	$(GO) vet ./...

clean: ## remove build output
	rm -rf bin .aws-sam

distclean: clean ## also remove the installed tools (.venv, .tools)
	rm -rf .venv .tools
