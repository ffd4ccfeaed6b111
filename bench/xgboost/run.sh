#!/usr/bin/env bash
# Kiln's xgboost vs XGBoost 1.7.4 (Debian's python3-xgboost, tree_method=hist), same hyperparameters, same
# prepared train/validation files, 2 threads each. Prints a Markdown table. Needs python3-xgboost,
# python3-sklearn and python3-pandas (apt) and the datasets folder (default ../shared/datasets).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
datasets="${DATASETS:-$root/../shared/datasets}"
rounds="${ROUNDS:-200}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$root/bench/xgboost/prepare.py" "$datasets" "$work" >&2
# ReadyToRun, as a deployed Kiln would be: less JIT warm-up in a fresh process.
dotnet publish "$root/bench/Kiln.Bench.XGBoost" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$work/kiln" --nologo -v quiet >&2
kiln="$work/kiln/Kiln.Bench.XGBoost.dll"

median() { /usr/bin/python3 -c "import json,sys,statistics; r=[json.loads(l) for l in sys.stdin]; print(json.dumps({k: statistics.median(x[k] for x in r) for k in r[0]}))"; }
echo "| dataset (validation metric) | XGBoost 1.7.4 s | Kiln s, warm server | Kiln ÷ XGBoost | Kiln s, fresh process | XGBoost metric | Kiln metric | difference |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for spec in "diamonds reg:squarederror rmse" "churn binary:logistic auc"; do
  set -- $spec
  # Interleaved, so that a slow minute of this shared VM does not fall on one side only.
  : >"$work/xgb.jsonl"; : >"$work/kiln.jsonl"
  for i in 1 2 3; do
    /usr/bin/python3 "$root/bench/xgboost/xgb.py" "$work/$1" "$2" "$rounds" >>"$work/xgb.jsonl"
    dotnet "$kiln" "$work/$1" "$2" "$rounds" >>"$work/kiln.jsonl"
  done
  xgb=$(median <"$work/xgb.jsonl")
  kln=$(median <"$work/kiln.jsonl")
  /usr/bin/python3 - "$1" "$3" "$xgb" "$kln" <<'PY'
import json, sys
name, metric, x, k = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
diff = (k["metric"] - x["metric"]) / x["metric"] * 100
print(f"| {name} ({metric}) | {x['seconds']:.2f} | {k['seconds']:.2f} | {k['seconds'] / x['seconds']:.2f} | {k['cold_seconds']:.2f} | {x['metric']:.4f} | {k['metric']:.4f} | {diff:+.2f} % |")
PY
done
