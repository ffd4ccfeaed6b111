#!/usr/bin/env bash
# Endpoint throughput in cluster mode: one `kiln server` (no job slots) in front, an endpoint with two replicas
# placed on 1 worker (both replicas there) and then on 2 workers (one each), single-row CSV invocations sent by wrk
# to the server at 64 connections. Every process shares this machine's cores, the load generator included.
# Needs: wrk (apt), PostgreSQL and an S3 server as the tests use them:
#   KILN_TEST_POSTGRES=postgres://postgres@127.0.0.1:55432/postgres KILN_TEST_S3_ENDPOINT=http://127.0.0.1:55000
# Prints a Markdown table. SECONDS_PER_RUN (default 10) and RUNS (default 3, the median is kept) tune it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/bench/lib/servers.sh"
seconds="${SECONDS_PER_RUN:-10}"
runs="${RUNS:-3}"
connections="${CONNECTIONS:-64}"
: "${KILN_TEST_POSTGRES:?set KILN_TEST_POSTGRES (a PostgreSQL server this script may create a database on)}"
: "${KILN_TEST_S3_ENDPOINT:?set KILN_TEST_S3_ENDPOINT (an S3-compatible server)}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}" AWS_REGION="${AWS_REGION:-us-east-1}"
work="$(mktemp -d)"
dotnet publish "$root/src/Kiln.Cli" -c Release -o "$work/kiln" --nologo -v quiet -p:PublishReadyToRun=true -r linux-x64 --self-contained false >&2

pg_base="${KILN_TEST_POSTGRES%/*}"
bucket="kiln-bench-$(date +%s)"
/usr/bin/python3 - "$KILN_TEST_S3_ENDPOINT" "$bucket" <<'PY'
import sys, boto3
boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1").create_bucket(Bucket=sys.argv[2])
PY
row="$work/row.csv"
sed -n 2p "$root/samples/data/churn.csv" | cut -d, -f1-$(( $(head -1 "$root/samples/data/churn.csv" | tr ',' '\n' | wc -l) - 1 )) >"$row"

# One measurement: a fresh database, a server and N workers, train, deploy two replicas, wrk against the server.
measure() {
  local workers="$1" database="kiln_bench_$(date +%s%N)"
  psql "$KILN_TEST_POSTGRES" -qc "CREATE DATABASE $database" >/dev/null
  local shared=(--store "$pg_base/$database" --artifacts "s3://$bucket/$database" --s3-endpoint "$KILN_TEST_S3_ENDPOINT")
  local first=${#pids[@]}
  setsid dotnet "$work/kiln/kiln.dll" server --port 0 --data-dir "$work/$database/server" --job-slots 0 "${shared[@]}" >"$work/$database-server.log" 2>&1 &
  pids+=($!)
  address_from_log kiln "${pids[-1]}" "$work/$database-server.log" 's|.*Kiln listening on \(http://[^ ]*\).*|\1|p'
  local url="$server_address"
  wait_for_server kiln "$url/health" "${pids[-1]}" "$work/$database-server.log"
  for i in $(seq "$workers"); do
    setsid dotnet "$work/kiln/kiln.dll" worker --data-dir "$work/$database/worker-$i" --job-slots 2 "${shared[@]}" >"$work/$database-worker-$i.log" 2>&1 &
    pids+=($!)
    until grep -q "Kiln worker joined the cluster" "$work/$database-worker-$i.log"; do sleep 0.5; done
  done
  kiln() { dotnet "$work/kiln/kiln.dll" --url "$url" "$@"; }
  kiln train --data "$root/samples/data/churn.csv" --target churn --name bench-churn --hp num_round=100 --hp max_depth=6 >&2
  kiln deploy bench-churn --name bench --instances 2 >&2
  local nodes
  nodes=$(curl -s -H 'Content-Type: text/csv' --data-binary @"$row" "$url/endpoints/bench/invocations" >/dev/null &&
    curl -s "$url/api/kiln/endpoints/bench/traffic" | /usr/bin/python3 -c 'import json,sys; v=json.load(sys.stdin)["traffic"]["variants"][0]; print(len(set(v["replicaNodes"])))')
  local results=()
  for _ in $(seq "$runs"); do
    ROW_FILE="$row" CONTENT_TYPE=text/csv RATE=0 CONNECTIONS="$connections" wrk -t2 -c"$connections" -d"$seconds"s --latency \
      -s "$root/bench/hosting/post.lua" "$url/endpoints/bench/invocations" >"$work/wrk.txt"
    results+=("$(/usr/bin/python3 - "$work/wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{rps:.0f} {float(p99.group(1)) * scale:.1f} {errors.group(1) if errors else 0}")
PY
)")
  done
  local median
  median=$(printf '%s\n' "${results[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  read -r rps p99 errors <<<"$median"
  echo "| $workers | 2 | $nodes | $rps | $p99 | $errors |"
  for pid in "${pids[@]:$first}"; do kill -- "-$pid" 2>/dev/null || true; done
  pids=("${pids[@]:0:$first}")
  sleep 2
  psql "$KILN_TEST_POSTGRES" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null
}

echo "| workers | replicas | nodes serving replicas | requests/s (median of $runs) | p99 ms | non-2xx |"
echo "|---|---|---|---|---|---|"
measure 1
measure 2
