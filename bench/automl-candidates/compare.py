#!/usr/bin/python3
"""Kiln AutoML (quick build, through the CLI against a running `kiln server`) against scikit-learn's
HistGradientBoosting defaults, on one fixed 80/20 split of a shared dataset.

    /usr/bin/python3 bench/automl-candidates/compare.py diamonds price regression [--endpoint http://127.0.0.1:5000]

Prints one line: dataset, metric, Kiln's score, sklearn's score, Kiln's wall time.
"""
import argparse, json, os, subprocess, sys, tempfile, time

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import accuracy_score, mean_squared_error

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "..", "shared", "datasets")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset")
    parser.add_argument("target")
    parser.add_argument("task", choices=["regression", "binary"])
    parser.add_argument("--endpoint", default="http://127.0.0.1:5000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--build", default="quick")
    parser.add_argument("--kiln", default=os.path.join(ROOT, "kiln"), help="the kiln script of the checkout to measure")
    parser.add_argument("--data-dir", default=DATA)
    args = parser.parse_args()

    frame = pd.read_csv(os.path.join(args.data_dir, args.dataset + ".csv"))
    test = frame.sample(frac=0.2, random_state=args.seed)
    train = frame.drop(test.index)
    work = tempfile.mkdtemp(prefix="kiln-compare-")
    train_csv, test_csv = os.path.join(work, "train.csv"), os.path.join(work, "test.csv")
    train.to_csv(train_csv, index=False)
    test.drop(columns=[args.target]).to_csv(test_csv, index=False)
    y_test = test[args.target]

    # scikit-learn's defaults, categories as integer codes declared categorical (sklearn 1.2 has no "from_dtype").
    categorical = [c for c in frame.columns if c != args.target and frame[c].dtype == object]
    def features(part):
        x = part.drop(columns=[args.target]).copy()
        for column in categorical:
            x[column] = pd.Categorical(x[column], categories=sorted(train[column].dropna().unique())).codes.astype(float)
            x.loc[x[column] < 0, column] = np.nan
        return x
    mask = [c in categorical for c in features(train).columns] if categorical else None
    if args.task == "regression":
        model = HistGradientBoostingRegressor(categorical_features=mask, random_state=args.seed)
        model.fit(features(train), train[args.target])
        sk = mean_squared_error(y_test, model.predict(features(test))) ** 0.5
    else:
        model = HistGradientBoostingClassifier(categorical_features=mask, random_state=args.seed)
        model.fit(features(train), train[args.target])
        sk = accuracy_score(y_test, model.predict(features(test)))

    name = f"cmp-{args.dataset[:8]}-{int(time.time()) % 100000}"
    env = dict(os.environ, KILN_URL=args.endpoint)
    kiln = [args.kiln]
    started = time.time()
    subprocess.run(kiln + ["automl", "--data", train_csv, "--target", args.target, "--build", args.build, "--name", name],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    elapsed = time.time() - started
    out = subprocess.run(kiln + ["predict", name, "--data", test_csv, "--json"], check=True, env=env, capture_output=True, text=True).stdout
    predictions = json.loads(out)["predictions"]
    if args.task == "regression":
        score = np.array([p["score"] for p in predictions], dtype=float)
        ours = mean_squared_error(y_test, score) ** 0.5
        metric = "RMSE"
    else:
        labels = [str(p["predicted_label"]) for p in predictions]
        ours = accuracy_score(y_test.astype(str), labels)
        metric = "accuracy"
    print(f"{args.dataset}\t{metric}\tkiln={ours:.4f}\tsklearn_hgb={sk:.4f}\tkiln_seconds={elapsed:.0f}\tjob={name}")


if __name__ == "__main__":
    main()
