#!/usr/bin/env bash
# Tuning Kiln's xgboost on churn, 40 trials, seeds 1-5 (SEEDS="$(seq 1 40)" for more): Kiln Bayesian (Gaussian process) vs Kiln Random vs Optuna 3.1's TPE
# driving XGBoost 1.7.4 over the same space (bench/tuning/space.json), one trial at a time. Reports the best
# validation AUC after 10, 20 and 40 trials (median over seeds, the mean in brackets), then the wall time per trial of a Kiln
# Bayesian job with MaxParallelTrainingJobs 2 against 1. Needs python3-optuna, python3-xgboost,
# python3-sklearn, python3-pandas (apt), boto3 for python3, and the datasets folder (default ../shared/datasets).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
datasets="${DATASETS:-$root/../shared/datasets}"
trials="${TRIALS:-40}"
seeds="${SEEDS:-1 2 3 4 5}"
work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

/usr/bin/python3 "$root/bench/xgboost/prepare.py" "$datasets" "$work/data" >&2
dotnet publish "$root/src/Kiln.Cli" -c Release -o "$work/kiln" --nologo -v quiet -p:PublishReadyToRun=true -r linux-x64 --self-contained false >&2
port=$(/usr/bin/python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
dotnet "$work/kiln/kiln.dll" server --port "$port" --data-dir "$work/kiln-data" >"$work/kiln.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done

for seed in $seeds; do
  python3 "$root/bench/tuning/kiln_tune.py" "http://127.0.0.1:$port" "$work/data/churn" Bayesian "$seed" "$trials" 1 >"$work/kiln-bayesian-$seed.json"
  python3 "$root/bench/tuning/kiln_tune.py" "http://127.0.0.1:$port" "$work/data/churn" Random "$seed" "$trials" 1 >"$work/kiln-random-$seed.json"
  /usr/bin/python3 "$root/bench/tuning/optuna_tune.py" "$work/data/churn" "$seed" "$trials" >"$work/optuna-$seed.json"
done
# Wall time per trial, one at a time against two in parallel: one interleaved pair per seed, so that a slow
# minute of this shared VM does not fall on one side only, and over several seeds, because a Bayesian search
# proposes different trials (rounds, depth), and so different work, when two run at once; the ratio is of the
# totals. Random search, whose trials depend only on the seed and their index, runs the same trials on both
# sides: the control.
for strategy in Bayesian Random; do
  for seed in $seeds; do
    python3 "$root/bench/tuning/kiln_tune.py" "http://127.0.0.1:$port" "$work/data/churn" "$strategy" "$seed" "$trials" 1 >"$work/serial-$strategy-$seed.json"
    python3 "$root/bench/tuning/kiln_tune.py" "http://127.0.0.1:$port" "$work/data/churn" "$strategy" "$seed" "$trials" 2 >"$work/parallel-$strategy-$seed.json"
  done
done

/usr/bin/python3 - "$work" "$seeds" "$trials" <<'PY'
import json, statistics, sys
work, seeds, trials = sys.argv[1], sys.argv[2].split(), int(sys.argv[3])
def best_after(path, n):
    values = [v for v in json.load(open(path))["values"][:n] if v is not None]
    return max(values)
budgets = [b for b in (10, 20, 40) if b <= trials]
print("| searcher (validation AUC, median (mean) of seeds " + ", ".join(seeds) + ") | " + " | ".join(f"best after {b}" for b in budgets) + " |")
print("|---|" + "---:|" * len(budgets))
for label, prefix in (("Kiln Bayesian (Gaussian process)", "kiln-bayesian"), ("Kiln Random", "kiln-random"), ("Optuna 3.1 TPE + XGBoost 1.7.4", "optuna")):
    cells = []
    for b in budgets:
        best = [best_after(f"{work}/{prefix}-{s}.json", b) for s in seeds]
        cells.append(f"{statistics.median(best):.4f} ({statistics.mean(best):.4f})")
    print(f"| {label} | " + " | ".join(cells) + " |")
if len(seeds) > 1:
    cells = []
    for b in budgets:
        gaps = [best_after(f"{work}/kiln-bayesian-{s}.json", b) - best_after(f"{work}/optuna-{s}.json", b) for s in seeds]
        cells.append(f"after {b}: ahead on {sum(g > 0 for g in gaps)} of {len(gaps)} seeds, "
                     f"{statistics.mean(gaps):+.4f} ± {statistics.stdev(gaps) / len(gaps) ** 0.5:.4f}")
    print("\nKiln Bayesian against Optuna, paired by seed (mean gap ± its standard error): " + "; ".join(cells))
print()
for strategy in ("Bayesian", "Random"):
    pairs = [(json.load(open(f"{work}/parallel-{strategy}-{s}.json"))["seconds"], json.load(open(f"{work}/serial-{strategy}-{s}.json"))["seconds"]) for s in seeds]
    parallel, serial = sum(p for p, _ in pairs), sum(s for _, s in pairs)
    ratios = ", ".join(f"{p / s:.2f}" for p, s in pairs)
    print(f"Kiln {strategy}, {trials} trials, seeds {', '.join(seeds)}: {serial / trials / len(pairs):.3f} s per trial one at a time, "
          f"{parallel / trials / len(pairs):.3f} s with 2 in parallel ({parallel / serial:.2f} × over all seeds; per seed: {ratios})")
PY
