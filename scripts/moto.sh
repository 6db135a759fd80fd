#!/usr/bin/env bash
# Starts moto_server (the AWS emulator: DynamoDB, EventBridge Scheduler,
# KMS, ...) on 127.0.0.1 on a free port, waits until it answers and exports
# AUTOSYNC_AWS_ENDPOINT for the tests. It is stopped when the shell exits.
#
#   source scripts/moto.sh && moto_start   # in a script: sets an EXIT trap
#   scripts/moto.sh CMD ARGS...            # runs CMD with the emulator up
#
# moto_start installs an EXIT trap that calls moto_stop; a script that has
# its own EXIT trap calls moto_stop from it instead (see scripts/test.sh).
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MOTO_PID=""
MOTO_LOG=""

moto_free_port() {
	python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

moto_stop() {
	if [ -n "$MOTO_PID" ] && kill -0 "$MOTO_PID" 2>/dev/null; then
		kill "$MOTO_PID" 2>/dev/null || true
		for _ in $(seq 1 50); do
			kill -0 "$MOTO_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$MOTO_PID" 2>/dev/null || true
		wait "$MOTO_PID" 2>/dev/null || true
	fi
	MOTO_PID=""
}

# moto_start [no-trap]: starts the emulator and exports AUTOSYNC_AWS_ENDPOINT.
moto_start() {
	local server port url i
	server="$(find_moto_server)" || {
		echo "moto_server not found: run scripts/install-tools.sh moto" >&2
		return 1
	}
	for i in 1 2 3; do
		port="$(moto_free_port)"
		[ "$port" != 9001 ] || continue # the Lambda RIE's default runtime API port
		MOTO_LOG="$(mktemp -t moto.XXXXXX.log)"
		"$server" -H 127.0.0.1 -p "$port" >"$MOTO_LOG" 2>&1 &
		MOTO_PID=$!
		[ "${1:-}" = no-trap ] || trap moto_stop EXIT
		url="http://127.0.0.1:$port"
		for _ in $(seq 1 600); do # up to 60 s: a cold Python import is slow
			if python3 -c "import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" "$url/moto-api/" 2>/dev/null; then
				export AUTOSYNC_AWS_ENDPOINT="$url"
				log "moto_server (pid $MOTO_PID) answers on $url"
				return 0
			fi
			kill -0 "$MOTO_PID" 2>/dev/null || break
			sleep 0.1
		done
		echo "moto_server did not come up on $url (try $i):" >&2
		tail -n 20 "$MOTO_LOG" >&2 || true
		moto_stop
	done
	return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	[ $# -gt 0 ] || die "usage: scripts/moto.sh CMD ARGS...  (or source it and call moto_start)"
	moto_start no-trap
	trap moto_stop EXIT INT TERM
	"$@"
fi
