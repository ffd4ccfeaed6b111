"""The inference handlers both servers run: a scikit-learn logistic regression on breast cancer, CSV rows in, P(malignant) out."""
import io
import os

import joblib
import numpy as np


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def input_fn(body, content_type):
    if content_type != "text/csv":
        raise ValueError(f"unsupported content type {content_type}")
    return np.loadtxt(io.StringIO(body), delimiter=",", ndmin=2)


def predict_fn(rows, model):
    return model.predict_proba(rows)[:, 1]


def output_fn(prediction, accept):
    return "".join(f"{p:.6f}\n" for p in prediction), "text/csv"
