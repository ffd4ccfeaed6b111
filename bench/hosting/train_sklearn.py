"""Trains scikit-learn's HistGradientBoostingClassifier on churn (one-hot categoricals) and saves it with joblib.

Usage: /usr/bin/python3 train_sklearn.py <churn.csv> <model.joblib>  (prints the categorical columns)
"""
import sys

import joblib
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

data = pd.read_csv(sys.argv[1])
target = (data.pop("churn") == "yes").astype(int)
categorical = [c for c in data.columns if data[c].dtype == object]
pipeline = Pipeline([
    ("encode", ColumnTransformer([("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)], remainder="passthrough")),
    ("model", HistGradientBoostingClassifier(max_iter=100, max_depth=6, learning_rate=0.1, random_state=0)),
])
pipeline.fit(data, target)
joblib.dump(pipeline, sys.argv[2])
print(",".join(categorical))
