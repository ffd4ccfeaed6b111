"""One cell of the AutoML benchmark: a dataset, a seed, a build. Appends one JSON line per method to the results file.

    python3 bench.py <kiln-url> <datasets-dir> <results.jsonl> <dataset> <seed> <build>

The split is fixed by the seed (80/20, stratified for classification; fine_foods has its own train/test files, so
there the seed moves only the models' randomness). Kiln sees the 80 % as a CSV in its S3 and builds through boto3
(CreateAutoMLJobV2, quick = 8 candidates, standard = 32, as `kiln automl --build`); the held-out 20 % go to an
endpoint serving the job's best candidate. The peers train in this process on the same 80 % and are scored on the
same 20 %: scikit-learn's HistGradientBoosting and XGBoost with default settings (trained once per dataset and
seed), and XGBoost tuned by Optuna's TPE for as long as Kiln's build took.
"""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import optuna
import pandas as pd
import sklearn
import xgboost
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, mean_squared_error, roc_auc_score
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

CANDIDATES = {"quick": 8, "standard": 32}

# name: (file, target, positive class or None for regression, text column or None)
DATASETS = {
    "breast_cancer": ("breast_cancer.csv", "diagnosis", "M", None),
    "churn": ("churn.csv", "churn", "yes", None),
    "attrition": ("attrition.csv", "Attrition", "Yes", None),
    "credit": ("credit.csv", "Status", "bad", None),
    "diamonds": ("diamonds.csv", "price", None, None),
    "fine_foods": ("fine_foods_train.csv", "score", "great", "review"),
}
# Peers get one thread below 10,000 training rows and both cores above, as Kiln's own booster does: on small data
# a round is too short to pay for synchronising two threads, and on a loaded machine OpenMP barriers are costly.
def threads(rows):
    return 1 if rows < 10000 else 2


TFIDF = dict(ngram_range=(1, 2), min_df=2, max_features=1000, sublinear_tf=True)


def raw_rows(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def csv_text(rows, header=None):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def load(datasets, name, seed):
    """The dataset's raw rows (for Kiln) and data frames (for the peers), split the same way."""
    file, target, positive, text = DATASETS[name]
    header, rows = raw_rows(os.path.join(datasets, file))
    frame = pd.read_csv(os.path.join(datasets, file))
    if text:
        test_header, test_rows = raw_rows(os.path.join(datasets, file.replace("_train", "_test")))
        assert test_header == header
        test_frame = pd.read_csv(os.path.join(datasets, file.replace("_train", "_test")))
        return header, rows, test_rows, frame, test_frame
    index = np.arange(len(rows))
    train, test = train_test_split(index, test_size=0.2, random_state=seed,
                                   stratify=frame[target] if positive is not None else None)
    train, test = np.sort(train), np.sort(test)
    return (header, [rows[i] for i in train], [rows[i] for i in test],
            frame.iloc[train].reset_index(drop=True), frame.iloc[test].reset_index(drop=True))


def score(positive, truth, predicted, probability):
    if positive is None:
        return {"rmse": float(mean_squared_error(truth, predicted) ** 0.5)}
    return {"auc": float(roc_auc_score(truth == positive, probability)), "accuracy": float(accuracy_score(truth, predicted))}


# ---------- Kiln ----------

def kiln(url, name, seed, build, header, train_rows, test_rows):
    """Runs kiln_automl.py with boto3 from KILN_PYTHON (default: the `python3` on PATH, pyenv's, whose botocore knows
    CreateAutoMLJobV2; Debian's 1.29 does not) and scores what the endpoint answered."""
    file, target, positive, text = DATASETS[name]
    t = header.index(target)
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "train.csv"), "w") as f:
            f.write(csv_text(train_rows, header))
        with open(os.path.join(folder, "test.csv"), "w") as f:
            f.write(csv_text(test_rows, header))
        spec = {"url": url, "name": name, "seed": seed, "build": build, "candidates": CANDIDATES[build], "target": target,
                "classifier": positive is not None, "text": text, "train": os.path.join(folder, "train.csv"), "test": os.path.join(folder, "test.csv")}
        done = subprocess.run([os.environ.get("KILN_PYTHON", "python3"), os.path.join(os.path.dirname(os.path.abspath(__file__)), "kiln_automl.py"), json.dumps(spec)],
                              check=True, stdout=subprocess.PIPE, text=True)
    result = json.loads(done.stdout)
    predictions = result.pop("predictions")
    assert len(predictions) == len(test_rows)
    truth = np.array([row[t] for row in test_rows])
    if positive is None:
        truth = truth.astype(float)
        predicted = np.array([p.get("score", p.get("predicted_label")) for p in predictions], dtype=float)
        probability = None
    else:
        predicted = np.array([str(p["predicted_label"]) for p in predictions])
        probability = np.array([p["probabilities"][list(p["labels"]).index(positive)] for p in predictions])
    return {"method": f"kiln-{build}", **result, **score(positive, truth, predicted, probability)}


# ---------- peers ----------

def features(name, train, test):
    """Peers' features. Tabular: categorical columns as ordinal codes (HistGradientBoosting, told which are categorical)
    or one-hot (XGBoost). Text: TF-IDF of the review (word 1-2-grams), the same matrix for every peer."""
    file, target, positive, text = DATASETS[name]
    y_train, y_test = train[target].to_numpy(), test[target].to_numpy()
    if text:
        tfidf = TfidfVectorizer(**TFIDF).fit(train[text].fillna(""))
        x_train, x_test = tfidf.transform(train[text].fillna("")), tfidf.transform(test[text].fillna(""))
        return {"ordinal": (x_train.toarray(), x_test.toarray(), None), "onehot": (x_train, x_test)}, y_train, y_test
    x_train, x_test = train.drop(columns=[target]), test.drop(columns=[target])
    categorical = [c for c in x_train.columns if x_train[c].dtype == object]
    ordinal_train, ordinal_test = x_train.copy(), x_test.copy()
    for c in categorical:
        levels = sorted(x_train[c].dropna().unique())
        ordinal_train[c] = pd.Categorical(x_train[c], categories=levels).codes.astype(float)
        ordinal_test[c] = pd.Categorical(x_test[c], categories=levels).codes.astype(float)
        ordinal_train.loc[ordinal_train[c] < 0, c] = np.nan
        ordinal_test.loc[ordinal_test[c] < 0, c] = np.nan  # missing, or a level not seen in training
    mask = np.array([c in categorical for c in x_train.columns]) if categorical else None
    both = pd.get_dummies(pd.concat([x_train, x_test]), columns=categorical, dtype=float)
    onehot_train, onehot_test = both.iloc[:len(x_train)], both.iloc[len(x_train):]
    return ({"ordinal": (ordinal_train.to_numpy(float), ordinal_test.to_numpy(float), mask),
             "onehot": (onehot_train.to_numpy(float), onehot_test.to_numpy(float))}, y_train, y_test)


def predict(model, positive, x):
    if positive is None:
        return model.predict(x), None
    probability = model.predict_proba(x)[:, list(model.classes_).index(positive)]
    return model.predict(x), probability


def hgb(name, seed, x, y_train, y_test):
    positive = DATASETS[name][2]
    x_train, x_test, mask = x["ordinal"]
    model = (HistGradientBoostingRegressor if positive is None else HistGradientBoostingClassifier)(categorical_features=mask, random_state=seed)
    with threadpool_limits(limits=threads(len(y_train)), user_api="openmp"):
        started = time.time()
        model.fit(x_train, y_train)
        seconds = time.time() - started
        return {"method": "sklearn-hgb", "seconds": seconds, "threads": threads(len(y_train)), **score(positive, y_test, *predict(model, positive, x_test))}


class Labels:
    """XGBoost 1.7 wants 0/1 class labels; the rest of the script speaks the dataset's own."""

    def __init__(self, positive, y):
        self.positive, self.classes = positive, np.array(sorted(set(y)))
        assert positive is None or len(self.classes) == 2

    def encode(self, y):
        return y if self.positive is None else (y == self.positive).astype(int)

    def predict(self, model, x):
        if self.positive is None:
            return model.predict(x), None
        probability = model.predict_proba(x)[:, 1]
        other = [c for c in self.classes if c != self.positive][0]
        return np.where(probability >= 0.5, self.positive, other), probability


def xgb_default(name, seed, x, y_train, y_test):
    positive = DATASETS[name][2]
    labels = Labels(positive, y_train)
    x_train, x_test = x["onehot"]
    model = (xgboost.XGBRegressor if positive is None else xgboost.XGBClassifier)(n_jobs=threads(len(y_train)), random_state=seed)
    started = time.time()
    model.fit(x_train, labels.encode(y_train))
    return {"method": "xgboost-default", "seconds": time.time() - started, "threads": threads(len(y_train)), **score(positive, y_test, *labels.predict(model, x_test))}


def xgb_optuna(name, seed, build, budget, x, y_train, y_test):
    """Optuna's TPE over XGBoost's usual space for `budget` seconds, each trial scored on a fifth of the training rows
    (the number of rounds by early stopping there, at most 2000), then the best refitted on all training rows."""
    positive = DATASETS[name][2]
    labels = Labels(positive, y_train)
    x_train, x_test = x["onehot"]
    y = labels.encode(y_train)
    fit_rows, val_rows = train_test_split(np.arange(len(y)), test_size=0.2, random_state=seed, stratify=y if positive is not None else None)
    make = xgboost.XGBRegressor if positive is None else xgboost.XGBClassifier
    metric = "rmse" if positive is None else "auc"

    def objective(trial):
        params = dict(
            learning_rate=trial.suggest_float("learning_rate", 0.005, 0.3, log=True),
            max_depth=trial.suggest_int("max_depth", 2, 12),
            min_child_weight=trial.suggest_float("min_child_weight", 0.5, 50, log=True),
            subsample=trial.suggest_float("subsample", 0.5, 1.0),
            colsample_bytree=trial.suggest_float("colsample_bytree", 0.3, 1.0),
            reg_lambda=trial.suggest_float("reg_lambda", 1e-3, 30, log=True),
            reg_alpha=trial.suggest_float("reg_alpha", 1e-3, 30, log=True),
            gamma=trial.suggest_float("gamma", 1e-4, 5, log=True))
        model = make(n_estimators=2000, early_stopping_rounds=50, eval_metric=metric, tree_method="hist", n_jobs=threads(len(y)), random_state=seed, **params)
        model.fit(x_train[fit_rows], y[fit_rows], eval_set=[(x_train[val_rows], y[val_rows])], verbose=False)
        trial.set_user_attr("rounds", int(model.best_iteration) + 1)
        return model.best_score

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize" if positive is None else "maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    started = time.time()
    study.optimize(objective, timeout=budget)
    searched = time.time() - started
    best = study.best_trial
    model = make(n_estimators=best.user_attrs["rounds"], tree_method="hist", n_jobs=threads(len(y)), random_state=seed, **best.params)
    model.fit(x_train, y)
    return {"method": f"xgboost-optuna-{build}", "seconds": time.time() - started, "search_seconds": searched, "budget_seconds": budget,
            "trials": len(study.trials), "threads": threads(len(y)), "best_params": {**best.params, "n_estimators": best.user_attrs["rounds"]},
            **score(positive, y_test, *labels.predict(model, x_test))}


def main():
    url, datasets, results, name, seed, build = sys.argv[1:7]
    seed = int(seed)
    header, train_rows, test_rows, train, test = load(datasets, name, seed)
    done = set()
    if os.path.exists(results):
        with open(results) as f:
            done = {(r["dataset"], r["seed"], r["method"]) for r in map(json.loads, f)}
    common = {"dataset": name, "seed": seed, "train_rows": len(train_rows), "test_rows": len(test_rows),
              "versions": {"sklearn": sklearn.__version__, "xgboost": xgboost.__version__, "optuna": optuna.__version__}}

    def record(result):
        result = {**common, **result, "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        with open(results, "a") as f:
            f.write(json.dumps(result) + "\n")
        metrics = {k: round(result[k], 4) for k in ("auc", "accuracy", "rmse") if k in result}
        print(f"{name} seed {seed} {result['method']}: {metrics} in {result['seconds']:.1f} s", file=sys.stderr, flush=True)
        return result

    x, y_train, y_test = features(name, train, test)
    for method, run in (("sklearn-hgb", hgb), ("xgboost-default", xgb_default)):
        if (name, seed, method) not in done:
            record(run(name, seed, x, y_train, y_test))
    if (name, seed, f"kiln-{build}") in done:
        with open(results) as f:
            budget = [r for r in map(json.loads, f) if (r["dataset"], r["seed"], r["method"]) == (name, seed, f"kiln-{build}")][-1]["seconds"]
    else:
        budget = record(kiln(url, name, seed, build, header, train_rows, test_rows))["seconds"]
    if (name, seed, f"xgboost-optuna-{build}") not in done:
        record(xgb_optuna(name, seed, build, budget, x, y_train, y_test))


if __name__ == "__main__":
    main()
