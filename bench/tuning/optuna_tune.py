"""Optuna 3.1's TPE (Debian's python3-optuna) driving XGBoost 1.7.4 over bench/tuning/space.json on the prepared churn split.

Usage: /usr/bin/python3 optuna_tune.py <churn folder> <seed> <trials>  ->  JSON: the validation AUC of each trial, in order.
"""
import json
import os
import sys
import time

import numpy as np
import optuna
import xgboost as xgb
from sklearn.metrics import roc_auc_score

optuna.logging.set_verbosity(optuna.logging.WARNING)
HERE = os.path.dirname(os.path.abspath(__file__))


def main(folder, seed, trials):
    space = json.load(open(os.path.join(HERE, "space.json")))
    train = np.loadtxt(f"{folder}/train/data.csv", delimiter=",")
    valid = np.loadtxt(f"{folder}/validation/data.csv", delimiter=",")
    dtrain = xgb.DMatrix(train[:, 1:], label=train[:, 0])
    dvalid = xgb.DMatrix(valid[:, 1:], label=valid[:, 0])

    def objective(trial):
        params = {"objective": "binary:logistic", "tree_method": "hist", "nthread": 2, "seed": 0}
        for name, spec in space.items():
            if spec["type"] == "integer":
                params[name] = trial.suggest_int(name, spec["min"], spec["max"])
            else:
                params[name] = trial.suggest_float(name, spec["min"], spec["max"], log=spec.get("scaling") == "Logarithmic")
        booster = xgb.train(params, dtrain, num_boost_round=100)
        return roc_auc_score(valid[:, 0], booster.predict(dvalid))

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    print(json.dumps({"values": [t.value for t in study.trials], "seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
