"""Only model_fn: requests are decoded, predicted and encoded by the scikit-learn container's defaults."""
import os

import joblib


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))
