#!/usr/bin/env bash
# Feature store benchmark: builds the Release server, starts it and a redis-server on free ports with fresh data,
# runs bench.py with Debian's python3 (pandas, redis-py, boto3), then stops both.
# Usage: bash bench/featurestore/run.sh [EVENTS] [IDS] [VERSIONS] [READS]
# KILN_SERVER_ARGS adds server flags, e.g. the cluster store (online store in PostgreSQL, offline store in S3):
#   KILN_SERVER_ARGS="--store postgres://postgres@127.0.0.1:5432/kiln --artifacts s3://bench/kiln --s3-endpoint http://127.0.0.1:9000"
# @REDIS@ in KILN_SERVER_ARGS is the URL of the bench's redis-server, so the online store can be the Redis the
# reference reads (HGETALL keys are "<group>:<id>", Kiln's are under kiln:fs:):
#   KILN_SERVER_ARGS="--online-store @REDIS@"
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
kiln_port="$(free_port)"; redis_port="$(free_port)"
# KILN_DLL=path/to/kiln.dll runs an existing build instead of building Release.
if [ -n "${KILN_DLL:-}" ]; then kiln=(dotnet "$KILN_DLL"); else
  dotnet build "$repo/src/Kiln.Cli" -c Release -v q -o "$work/bin" >/dev/null; kiln=("$work/bin/kiln"); fi
redis-server --port "$redis_port" --save '' --daemonize yes --pidfile "$work/redis.pid" >/dev/null
server_args="${KILN_SERVER_ARGS:-}"; server_args="${server_args//@REDIS@/redis://127.0.0.1:$redis_port}"
# shellcheck disable=SC2086 # server_args is a list of flags
"${kiln[@]}" server --port "$kiln_port" --data-dir "$work/data" $server_args >"$work/server.log" 2>&1 &
kiln_pid=$!
trap 'kill "$kiln_pid" 2>/dev/null || true; kill "$(cat "$work/redis.pid")" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$kiln_port/health" >/dev/null && break; sleep 0.5; done
/usr/bin/python3 "$here/bench.py" "http://127.0.0.1:$kiln_port" "$redis_port" "$@"
