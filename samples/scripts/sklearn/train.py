"""A scikit-learn training script written for SageMaker's script mode; it runs unchanged on Kiln.

SageMaker (and Kiln) pass hyperparameters as --arguments and say where data and the model go through
SM_* environment variables. The script reads a CSV with a header (the target in `--target`), trains a
random forest, prints metrics that MetricDefinitions pick up, and saves the model to SM_MODEL_DIR.
"""
import argparse
import glob
import os

import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-estimators", type=int, default=100)
    parser.add_argument("--max-depth", type=int, default=None)
    parser.add_argument("--target", type=str, default="diagnosis")
    parser.add_argument("--model-dir", type=str, default=os.environ.get("SM_MODEL_DIR"))
    parser.add_argument("--train", type=str, default=os.environ.get("SM_CHANNEL_TRAIN"))
    args = parser.parse_args()

    frame = pd.concat([pd.read_csv(path) for path in sorted(glob.glob(os.path.join(args.train, "*.csv")))])
    y = frame.pop(args.target)
    positive = sorted(y.unique())[-1]
    x_train, x_valid, y_train, y_valid = train_test_split(frame, y, test_size=0.2, random_state=0, stratify=y)

    model = RandomForestClassifier(n_estimators=args.n_estimators, max_depth=args.max_depth, random_state=0, n_jobs=1)
    model.fit(x_train, y_train)
    predictions = model.predict(x_valid)
    probabilities = model.predict_proba(x_valid)[:, list(model.classes_).index(positive)]
    print(f"train-accuracy: {accuracy_score(y_train, model.predict(x_train)):.4f}")
    print(f"validation-accuracy: {accuracy_score(y_valid, predictions):.4f}")
    print(f"validation-auc: {roc_auc_score((y_valid == positive).astype(np.int64), probabilities):.4f}")

    joblib.dump(model, os.path.join(args.model_dir, "model.joblib"))
    print("saved model.joblib")


if __name__ == "__main__":
    main()
