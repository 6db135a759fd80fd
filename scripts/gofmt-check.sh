#!/usr/bin/env bash
# Fails, listing the files, when any Go file in the repository (testdata
# included, tool folders excluded) is not gofmt-formatted.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
mapfile -t files < <(find . \( -path ./.git -o -path ./.venv -o -path ./.tools -o -path ./.aws-sam -o -path ./bin -o -path ./.autosync -o -name node_modules \) -prune -o -name '*.go' -type f -print | sort)
[ ${#files[@]} -gt 0 ] || die "no Go files found"
bad="$(gofmt -l "${files[@]}")"
if [ -n "$bad" ]; then
	echo "These files are not gofmt-formatted (run gofmt -w on them):" >&2
	printf '  %s\n' $bad >&2
	exit 1
fi
log "gofmt: ${#files[@]} files formatted"
