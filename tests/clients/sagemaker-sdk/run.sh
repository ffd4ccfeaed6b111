#!/usr/bin/env bash
# Opt-in: runs monitors.py (the SageMaker Python SDK's monitor classes) against a Kiln server of this checkout.
# Starts `./kiln server` on a free loopback port with a temporary data folder, runs the script, stops the server.
# Needs KILN_SAGEMAKER_SDK (the OUT_DIR of tools/sagemaker-sdk/setup.sh); without it this says so and exits 2.
#
#   KILN_SAGEMAKER_SDK=/tmp/kiln-sagemaker-sdk tests/clients/sagemaker-sdk/run.sh [section ...]
#
# KILN_SERVER overrides how the server is started (default: the repository's ./kiln), e.g.
# KILN_SERVER="dotnet src/Kiln.Cli/bin/Debug/net10.0/kiln.dll".
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
if [ -z "${KILN_SAGEMAKER_SDK:-}" ] || [ ! -f "$KILN_SAGEMAKER_SDK/pythonpath" ]; then
  echo "KILN_SAGEMAKER_SDK does not name a folder laid out by tools/sagemaker-sdk/setup.sh (docs/sagemaker-sdk.md). Nothing was tested." >&2
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
PYTHONPATH="$(cat "$KILN_SAGEMAKER_SDK/pythonpath")" /usr/bin/python3 "$here/monitors.py" "$url" "$@" || status=$?
if [ "$status" != 0 ]; then
  echo "--- last lines of the server log ---" >&2
  tail -n 80 "$log" >&2
fi
exit "$status"
