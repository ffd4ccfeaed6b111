"""Markdown tables from an AutoML benchmark's results file: mean held-out metric ± standard deviation over seeds per
method and dataset (AUC for the binary tasks, RMSE for diamonds; accuracy in a second table), and Kiln's build times.

    python3 bench/automl/report.py bench/results/automl-….jsonl
"""
import json
import statistics
import sys
from collections import defaultdict

ORDER = ["breast_cancer", "churn", "attrition", "credit", "diamonds", "fine_foods"]
METHODS = [("kiln-quick", "Kiln quick"), ("kiln-standard", "Kiln standard"), ("sklearn-hgb", "HistGradientBoosting defaults"),
           ("xgboost-default", "XGBoost defaults"), ("xgboost-optuna-quick", "XGBoost + Optuna, quick's time"),
           ("xgboost-optuna-standard", "XGBoost + Optuna, standard's time")]


def spread(values, digits):
    mean = statistics.mean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.{digits}f} ± {sd:.{digits}f}" if len(values) > 1 else f"{mean:.{digits}f}"


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    cells = defaultdict(dict)  # (dataset, method) -> seed -> row (the last, if a cell was run twice)
    for r in rows:
        cells[(r["dataset"], r["method"])][r["seed"]] = r
    datasets = [d for d in ORDER if any(k[0] == d for k in cells)]
    methods = [(m, label) for m, label in METHODS if any(k[1] == m for k in cells)]

    for metric, title in (("primary", "held-out AUC (binary) or RMSE (diamonds; lower is better)"), ("accuracy", "held-out accuracy")):
        print(f"| dataset ({title}; mean ± sd over seeds) | seeds | " + " | ".join(label for _, label in methods) + " |")
        print("|---|---:|" + "---:|" * len(methods))
        for d in datasets:
            key = "accuracy" if metric == "accuracy" else ("rmse" if d == "diamonds" else "auc")
            if metric == "accuracy" and d == "diamonds":
                continue
            # Only seeds every method has, so that each column averages the same splits.
            seeds = set.intersection(*[set(cells[(d, m)]) for m, _ in methods if cells.get((d, m))]) if methods else set()
            values = {m: [cells[(d, m)][s][key] for s in sorted(seeds)] for m, _ in methods if cells.get((d, m)) and seeds}
            best = (min if key == "rmse" else max)((statistics.mean(v) for v in values.values()), default=None)
            digits = 1 if key == "rmse" else 4
            out = []
            for m, _ in methods:
                if m not in values:
                    out.append("—")
                    continue
                text = spread(values[m], digits)
                out.append(f"**{text}**" if statistics.mean(values[m]) == best else text)
            print(f"| {d} ({key}) | {len(seeds)} | " + " | ".join(out) + " |")
        print()

    print("| dataset | build | seeds | Kiln build s (mean, min–max) | Optuna trials in the same time (mean) | Optuna search s incl. the last trial (mean) |")
    print("|---|---|---:|---:|---:|---:|")
    for d in datasets:
        for build in ("quick", "standard"):
            kiln = cells.get((d, f"kiln-{build}"))
            if not kiln:
                continue
            seconds = [r["seconds"] for r in kiln.values()]
            optuna = cells.get((d, f"xgboost-optuna-{build}"), {})
            trials = f"{statistics.mean(r['trials'] for r in optuna.values()):.0f}" if optuna else "—"
            searched = f"{statistics.mean(r['search_seconds'] for r in optuna.values()):.0f}" if optuna else "—"
            print(f"| {d} | {build} | {len(kiln)} | {statistics.mean(seconds):.0f} ({min(seconds):.0f}–{max(seconds):.0f}) | {trials} | {searched} |")


if __name__ == "__main__":
    main()
