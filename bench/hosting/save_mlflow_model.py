"""Saves the scikit-learn churn pipeline (train_sklearn.py) as an MLflow model, and writes one churn row as the
JSON body MLflow's scoring server takes (`dataframe_split`).

The flavour is mlflow.sklearn, served through pyfunc with predict_proba (the Flask peer answers P(churn) too), and
a signature inferred from the training columns, as `mlflow.sklearn.log_model(..., signature=...)` would record.
Usage: PYTHONPATH=<mlflow sources> python3 save_mlflow_model.py <churn.csv> <model.joblib> <model dir> <row.json>
"""
import json
import sys

import joblib
import mlflow.sklearn
import pandas as pd
from mlflow.models import infer_signature

data = pd.read_csv(sys.argv[1]).drop(columns=["churn"])
pipeline = joblib.load(sys.argv[2])
mlflow.sklearn.save_model(
    pipeline,
    sys.argv[3],
    pyfunc_predict_fn="predict_proba",
    signature=infer_signature(data, pipeline.predict_proba(data)),
)
with open(sys.argv[4], "w") as f:
    json.dump({"dataframe_split": json.loads(data.iloc[:1].to_json(orient="split", index=False))}, f)
