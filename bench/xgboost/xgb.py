"""XGBoost 1.7 (Debian's python3-xgboost) on the prepared files: prints seconds and the validation metric as JSON."""
import json
import sys
import time

import numpy as np
import xgboost as xgb
from sklearn.metrics import mean_squared_error, roc_auc_score


def main(folder, objective, rounds):
    start = time.perf_counter()
    train = np.loadtxt(f"{folder}/train/data.csv", delimiter=",")
    valid = np.loadtxt(f"{folder}/validation/data.csv", delimiter=",")
    dtrain = xgb.DMatrix(train[:, 1:], label=train[:, 0])
    dvalid = xgb.DMatrix(valid[:, 1:], label=valid[:, 0])
    params = {"objective": objective, "max_depth": 6, "eta": 0.1, "subsample": 0.8, "colsample_bytree": 0.8,
              "min_child_weight": 1, "lambda": 1, "alpha": 0, "tree_method": "hist", "max_bin": 256, "nthread": 2, "seed": 0}
    fit_start = time.perf_counter()
    booster = xgb.train(params, dtrain, num_boost_round=rounds)
    fit = time.perf_counter() - fit_start
    predictions = booster.predict(dvalid)
    metric = roc_auc_score(valid[:, 0], predictions) if objective == "binary:logistic" else mean_squared_error(valid[:, 0], predictions) ** 0.5
    print(json.dumps({"seconds": time.perf_counter() - start, "fit_seconds": fit, "metric": float(metric)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
