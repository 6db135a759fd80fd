# shellcheck shell=bash
# Shared by the scripts in this folder: the repository root, the pinned tool
# versions and small helpers. Source it; it changes nothing by itself.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Pinned tool versions. Change them here only.
#  - aws-sam-cli: the newest release PyPI served when pinned; installs into
#    .venv with this machine's Python 3.11.
#  - aws-lambda-rie: the module proxy serves no tagged release of the
#    emulator, only pseudo-versions; this is the newest one when pinned.
#  - moto: installed only where moto_server is missing (the machine image
#    ships it); the version the image ships.
SAM_CLI_VERSION="${SAM_CLI_VERSION:-1.170.0}"
RIE_MODULE="github.com/aws/aws-lambda-runtime-interface-emulator"
RIE_VERSION="${RIE_VERSION:-v0.0.0-20261030222936-bef5c4ba774d}"
MOTO_VERSION="${MOTO_VERSION:-5.2.1}"

VENV="$ROOT/.venv"
TOOLS_BIN="$ROOT/.tools/bin"
SAM="$VENV/bin/sam"
RIE="$TOOLS_BIN/aws-lambda-rie"

export SAM_CLI_TELEMETRY=0

# section TITLE: a header that stands out in CI logs.
section() {
	printf '\n==== %s ====\n' "$*"
}

log() { printf '  %s\n' "$*"; }

die() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# as_root CMD...: runs CMD as root, through sudo where it is available.
as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -n "$@"
	else
		return 1
	fi
}

# python_scripts_dir: where `python3 -m pip install` puts console scripts.
python_scripts_dir() {
	python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'
}

# find_moto_server: prints the path of moto_server, or fails.
find_moto_server() {
	local p
	if p="$(command -v moto_server 2>/dev/null)" && "$p" --help >/dev/null 2>&1; then
		printf '%s\n' "$p"
		return 0
	fi
	for p in "$(python_scripts_dir 2>/dev/null)/moto_server" "$VENV/bin/moto_server"; do
		if [ -x "$p" ]; then
			printf '%s\n' "$p"
			return 0
		fi
	done
	return 1
}
