#!/usr/bin/env bash
# Kiln's Kernel SHAP (Kiln.Clarify) timing: 100 rows × 20 features, 10 baseline rows, 2088 coalitions per row
# (shap's default 2·M + 2048), an in-process logistic-regression model. Prints a Markdown table row.
# The shap Python package is not packaged in Debian 12 (no python3-shap) and PyPI is unreachable, so there is
# no side-by-side run against it here.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dotnet publish "$root/bench/Kiln.Bench.Clarify" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$work/kiln" --nologo -v quiet >&2
: >"$work/runs.jsonl"
for i in 1 2 3; do
  dotnet "$work/kiln/Kiln.Bench.Clarify.dll" "${ROWS:-100}" "${FEATURES:-20}" "${BASELINE:-10}" ${SAMPLES:-} >>"$work/runs.jsonl"
done
/usr/bin/python3 - "$work/runs.jsonl" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
r = runs[0]
med = lambda k: statistics.median(x[k] for x in runs)
print("| rows × features | baseline rows | coalitions per row | model evaluations | Kiln s, warm | of which in the model | Kiln CPU s, warm | Kiln s, fresh process | max \\|Σφ − (f(x) − E)\\| |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
print(f"| {r['rows']} × {r['features']} | {r['baseline']} | {r['samples']} | {r['model_evaluations']:,} | {med('seconds'):.2f} | {med('model_seconds'):.2f} | {med('cpu_seconds'):.2f} | {med('cold_seconds'):.2f} | {max(x['max_efficiency_error'] for x in runs):.1e} |")
PY
