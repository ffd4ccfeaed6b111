"""Trains the benchmark's model (standardised logistic regression, breast cancer) and writes model.tar.gz
(model.joblib + code/inference.py, as the SageMaker SDK repacks a model) and one feature row, row.csv."""
import os
import sys
import tarfile

import joblib
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

data, out = sys.argv[1], sys.argv[2]
frame = pd.read_csv(data)
y = (frame.pop("diagnosis") == "M").astype(int)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(frame.values, y)
os.makedirs(os.path.join(out, "model"), exist_ok=True)
joblib.dump(model, os.path.join(out, "model", "model.joblib"))
with tarfile.open(os.path.join(out, "model.tar.gz"), "w:gz") as archive:
    archive.add(os.path.join(out, "model", "model.joblib"), arcname="model.joblib")
    archive.add(os.path.join(os.path.dirname(os.path.abspath(__file__)), "inference.py"), arcname="code/inference.py")
with open(os.path.join(out, "row.csv"), "w") as f:
    f.write(",".join(repr(float(v)) for v in frame.values[0]))
