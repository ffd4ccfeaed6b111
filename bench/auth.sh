#!/usr/bin/env bash
# What authentication costs: two Release Kiln servers on the same machine, one plain and one started with --auth,
# driven by the same clients in turns (interleaved, the order alternating, after a warm-up of each).
#   (a) tracking: bench/Kiln.Bench.Tracking's MLflow REST workload (see bench/tracking.sh) over one keep-alive
#       connection; on the --auth server as a non-admin user with HTTP basic auth (the secret checked, the user's
#       permission on the experiment read from the store on every call).
#   (b) hosting: bench/hosting's single-row invocations at 64 connections (wrk, post.lua) on an xgboost churn
#       endpoint deployed on each; every request carries a SigV4 signature (botocore's, renewed before each run), as
#       boto3 sends to either, and the --auth server verifies it in full.
#       Besides throughput and p99, each server's own CPU time per request (from /proc, utime + stime over the run):
#       wrk shares the 2 cores, so throughput moves with it, while CPU per request is what auth adds to the server.
#       The VM's speed drifts by more than the effect, so the rounds are short and many, each a plain and an auth run
#       back to back (order alternating), and the ratio reported is the median of the rounds' own ratios.
#       Then, as bench/hosting reports latency, p99 at half of the plain server's peak rate (a Poisson stream, the
#       same rounds and order): the latency a caller sees below saturation, with and without the check.
#   (c) the check alone, in process (bench/Kiln.Bench.Auth): the same signed request through the authentication
#       middleware and a handler, against the handler alone, on one thread with no sockets; the difference is what
#       verifying costs a request, free of wrk and of the VM's drift. Basic auth (the MLflow dialect) likewise.
# Usage: bash bench/auth.sh   (PARTS=bc leaves out (a); REPETITIONS=7, COUNT=1000 for (a); ROUNDS=9, SECONDS_PER_RUN=6, WARMUP_SECONDS=20
#        (twice per server, alternating, so both reach their tiered-JIT steady state), CONNECTIONS=64 for (b))
# Prints four Markdown tables with the ratio auth ÷ plain; JSON of (a) in bench/results/auth-tracking.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source bench/lib/servers.sh
repetitions="${REPETITIONS:-7}"
count="${COUNT:-1000}"
rounds="${ROUNDS:-9}"
seconds="${SECONDS_PER_RUN:-6}"
warmup="${WARMUP_SECONDS:-20}"
connections="${CONNECTIONS:-64}"
parts="${PARTS:-abc}"
work="$(mktemp -d)"

dotnet publish src/Kiln.Cli -c Release -o "$work/kiln" --nologo -v quiet -p:PublishReadyToRun=true -r linux-x64 --self-contained false >&2
dotnet build bench/Kiln.Bench.Tracking -c Release --nologo -v quiet >&2
dotnet build bench/Kiln.Bench.Auth -c Release --nologo -v quiet >&2
kiln_cli() { dotnet "$work/kiln/kiln.dll" "$@"; }
field() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# The --auth server's users, created on its data folder before it starts: an admin deploys, a plain user measures.
admin_json=$(kiln_cli users create admin --admin --json --data-dir "$work/auth")
bench_json=$(kiln_cli users create bench --json --data-dir "$work/auth")
admin_secret=$(field secret_access_key <<<"$admin_json")
bench_key=$(field access_key_id <<<"$bench_json")
bench_secret=$(field secret_access_key <<<"$bench_json")

declare -A url server_pid
for name in plain auth; do
  flags=(); [[ $name == auth ]] && flags=(--auth)
  setsid dotnet "$work/kiln/kiln.dll" server --port 0 --data-dir "$work/$name" "${flags[@]}" >"$work/$name.log" 2>&1 &
  pids+=($!)
  address_from_log "$name" "${pids[-1]}" "$work/$name.log" 's|.*Kiln listening on \(http://[^ ]*\).*|\1|p'
  url[$name]="$server_address"
  server_pid[$name]="${pids[-1]}"
  wait_for_server "$name" "${url[$name]}/health" "${pids[-1]}" "$work/$name.log"
done

if [[ $parts == *a* ]]; then
  echo "(a) tracking, raw HTTP: $repetitions repetitions of $count" >&2
  mkdir -p bench/results
  encoded_secret=$(/usr/bin/python3 -c "import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=''))" "$bench_secret")
  dotnet bench/Kiln.Bench.Tracking/bin/Release/net10.0/Kiln.Bench.Tracking.dll "$repetitions" "$count" \
    bench/results/auth-tracking.json "plain=${url[plain]}" "auth=${url[auth]/http:\/\//http://bench:$encoded_secret@}"
fi

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

measure() { # name seconds [rate: requests/s as a Poisson stream; 0 or none = as fast as the connections go]
  # Both servers get the same client: botocore signs every request whether or not the server checks, so the plain
  # server receives the same SigV4 headers (its own host signed) and only the checking differs.
  local endpoint="${url[$1]}/endpoints/bench/invocations" headers="$work/sigv4-$1.txt"
  python3 bench/auth/sign.py "$endpoint" "$bench_key" "$bench_secret" "$work/row.csv" text/csv >"$headers"
  local ticks_before ticks_after
  ticks_before=$(server_ticks "$1")
  ROW_FILE="$work/row.csv" CONTENT_TYPE=text/csv HEADERS_FILE="$headers" RATE="${3:-0}" CONNECTIONS="$connections" \
    wrk -t2 -c"$connections" -d"$2"s --latency -s bench/hosting/post.lua "$endpoint" >"$work/wrk.txt"
  ticks_after=$(server_ticks "$1")
  /usr/bin/python3 - "$work/wrk.txt" "$(( ticks_after - ticks_before ))" "$(getconf CLK_TCK)" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
requests = int(re.search(r"(\d+) requests in", text).group(1))
value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", text).groups()
p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
errors = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", text)) else 0
cpu_us = int(sys.argv[2]) / int(sys.argv[3]) * 1e6 / requests
print(f"{rps:.0f} {p99:.2f} {errors} {cpu_us:.1f}")
PY
}

# The server's CPU time so far in clock ticks (user + system, fields 14 and 15 of /proc/PID/stat).
server_ticks() { awk '{ print $14 + $15 }' "/proc/${server_pid[$1]}/stat"; }

# rounds_at RATE TITLE RATE_LABEL: ROUNDS rounds at RATE requests/s (0: as fast as the connections go), each a plain
# and an auth run back to back, the order alternating. Prints the Markdown table (medians, and the median and range of
# the rounds' own auth ÷ plain ratios); leaves each server's requests/s in rates[plain] and rates[auth].
declare -A rates errors
errors[plain]=0; errors[auth]=0
rounds_at() {
  local rate="$1" title="$2" rate_label="$3" round name rps p99 err cpu
  local -A p99s cpus
  for name in plain auth; do rates[$name]=""; p99s[$name]=""; cpus[$name]=""; done
  for (( round = 0; round < rounds; round++ )); do
    local order=(plain auth); (( round % 2 == 1 )) && order=(auth plain)
    for name in "${order[@]}"; do
      read -r rps p99 err cpu < <(measure "$name" "$seconds" "$rate")
      echo "round $round $name at ${rate/#0/peak}: $rps requests/s, p99 $p99 ms, server CPU $cpu µs/request, $err non-2xx" >&2
      rates[$name]+="$rps "; p99s[$name]+="$p99 "; cpus[$name]+="$cpu "; errors[$name]=$(( ${errors[$name]} + err ))
    done
  done
  /usr/bin/python3 - "$title" "$rate_label" "${rates[plain]}" "${rates[auth]}" "${p99s[plain]}" "${p99s[auth]}" "${cpus[plain]}" "${cpus[auth]}" <<'PY'
import statistics, sys
title, rate_label = sys.argv[1:3]
rate_plain, rate_auth, p99_plain, p99_auth, cpu_plain, cpu_auth = ([float(v) for v in arg.split()] for arg in sys.argv[3:9])
print()
print(f"| {title} | plain (median) | --auth, SigV4 (median) | --auth ÷ plain (median of the rounds' ratios) |")
print("|---|---:|---:|---:|")
def row(label, a, b, digits):
    ratios = sorted(y / x for x, y in zip(a, b))
    print(f"| {label} | {statistics.median(a):.{digits}f} | {statistics.median(b):.{digits}f} | {statistics.median(ratios):.1%} ({ratios[0]:.1%}–{ratios[-1]:.1%}) |")
row(rate_label, rate_plain, rate_auth, 0)
row("p99 (ms)", p99_plain, p99_auth, 2)
row("server CPU per request (µs)", cpu_plain, cpu_auth, 1)
PY
}

for warm in 1 2; do for name in plain auth; do measure "$name" "$warmup" >/dev/null; done; done
rounds_at 0 "invocations, $connections connections, $rounds rounds" "requests/s"
half=$(/usr/bin/python3 -c "import statistics, sys; print(int(statistics.median(float(v) for v in sys.argv[1:]) / 2))" ${rates[plain]})
echo "(b) p99 at half of plain's peak, $half requests/s" >&2
rounds_at "$half" "invocations at $half/s (half of plain's peak), $rounds rounds" "requests/s achieved"
echo
echo "non-2xx answers (peak and half rate): plain ${errors[plain]}, auth ${errors[auth]}"

echo >&2
echo "(c) the check alone, in process" >&2
python3 bench/auth/sign.py "${url[auth]}/endpoints/bench/invocations" "$bench_key" "$bench_secret" "$work/row.csv" text/csv >"$work/sigv4-in-process.txt"
echo
dotnet bench/Kiln.Bench.Auth/bin/Release/net10.0/Kiln.Bench.Auth.dll "$work/auth" "${url[auth]}" "$work/sigv4-in-process.txt" \
  "$work/row.csv" bench "$bench_secret"
