"""How noisy the tuning benchmark's objective is: the share of the variance of validation AUC, across configurations
drawn at random from bench/tuning/space.json, that comes from retraining one configuration with another seed.
This share sets the centre of the Gaussian process's noise prior (src/Kiln.Tuning/Search/GaussianProcess.cs).

Usage: /usr/bin/python3 noise.py <churn folder> [configurations] [seeds]  ->  one line of variances and the share.
"""
import json
import os
import statistics
import sys

import numpy as np
import xgboost as xgb
from sklearn.metrics import roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))


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
    space = json.load(open(os.path.join(HERE, "space.json")))
    train = np.loadtxt(f"{folder}/train/data.csv", delimiter=",")
    valid = np.loadtxt(f"{folder}/validation/data.csv", delimiter=",")
    dtrain = xgb.DMatrix(train[:, 1:], label=train[:, 0])
    dvalid = xgb.DMatrix(valid[:, 1:], label=valid[:, 0])
    rng = np.random.default_rng(0)
    within, means = [], []
    for _ in range(configurations):
        params = {"objective": "binary:logistic", "tree_method": "hist", "nthread": 2, **draw(space, rng)}
        aucs = [roc_auc_score(valid[:, 0], xgb.train({**params, "seed": seed}, dtrain, num_boost_round=100).predict(dvalid))
                for seed in range(seeds)]
        within.append(statistics.variance(aucs))
        means.append(statistics.mean(aucs))
    noise, signal = statistics.mean(within), statistics.variance(means)
    print(f"{configurations} configurations x {seeds} seeds: variance within a configuration {noise:.3g}, "
          f"between configurations' means {signal:.3g}, noise share {noise / (noise + signal):.2f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 30, int(sys.argv[3]) if len(sys.argv) > 3 else 5)
