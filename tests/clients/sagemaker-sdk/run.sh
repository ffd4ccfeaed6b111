#!/usr/bin/env bash
# Opt-in: runs monitor_sdk.py (the SageMaker Python SDK's monitor classes) against a Kiln server of this checkout.
# Starts `./kiln server` on a free loopback port with a temporary data folder, runs the script, stops the server.
# Needs KILN_SAGEMAKER_SDK_PYTHONPATH (what setup.sh prints); without it this says so and exits 2 (never a pass).
#
#   KILN_SAGEMAKER_SDK_PYTHONPATH=/tmp/sdk-boto:/tmp/sagemaker-sdk/src:/tmp/sdk-stubs tests/clients/sagemaker-sdk/run.sh [section ...]
#
# KILN_SERVER overrides how the server is started (default: the repository's ./kiln), e.g.
# KILN_SERVER="dotnet src/Kiln.Cli/bin/Debug/net10.0/kiln.dll".
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
if [ -z "${KILN_SAGEMAKER_SDK_PYTHONPATH:-}" ]; then
  echo "KILN_SAGEMAKER_SDK_PYTHONPATH is not set: run setup.sh first (see README.md). Nothing was tested." >&2
  exit 2
fi

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
data="$(mktemp -d -t kiln-sdk-XXXXXX)"
log="$data/server.log"
read -r -a server <<< "${KILN_SERVER:-$root/kiln}"
(cd "$root" && exec "${server[@]}" server --port "$port" --data-dir "$data/kiln") > "$log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

url="http://127.0.0.1:$port"
for _ in $(seq 1 600); do
  curl -fs "$url/health" > /dev/null 2>&1 && break
  kill -0 "$pid" 2> /dev/null || { echo "the Kiln server exited:" >&2; cat "$log" >&2; exit 1; }
  sleep 1
done
curl -fs "$url/health" > /dev/null || { echo "the Kiln server did not answer on $url/health" >&2; cat "$log" >&2; exit 1; }

echo "Kiln at $url (data in $data)" >&2
status=0
PYTHONPATH="$KILN_SAGEMAKER_SDK_PYTHONPATH" /usr/bin/python3 "$here/monitor_sdk.py" "$url" "$@" || status=$?
if [ "$status" != 0 ]; then
  echo "--- last lines of the server log ---" >&2
  tail -n 80 "$log" >&2
fi
exit "$status"
