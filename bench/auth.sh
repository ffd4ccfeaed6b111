#!/usr/bin/env bash
# What authentication costs: two Release Kiln servers on the same machine, one plain and one started with --auth,
# driven by the same clients in turns (interleaved, the order alternating, after a warm-up of each).
#   (a) tracking: bench/Kiln.Bench.Tracking's MLflow REST workload (see bench/tracking.sh) over one keep-alive
#       connection; on the --auth server as a non-admin user with HTTP basic auth (the secret checked, the user's
#       permission on the experiment read from the store on every call).
#   (b) hosting: bench/hosting's single-row invocations at 64 connections (wrk, post.lua) on an xgboost churn
#       endpoint deployed on each; every request carries a SigV4 signature (botocore's, renewed before each run), as
#       boto3 sends to either, and the --auth server verifies it in full.
# Usage: bash bench/auth.sh   (REPETITIONS=5, COUNT=500 for (a); ROUNDS=3, SECONDS_PER_RUN=8, CONNECTIONS=64 for (b))
# Prints two Markdown tables with the ratio auth ÷ plain; JSON of (a) in bench/results/auth-tracking.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source bench/lib/servers.sh
repetitions="${REPETITIONS:-5}"
count="${COUNT:-500}"
rounds="${ROUNDS:-3}"
seconds="${SECONDS_PER_RUN:-8}"
connections="${CONNECTIONS:-64}"
work="$(mktemp -d)"

dotnet publish src/Kiln.Cli -c Release -o "$work/kiln" --nologo -v quiet -p:PublishReadyToRun=true -r linux-x64 --self-contained false >&2
dotnet build bench/Kiln.Bench.Tracking -c Release --nologo -v quiet >&2
kiln_cli() { dotnet "$work/kiln/kiln.dll" "$@"; }
field() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# The --auth server's users, created on its data folder before it starts: an admin deploys, a plain user measures.
admin_json=$(kiln_cli users create admin --admin --json --data-dir "$work/auth")
bench_json=$(kiln_cli users create bench --json --data-dir "$work/auth")
admin_secret=$(field secret_access_key <<<"$admin_json")
bench_key=$(field access_key_id <<<"$bench_json")
bench_secret=$(field secret_access_key <<<"$bench_json")

declare -A url
for name in plain auth; do
  flags=(); [[ $name == auth ]] && flags=(--auth)
  setsid dotnet "$work/kiln/kiln.dll" server --port 0 --data-dir "$work/$name" "${flags[@]}" >"$work/$name.log" 2>&1 &
  pids+=($!)
  address_from_log "$name" "${pids[-1]}" "$work/$name.log" 's|.*Kiln listening on \(http://[^ ]*\).*|\1|p'
  url[$name]="$server_address"
  wait_for_server "$name" "${url[$name]}/health" "${pids[-1]}" "$work/$name.log"
done

echo "(a) tracking, raw HTTP: $repetitions repetitions of $count" >&2
mkdir -p bench/results
encoded_secret=$(/usr/bin/python3 -c "import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=''))" "$bench_secret")
dotnet bench/Kiln.Bench.Tracking/bin/Release/net10.0/Kiln.Bench.Tracking.dll "$repetitions" "$count" \
  bench/results/auth-tracking.json "plain=${url[plain]}" "auth=${url[auth]/http:\/\//http://bench:$encoded_secret@}"

echo >&2
echo "(b) hosting: training and deploying the churn model on both" >&2
for name in plain auth; do
  user=""; secret=""; [[ $name == auth ]] && { user=admin; secret="$admin_secret"; }
  KILN_USER="$user" KILN_SECRET="$secret" kiln_cli --url "${url[$name]}" train --data samples/data/churn.csv --target churn \
    --name bench-churn --hp num_round=100 --hp max_depth=6 >&2
  KILN_USER="$user" KILN_SECRET="$secret" kiln_cli --url "${url[$name]}" deploy bench-churn --name bench \
    --capture s3://bench-capture/churn >&2
done
sed -n 2p samples/data/churn.csv | /usr/bin/python3 -c "import sys; print(','.join(sys.stdin.read().strip().split(',')[:-1]), end='')" >"$work/row.csv"

measure() { # name seconds
  # Both servers get the same client: botocore signs every request whether or not the server checks, so the plain
  # server receives the same SigV4 headers (its own host signed) and only the checking differs.
  local endpoint="${url[$1]}/endpoints/bench/invocations" headers="$work/sigv4-$1.txt"
  python3 bench/auth/sign.py "$endpoint" "$bench_key" "$bench_secret" "$work/row.csv" text/csv >"$headers"
  ROW_FILE="$work/row.csv" CONTENT_TYPE=text/csv HEADERS_FILE="$headers" RATE=0 CONNECTIONS="$connections" \
    wrk -t2 -c"$connections" -d"$2"s --latency -s bench/hosting/post.lua "$endpoint" >"$work/wrk.txt"
  /usr/bin/python3 - "$work/wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", text).groups()
p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
errors = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", text)) else 0
print(f"{rps:.0f} {p99:.2f} {errors}")
PY
}

declare -A runs p99s errors
for name in plain auth; do measure "$name" 10 >/dev/null; runs[$name]=""; p99s[$name]=""; errors[$name]=0; done
for (( round = 0; round < rounds; round++ )); do
  order=(plain auth); (( round % 2 == 1 )) && order=(auth plain)
  for name in "${order[@]}"; do
    read -r rps p99 err < <(measure "$name" "$seconds")
    echo "round $round $name: $rps requests/s, p99 $p99 ms, $err non-2xx" >&2
    runs[$name]+="$rps "; p99s[$name]+="$p99 "; errors[$name]=$(( ${errors[$name]} + err ))
  done
done
/usr/bin/python3 - "${runs[plain]}" "${runs[auth]}" "${p99s[plain]}" "${p99s[auth]}" "${errors[plain]}" "${errors[auth]}" <<'PY'
import statistics, sys
plain, auth, p99_plain, p99_auth = ([float(v) for v in arg.split()] for arg in sys.argv[1:5])
print()
print("| invocations, 64 connections | plain (median) | --auth, SigV4 (median) | --auth ÷ plain |")
print("|---|---:|---:|---:|")
rate_plain, rate_auth = statistics.median(plain), statistics.median(auth)
lat_plain, lat_auth = statistics.median(p99_plain), statistics.median(p99_auth)
print(f"| requests/s (runs: {' '.join(f'{v:.0f}' for v in plain)} / {' '.join(f'{v:.0f}' for v in auth)}) | {rate_plain:.0f} | {rate_auth:.0f} | {rate_auth / rate_plain:.1%} |")
print(f"| p99 (ms) | {lat_plain:.2f} | {lat_auth:.2f} | {lat_auth / lat_plain:.1%} |")
print(f"\nnon-2xx answers: plain {sys.argv[5]}, auth {sys.argv[6]}")
PY
