#!/usr/bin/env bash
# Installs what `make test` needs, each only where it is missing or at the
# wrong version, so a second run costs a few seconds:
#   - aws-sam-cli (sam, with cfn-lint) into .venv/, pinned;
#   - aws-lambda-rie into .tools/bin/ with `go install`, pinned;
#   - moto_server (moto[server]) into .venv/, pinned, only if it is not on
#     the machine (a virtual environment: Debian's Python refuses pip
#     installs into the system, PEP 668);
#   - Debian's chromium, for the Sync page's browser test, only if
#     /usr/bin/chromium is missing.
# Usage: scripts/install-tools.sh [sam|rie|moto|chromium]...  (default: all)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# ensure_venv creates .venv/ once. Debian ships venv's pip bootstrap in
# python3-venv, which a fresh machine may lack: it is installed then.
ensure_venv() {
	[ -x "$VENV/bin/python" ] && return
	if ! python3 -m venv "$VENV" 2>/dev/null; then
		rm -rf "$VENV"
		log "python3 -m venv failed: installing Debian's python3-venv"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
			as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null ||
			die "python3 -m venv needs Debian's python3-venv (apt-get needs root)"
		python3 -m venv "$VENV"
	fi
}

install_sam() {
	if [ -x "$SAM" ] && [ "$("$SAM" --version 2>/dev/null)" = "SAM CLI, version $SAM_CLI_VERSION" ]; then
		log "sam $SAM_CLI_VERSION: present ($SAM)"
		return
	fi
	log "sam $SAM_CLI_VERSION: installing into .venv/"
	ensure_venv
	"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "aws-sam-cli==$SAM_CLI_VERSION"
	"$SAM" --version
}

install_rie() {
	if [ -x "$RIE" ] && go version -m "$RIE" 2>/dev/null | grep -q "mod[[:space:]]*$RIE_MODULE[[:space:]]*$RIE_VERSION"; then
		log "aws-lambda-rie $RIE_VERSION: present ($RIE)"
		return
	fi
	log "aws-lambda-rie $RIE_VERSION: installing into .tools/bin/"
	mkdir -p "$TOOLS_BIN"
	# Outside the module: the emulator's dependencies stay out of go.mod.
	(cd / && GOFLAGS=-mod=mod GOBIN="$TOOLS_BIN" go install "$RIE_MODULE/cmd/aws-lambda-rie@$RIE_VERSION")
	[ -x "$RIE" ] || die "aws-lambda-rie was not installed at $RIE"
}

install_moto() {
	local p
	if p="$(find_moto_server)"; then
		log "moto_server: present ($p)"
		return
	fi
	log "moto_server: missing, installing moto[server]==$MOTO_VERSION into .venv/"
	ensure_venv
	"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
	p="$(find_moto_server)" || die "moto_server not found after installing moto[server]"
	log "moto_server: $p"
}

install_chromium() {
	if [ -x /usr/bin/chromium ]; then
		log "chromium: present (/usr/bin/chromium)"
		return
	fi
	log "chromium: installing Debian's package"
	if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
		! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; then
		if [ -n "${CI:-}" ]; then
			die "could not install chromium (apt-get needs root)"
		fi
		log "WARNING: could not install chromium (apt-get needs root); the browser test will skip"
		return
	fi
	[ -x /usr/bin/chromium ] || die "chromium installed but /usr/bin/chromium is missing"
	log "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo installed)"
}

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(sam rie moto chromium)
for tool in "${tools[@]}"; do
	case "$tool" in
	sam) install_sam ;;
	rie) install_rie ;;
	moto) install_moto ;;
	chromium) install_chromium ;;
	*) die "unknown tool $tool (sam, rie, moto, chromium)" ;;
	esac
done
