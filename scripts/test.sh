#!/usr/bin/env bash
# make test (and so CI's .ci/run): installs the tools, starts the AWS
# emulator, then checks formatting, vets, runs every Go test with the race
# detector, validates and lints the SAM template, builds the Lambda
# bootstraps with sam (natively, no container), checks their size and smoke
# tests each of them under the Lambda Runtime Interface Emulator.
# Any failure stops the run with a non-zero exit.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=moto.sh
source "$ROOT/scripts/moto.sh"
cd "$ROOT"

# BENCHMARKS.md's goal: each bootstrap at most 15 MB (decimal: the stricter reading).
MAX_BOOTSTRAP_BYTES=15000000
# A hung test (say, a request the emulator never answers) fails its package
# after this long, with every goroutine's stack, instead of go test's 10 min.
GO_TEST_TIMEOUT="${GO_TEST_TIMEOUT:-5m}"
FUNCTIONS=(ApiFunction WebhookFunction TaskFunction PreTokenFunction)

START=$SECONDS
CURRENT=""
TIMINGS=()
SMOKE_REPORT="$(mktemp -t autosync-smoke.XXXXXX)"

begin() {
	finish_section
	CURRENT="$*"
	SECTION_START=$SECONDS
	section "$CURRENT"
}
finish_section() {
	if [ -n "$CURRENT" ]; then
		TIMINGS+=("$(printf '%5ss  %s' $((SECONDS - SECTION_START)) "$CURRENT")")
	fi
	CURRENT=""
}
on_exit() {
	local rc=$?
	moto_stop
	rm -f "$SMOKE_REPORT"
	if [ $rc -ne 0 ]; then
		printf '\n==== FAILED%s (exit %s, after %ss) ====\n' "${CURRENT:+ in: $CURRENT}" "$rc" $((SECONDS - START)) >&2
	fi
	exit $rc
}
trap on_exit EXIT

begin "Environment"
log "$(go version)"
log "cores: $(nproc), CI=${CI:-}"

begin "Tools"
bash scripts/install-tools.sh sam rie moto chromium

begin "AWS emulator (moto_server)"
moto_start no-trap

begin "gofmt"
bash scripts/gofmt-check.sh

begin "go vet ./..."
go vet ./...
log "go vet: clean"

begin "go test -race -count=1 (every package but ./test/smoke, which runs below)"
mapfile -t PKGS < <(go list ./... | grep -v '/test/smoke$')
go test -race -count=1 -timeout "$GO_TEST_TIMEOUT" "${PKGS[@]}"

begin "sam validate --lint"
"$SAM" validate --lint --template template.yaml --region us-east-1

begin "sam build (BuildMethod makefile, native linux/arm64, no container)"
"$SAM" build --template template.yaml --build-in-source

begin "bootstrap sizes (limit $MAX_BOOTSTRAP_BYTES bytes)"
oversize=0
for fn in "${FUNCTIONS[@]}"; do
	f=".aws-sam/build/$fn/bootstrap"
	[ -f "$f" ] || die "$f was not built"
	bytes=$(stat -c %s "$f")
	# ELF e_machine (offset 18, little-endian) 183 = AArch64.
	machine=$(od -An -j18 -N2 -tu2 "$f" | tr -d ' ')
	[ "$machine" = 183 ] || die "$f is not a linux/arm64 ELF binary (e_machine $machine)"
	status=ok
	if [ "$bytes" -gt "$MAX_BOOTSTRAP_BYTES" ]; then
		status="OVER LIMIT"
		oversize=1
	fi
	printf '  %-16s %10s bytes  %6.2f MB  arm64  %s\n' "$fn" "$bytes" "$(echo "$bytes" | awk '{printf "%.2f", $1/1e6}')" "$status"
done
[ $oversize = 0 ] || die "a bootstrap is larger than $MAX_BOOTSTRAP_BYTES bytes"

begin "RIE smoke tests (every function with events/*.json under aws-lambda-rie)"
smoke_env=(AUTOSYNC_RIE="$RIE" AUTOSYNC_SMOKE_REPORT="$SMOKE_REPORT")
if [ "$(go env GOARCH)" = arm64 ]; then
	# SAM's own output runs natively here: smoke test exactly what ships.
	smoke_env+=(AUTOSYNC_SMOKE_ARTIFACTS="$ROOT/.aws-sam/build")
fi
env "${smoke_env[@]}" go test -count=1 -timeout "$GO_TEST_TIMEOUT" -v ./test/smoke
if [ -s "$SMOKE_REPORT" ]; then
	section "Cold start under the RIE (reported, not enforced)"
	cat "$SMOKE_REPORT"
fi

finish_section
section "Summary"
printf '%s\n' "${TIMINGS[@]}"
printf 'make test: all checks passed in %ss\n' $((SECONDS - START))
