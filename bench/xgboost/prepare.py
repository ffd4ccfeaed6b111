"""Writes the benchmark's shared train/validation files: numeric, label first, no header (SageMaker's CSV).

Both sides read exactly these files, so they see the same rows and the same one-hot encoding.
Usage: python3 prepare.py <datasets folder> <output folder>
"""
import os
import sys

import numpy as np
import pandas as pd


def write(frame, target, name, out, classification):
    frame = frame.copy()
    y = frame.pop(target)
    if classification:
        y = (y == sorted(y.unique())[-1]).astype(int)
    x = pd.get_dummies(frame, dtype=float)
    data = pd.concat([y.rename("label"), x], axis=1).sample(frac=1.0, random_state=0)
    cut = int(len(data) * 0.8)
    os.makedirs(os.path.join(out, name, "train"), exist_ok=True)
    os.makedirs(os.path.join(out, name, "validation"), exist_ok=True)
    data.iloc[:cut].to_csv(os.path.join(out, name, "train", "data.csv"), header=False, index=False)
    data.iloc[cut:].to_csv(os.path.join(out, name, "validation", "data.csv"), header=False, index=False)
    print(f"{name}: {cut} train rows, {len(data) - cut} validation rows, {x.shape[1]} features")


if __name__ == "__main__":
    source, out = sys.argv[1], sys.argv[2]
    write(pd.read_csv(os.path.join(source, "diamonds.csv")), "price", "diamonds", out, classification=False)
    write(pd.read_csv(os.path.join(source, "churn.csv")), "churn", "churn", out, classification=True)
