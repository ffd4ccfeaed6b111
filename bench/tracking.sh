#!/usr/bin/env bash
# Tracking benchmark: Kiln and a real MLflow 2.17 tracking server side by side, on loopback, same workload, same
# clients. Both start on fresh data: Kiln (Release) on its SQLite store, MLflow with a SQLite backend store and
# proxied artifacts (--artifacts-destination, so artifacts go over HTTP as they do to Kiln), gunicorn with its
# default 4 workers. Two clients drive both servers in turns (interleaved; the first round is a discarded warm-up):
#   (a) raw HTTP: bench/Kiln.Bench.Tracking, one keep-alive connection per server;
#   (b) MLflow's own Python client (MlflowClient from the same MLflow sources): what a training script feels.
# Usage: bash bench/tracking.sh   (REPETITIONS=3, COUNT=1000 single calls / runs / get-runs by default)
# Prints two Markdown tables; JSON in bench/results/tracking-http.json and tracking-client.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source bench/lib/servers.sh
source bench/lib/mlflow.sh
repetitions="${REPETITIONS:-3}"
count="${COUNT:-1000}"
work="$(mktemp -d)"

ensure_mlflow
dotnet publish src/Kiln.Cli -c Release -o .build/bench-server --nologo -v quiet -p:UseAppHost=false >&2
dotnet build bench/Kiln.Bench.Tracking -c Release --nologo -v quiet >&2

# setsid: each server leads its own process group, so cleanup reaches gunicorn's workers too.
setsid dotnet .build/bench-server/kiln.dll server --port 0 --data-dir "$work/kiln" >"$work/kiln.log" 2>&1 &
pids+=($!)
address_from_log kiln "${pids[-1]}" "$work/kiln.log" 's|.*Kiln listening on \(http://[^ ]*\).*|\1|p'
kiln="$server_address"
wait_for_server kiln "$kiln/health" "${pids[-1]}" "$work/kiln.log"

mlflow_port=$(free_port)
(cd "$work" && PYTHONPATH="$MLFLOW_SRC:$MLFLOW_DEPS" exec setsid /usr/bin/python3 -m mlflow server \
  --backend-store-uri "sqlite:///$work/mlflow.db" --artifacts-destination "$work/mlflow-artifacts" \
  --host 127.0.0.1 --port "$mlflow_port" >"$work/mlflow.log" 2>&1) &
pids+=($!)
mlflow="http://127.0.0.1:$mlflow_port"
wait_for_server mlflow "$mlflow/health" "${pids[-1]}" "$work/mlflow.log" 180
echo "Kiln at $kiln, MLflow $(curl -fs "$mlflow/version") at $mlflow; $repetitions repetitions of $count" >&2

mkdir -p bench/results
echo "(a) raw HTTP" >&2
dotnet bench/Kiln.Bench.Tracking/bin/Release/net10.0/Kiln.Bench.Tracking.dll "$repetitions" "$count" \
  bench/results/tracking-http.json "kiln=$kiln" "mlflow=$mlflow"
echo
echo "(b) MlflowClient" >&2
(cd "$work" && mlflow_python "$root/bench/tracking/mlflow_client.py" "$repetitions" "$count" \
  "$root/bench/results/tracking-client.json" "kiln=$kiln" "mlflow=$mlflow")
