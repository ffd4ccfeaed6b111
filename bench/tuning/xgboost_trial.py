"""One trial of the tuning benchmark on the XGBoost 1.7.4 side: the space, the prepared churn split, and the
validation AUC of one configuration after 100 rounds. Shared by optuna_tune.py and noise.py, so both train alike."""
import json
import os

import numpy as np
import xgboost as xgb
from sklearn.metrics import roc_auc_score

SPACE = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "space.json")))
ROUNDS = 100


class ChurnSplit:
    def __init__(self, folder):
        train = np.loadtxt(f"{folder}/train/data.csv", delimiter=",")
        valid = np.loadtxt(f"{folder}/validation/data.csv", delimiter=",")
        self.train = xgb.DMatrix(train[:, 1:], label=train[:, 0])
        self.valid = xgb.DMatrix(valid[:, 1:], label=valid[:, 0])
        self.labels = valid[:, 0]

    def validation_auc(self, hyperparameters, seed=0):
        params = {"objective": "binary:logistic", "tree_method": "hist", "nthread": 2, "seed": seed, **hyperparameters}
        booster = xgb.train(params, self.train, num_boost_round=ROUNDS)
        return roc_auc_score(self.labels, booster.predict(self.valid))
