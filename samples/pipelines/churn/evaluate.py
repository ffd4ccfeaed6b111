"""Evaluation step: score the trained model on the held-out rows and write evaluation.json.

The Condition step reads binary_classification_metrics.auc.value from this file (Std:JsonGet), and the
RegisterModel step attaches the file to the model package as its ModelQuality statistics.
"""
import argparse
import glob
import json
import os
import tarfile

import joblib
import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, roc_auc_score


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", default="/opt/ml/processing/model")
    parser.add_argument("--test-dir", default="/opt/ml/processing/test")
    parser.add_argument("--output-dir", default="/opt/ml/processing/evaluation")
    args = parser.parse_args()

    with tarfile.open(os.path.join(args.model_dir, "model.tar.gz")) as archive:
        safe = [m for m in archive.getmembers() if m.isfile() and not m.name.startswith(("/", "..")) and ".." not in m.name.split("/")]
        archive.extractall(args.model_dir, members=safe)
    saved = joblib.load(os.path.join(args.model_dir, "model.joblib"))
    frame = pd.concat([pd.read_csv(path) for path in sorted(glob.glob(os.path.join(args.test_dir, "*.csv")))])
    y = frame.pop("churn").to_numpy()
    probabilities = saved["model"].predict_proba(frame[saved["columns"]].to_numpy(dtype=np.float64))[:, 1]
    report = {
        "binary_classification_metrics": {
            "auc": {"value": float(roc_auc_score(y, probabilities))},
            "accuracy": {"value": float(accuracy_score(y, probabilities >= 0.5))},
        },
        "rows": int(len(y)),
    }
    os.makedirs(args.output_dir, exist_ok=True)
    with open(os.path.join(args.output_dir, "evaluation.json"), "w") as f:
        json.dump(report, f)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
