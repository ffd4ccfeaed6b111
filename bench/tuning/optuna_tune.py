"""Optuna 3.1's TPE (Debian's python3-optuna) driving XGBoost 1.7.4 over bench/tuning/space.json on the prepared churn split.

Usage: /usr/bin/python3 optuna_tune.py <churn folder> <seed> <trials>  ->  JSON: the validation AUC of each trial, in order.
"""
import json
import sys
import time

import optuna

from xgboost_trial import SPACE, ChurnSplit

optuna.logging.set_verbosity(optuna.logging.WARNING)


def main(folder, seed, trials):
    split = ChurnSplit(folder)

    def objective(trial):
        hyperparameters = {}
        for name, spec in SPACE.items():
            if spec["type"] == "integer":
                hyperparameters[name] = trial.suggest_int(name, spec["min"], spec["max"])
            else:
                hyperparameters[name] = trial.suggest_float(name, spec["min"], spec["max"], log=spec.get("scaling") == "Logarithmic")
        return split.validation_auc(hyperparameters)

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    print(json.dumps({"values": [t.value for t in study.trials], "seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
