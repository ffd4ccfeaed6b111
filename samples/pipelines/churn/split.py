"""Processing step: turn the raw churn table into numeric features and split it into train and test.

Runs under SageMaker's processing contract: the data arrives in /opt/ml/processing/input/data and the
splits are written to /opt/ml/processing/train and /opt/ml/processing/test, which the job uploads.
"""
import argparse
import glob
import os

import numpy as np
import pandas as pd


def features(frame):
    frame = frame.drop(columns=["state"])
    for column in ["international_plan", "voice_mail_plan", "churn"]:
        frame[column] = (frame[column] == "yes").astype(np.int64)
    frame = pd.get_dummies(frame, columns=["area_code"], dtype=np.int64)
    label = frame.pop("churn")
    frame.insert(0, "churn", label)
    return frame


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--input-dir", default="/opt/ml/processing/input/data")
    parser.add_argument("--output-dir", default="/opt/ml/processing")
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    files = sorted(glob.glob(os.path.join(args.input_dir, "**", "*.csv"), recursive=True))
    frame = features(pd.concat([pd.read_csv(path) for path in files]))
    rng = np.random.default_rng(args.seed)
    test = np.zeros(len(frame), dtype=bool)
    for value in (0, 1):  # stratified: the same share of churners in both splits
        rows = np.flatnonzero(frame["churn"].to_numpy() == value)
        test[rng.choice(rows, size=int(round(len(rows) * args.test_fraction)), replace=False)] = True

    for name, part in (("train", frame[~test]), ("test", frame[test])):
        os.makedirs(os.path.join(args.output_dir, name), exist_ok=True)
        part.to_csv(os.path.join(args.output_dir, name, f"{name}.csv"), index=False)
        print(f"{name}: {len(part)} rows, {int(part['churn'].sum())} churners")


if __name__ == "__main__":
    main()
