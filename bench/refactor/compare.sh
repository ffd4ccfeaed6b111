#!/usr/bin/env bash
# Before/after for a change that must not change speed (a restructure): Kiln built from two commits, side by side on
# the same machine and data, driven by the same clients in interleaved turns.
#   (a) tracking: bench/Kiln.Bench.Tracking (raw HTTP, one keep-alive connection) against both servers;
#   (b) serving: the churn xgboost endpoint (capture on) deployed on both, single-row CSV invocations with wrk at
#       64 connections; peak requests/s and p99, the median of three interleaved runs each.
# Usage: bash bench/refactor/compare.sh BASE [HEAD]   (HEAD defaults to the working tree's HEAD; needs wrk for (b))
# Prints two Markdown tables.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/bench/lib/servers.sh"
base="${1:?usage: compare.sh BASE [HEAD]}"
head="${2:-HEAD}"
repetitions="${REPETITIONS:-3}"
count="${COUNT:-1000}"
seconds="${SECONDS_PER_RUN:-8}"
work="$(mktemp -d)"

declare -A url
for side in before after; do
  commit=$([[ $side == before ]] && echo "$base" || echo "$head")
  git -C "$root" worktree add -q --detach "$work/src-$side" "$commit"
  dotnet publish "$work/src-$side/src/Kiln.Cli" -c Release -o "$work/kiln-$side" --nologo -v quiet -p:UseAppHost=false >&2
  git -C "$root" worktree remove --force "$work/src-$side"
  setsid dotnet "$work/kiln-$side/kiln.dll" server --port 0 --data-dir "$work/data-$side" >"$work/$side.log" 2>&1 &
  pids+=($!)
  address_from_log "$side" "${pids[-1]}" "$work/$side.log" 's|.*Kiln listening on \(http://[^ ]*\).*|\1|p'
  url[$side]="$server_address"
  wait_for_server "$side" "${url[$side]}/health" "${pids[-1]}" "$work/$side.log"
  echo "$side: $(git -C "$root" rev-parse --short "$commit") at ${url[$side]}" >&2
done

dotnet build "$root/bench/Kiln.Bench.Tracking" -c Release --nologo -v quiet >&2
echo "(a) tracking, raw HTTP ($repetitions repetitions of $count)"
dotnet "$root/bench/Kiln.Bench.Tracking/bin/Release/net10.0/Kiln.Bench.Tracking.dll" "$repetitions" "$count" \
  "$work/tracking.json" "before=${url[before]}" "after=${url[after]}"

command -v wrk >/dev/null || { echo "wrk is not installed: serving comparison skipped" >&2; exit 0; }
for side in before after; do
  dotnet "$work/kiln-$side/kiln.dll" --url "${url[$side]}" train --data "$root/samples/data/churn.csv" --target churn \
    --name bench-churn --hp num_round=100 --hp max_depth=6 >&2
  dotnet "$work/kiln-$side/kiln.dll" --url "${url[$side]}" deploy bench-churn --name bench --capture s3://bench-capture/churn >&2
done
sed -n 2p "$root/samples/data/churn.csv" | /usr/bin/python3 -c "import sys; print(','.join(sys.stdin.read().strip().split(',')[:-1]), end='')" >"$work/row.csv"
measure() { # side seconds
  ROW_FILE="$work/row.csv" CONTENT_TYPE=text/csv RATE=0 CONNECTIONS=64 wrk -t2 -c64 -d"$2"s --latency \
    -s "$root/bench/hosting/post.lua" "${url[$1]}/endpoints/bench/invocations" >"$work/wrk.txt"
  /usr/bin/python3 - "$work/wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", text).groups()
print(f"{rps:.0f} {float(value) * {'us': 0.001, 'ms': 1, 's': 1000}[unit]:.2f}")
PY
}
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
declare -A rates p99s
for side in before after; do measure "$side" 10 >/dev/null; done
for _ in 1 2 3; do
  for side in before after; do
    read -r rps p99 < <(measure "$side" "$seconds")
    rates[$side]+="$rps "; p99s[$side]+="$p99 "
  done
done
echo
echo "(b) serving, single-row invocations at 64 connections"
echo "| build | peak requests/s (runs) | p99 ms (runs) |"
echo "|---|---:|---:|"
for side in before after; do
  echo "| $side | $(median ${rates[$side]}) (${rates[$side]% }) | $(median ${p99s[$side]}) (${p99s[$side]% }) |"
done
