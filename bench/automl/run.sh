#!/usr/bin/env bash
# Kiln AutoML (quick and standard builds, through boto3) against scikit-learn's HistGradientBoosting and XGBoost with
# default settings and XGBoost tuned by Optuna's TPE for as long as Kiln's build took, on every dataset of
# ../shared/datasets, fixed 80/20 splits, several seeds; each held-out 20 % scored the same way for every method.
#
#   bash bench/automl/run.sh [--datasets breast_cancer,churn,...] [--seeds 5] [--builds quick,standard] [--results FILE]
#
# Seeds are 0..N-1. One JSON line per method, dataset and seed goes to the results file (default
# bench/results/automl-<UTC time>.jsonl); a cell already in it is not run again, so `--results` of an earlier run
# resumes or extends it. The Markdown tables are printed at the end (and `python3 bench/automl/report.py FILE`
# prints them again). Needs python3-sklearn, python3-xgboost, python3-optuna, python3-pandas and boto3 for
# /usr/bin/python3, and the datasets folder (DATASETS, default ../shared/datasets).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/bench/lib/servers.sh"
# ../shared/datasets next to the repository, or next to the main checkout when this is a git worktree.
datasets_dir="${DATASETS:-$root/../shared/datasets}"
if [[ -z "${DATASETS:-}" && ! -d "$datasets_dir" ]]; then
  datasets_dir="$(cd "$(git -C "$root" rev-parse --git-common-dir)/.." && pwd)/../shared/datasets"
fi
[[ -d "$datasets_dir" ]] || { echo "no datasets folder at $datasets_dir (set DATASETS)" >&2; exit 2; }
datasets="breast_cancer,churn,attrition,credit,diamonds,fine_foods"
seeds=5
builds="quick,standard"
results=""
while (( $# )); do
  case "$1" in
    --datasets) datasets="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --builds) builds="$2"; shift 2 ;;
    --results) results="$2"; shift 2 ;;
    *) echo "unknown argument $1 (use --datasets a,b --seeds N --builds quick,standard --results FILE)" >&2; exit 2 ;;
  esac
done
mkdir -p "$root/bench/results"
results="${results:-$root/bench/results/automl-$(date -u +%Y%m%dT%H%M%SZ).jsonl}"
touch "$results"
work="$(mktemp -d)"

# ReadyToRun Release build, as a deployed Kiln would be, on a fresh data folder. KILN_PUBLISHED=<folder> reuses a
# `dotnet publish` of the same commit (publishing takes minutes on a busy machine).
kiln="${KILN_PUBLISHED:-$work/kiln}"
if [[ -z "${KILN_PUBLISHED:-}" ]]; then
  dotnet publish "$root/src/Kiln.Cli" -c Release -o "$kiln" --nologo -v quiet -p:PublishReadyToRun=true -r linux-x64 --self-contained false >&2
fi
port=$(free_port)
setsid dotnet "$kiln/kiln.dll" server --port "$port" --data-dir "$work/kiln-data" >"$work/kiln.log" 2>&1 &
pids+=($!)
wait_for_server kiln "http://127.0.0.1:$port/health" "${pids[0]}" "$work/kiln.log"

echo "commit $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src || echo ' (src modified)'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), results in $results" >&2
started=$SECONDS
# Builds outermost and seeds next, so that a run cut short has every dataset for the first seeds of the first build.
for build in ${builds//,/ }; do
  for (( seed = 0; seed < seeds; seed++ )); do
    for dataset in ${datasets//,/ }; do
      cell=$SECONDS
      /usr/bin/python3 "$root/bench/automl/bench.py" "http://127.0.0.1:$port" "$datasets_dir" "$results" "$dataset" "$seed" "$build"
      echo "$dataset seed $seed $build: $(( SECONDS - cell )) s (total $(( SECONDS - started )) s, load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    done
  done
done
/usr/bin/python3 "$root/bench/automl/report.py" "$results"
