"""How noisy the tuning benchmark's objective is: the share of the variance of validation AUC, across configurations
drawn at random from bench/tuning/space.json, that comes from retraining one configuration with another seed.
This share sets the centre of the Gaussian process's noise prior (src/Kiln.Tuning/Search/GaussianProcess.cs).

Usage: /usr/bin/python3 noise.py <churn folder> [configurations] [seeds]  ->  one line of variances and the share.
"""
import statistics
import sys

import numpy as np

from xgboost_trial import SPACE, ChurnSplit


def draw(space, rng):
    params = {}
    for name, spec in space.items():
        low, high = spec["min"], spec["max"]
        if spec["type"] == "integer":
            params[name] = int(rng.integers(low, high + 1))
        elif spec.get("scaling") == "Logarithmic":
            params[name] = float(np.exp(rng.uniform(np.log(low), np.log(high))))
        else:
            params[name] = float(rng.uniform(low, high))
    return params


def main(folder, configurations, seeds):
    split = ChurnSplit(folder)
    rng = np.random.default_rng(0)
    within, means = [], []
    for _ in range(configurations):
        hyperparameters = draw(SPACE, rng)
        aucs = [split.validation_auc(hyperparameters, seed) for seed in range(seeds)]
        within.append(statistics.variance(aucs))
        means.append(statistics.mean(aucs))
    noise, signal = statistics.mean(within), statistics.variance(means)
    print(f"{configurations} configurations x {seeds} seeds: variance within a configuration {noise:.3g}, "
          f"between configurations' means {signal:.3g}, noise share {noise / (noise + signal):.2f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 30, int(sys.argv[3]) if len(sys.argv) > 3 else 5)
