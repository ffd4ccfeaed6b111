#!/usr/bin/env bash
# Tracking benchmark: starts a Release `kiln server` on a fresh data folder and replays the MLflow
# baseline's request sequences from a separate client process. Prints a Markdown table and writes
# bench/results/tracking.json.   Usage: bash bench/tracking.sh   (REPETITIONS=5 by default)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
port="${PORT:-5091}"
data="$(mktemp -d)"
dotnet publish src/Kiln.Cli -c Release -o .build/bench-server --nologo -v quiet -p:UseAppHost=false
dotnet build bench/Kiln.Bench.Tracking -c Release --nologo -v quiet
dotnet .build/bench-server/kiln.dll server --port "$port" --data-dir "$data" > "$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
dotnet bench/Kiln.Bench.Tracking/bin/Release/net10.0/Kiln.Bench.Tracking.dll "http://127.0.0.1:$port" "${REPETITIONS:-5}"
