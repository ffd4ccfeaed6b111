"""A SageMaker scikit-learn script with its own inference handlers, as SKLearn(entry_point="train.py") deploys it.

Run as a script it trains (script mode); imported by the serving container it answers requests:
model_fn loads the model, input_fn reads CSV rows, JSON ({"instances": [...]} of lists or of named
features) or NPY, predict_fn returns labels and P(malignant), output_fn writes JSON, CSV or NPY.
"""
import argparse
import glob
import io
import json
import os

import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def input_fn(body, content_type):
    if content_type == "text/csv":
        rows = np.loadtxt(io.StringIO(body), delimiter=",", ndmin=2)
    elif content_type == "application/json":
        instances = json.loads(body)["instances"]
        rows = pd.DataFrame(instances) if instances and isinstance(instances[0], dict) else np.array(instances, dtype=float)
    elif content_type == "application/x-npy":
        rows = np.load(io.BytesIO(body), allow_pickle=False)
    else:
        raise ValueError(f"unsupported content type {content_type}")
    if (np.asarray(rows, dtype=float) < 0).any():
        raise ValueError("measurements cannot be negative")
    return rows


def predict_fn(rows, model):
    if not isinstance(rows, pd.DataFrame):
        rows = pd.DataFrame(rows, columns=model.feature_names_in_)
    malignant = list(model.classes_).index("M")
    return {"labels": model.predict(rows), "malignant": model.predict_proba(rows)[:, malignant]}


def output_fn(prediction, accept):
    pairs = list(zip(prediction["labels"].tolist(), prediction["malignant"].tolist()))
    if accept == "text/csv":
        return "".join(f"{label},{p:.6f}\n" for label, p in pairs), accept
    if accept == "application/x-npy":
        buffer = io.BytesIO()
        np.save(buffer, np.array(prediction["malignant"]))
        return buffer.getvalue(), accept
    return json.dumps({"predictions": [{"label": label, "malignant": p} for label, p in pairs]}), "application/json"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-estimators", type=int, default=50)
    parser.add_argument("--target", type=str, default="diagnosis")
    parser.add_argument("--model-dir", type=str, default=os.environ.get("SM_MODEL_DIR"))
    parser.add_argument("--train", type=str, default=os.environ.get("SM_CHANNEL_TRAIN"))
    args = parser.parse_args()
    frame = pd.concat([pd.read_csv(path) for path in sorted(glob.glob(os.path.join(args.train, "*.csv")))])
    y = frame.pop(args.target)
    model = RandomForestClassifier(n_estimators=args.n_estimators, random_state=0, n_jobs=1).fit(frame, y)
    joblib.dump(model, os.path.join(args.model_dir, "model.joblib"))
    print("saved model.joblib")


if __name__ == "__main__":
    main()
