"""Scorecard step: the new model AND the model now serving, scored on the latest ground truth, in scorecard.json.

The RegisterModel step attaches scorecard.json to the model package as its ModelQuality statistics, and copies
both AUCs into the package's CustomerMetadataProperties, so the approver compares them in one place.
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

from split import features


def load(model_dir):
    with tarfile.open(glob.glob(os.path.join(model_dir, "*.tar.gz"))[0]) as archive:
        safe = [m for m in archive.getmembers() if m.isfile() and not m.name.startswith(("/", "..")) and ".." not in m.name.split("/")]
        archive.extractall(model_dir, members=safe)
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def score(saved, frame, y):
    probabilities = saved["model"].predict_proba(frame.reindex(columns=saved["columns"], fill_value=0).to_numpy(dtype=np.float64))[:, 1]
    return {"auc": {"value": float(roc_auc_score(y, probabilities))}, "accuracy": {"value": float(accuracy_score(y, probabilities >= 0.5))}}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--new-model-dir", required=True)
    parser.add_argument("--serving-model-dir", required=True)
    parser.add_argument("--ground-truth-dir", required=True)
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--violation-report", default="")
    args = parser.parse_args()

    files = sorted(glob.glob(os.path.join(args.ground_truth_dir, "**", "*.csv"), recursive=True))
    frame = features(pd.concat([pd.read_csv(path) for path in files]))
    y = frame.pop("churn").to_numpy()
    report = {
        "binary_classification_metrics": score(load(args.new_model_dir), frame, y),
        "serving_model": score(load(args.serving_model_dir), frame, y),
        "ground_truth_rows": int(len(y)),
        "violation_report": args.violation_report,
    }
    os.makedirs(args.output_dir, exist_ok=True)
    with open(os.path.join(args.output_dir, "scorecard.json"), "w") as f:
        json.dump(report, f)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
