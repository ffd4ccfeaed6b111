"""What a Python team deploys today: Flask under gunicorn, a scikit-learn pipeline loaded with joblib.

POST /invocations with one or more churn rows as CSV (features only, no header); answers P(churn) per line.
"""
import csv
import io
import os

import joblib
import pandas as pd
from flask import Flask, Response, request

MODEL = joblib.load(os.environ["MODEL_PATH"])
COLUMNS = MODEL.feature_names_in_
app = Flask(__name__)


@app.route("/ping")
def ping():
    return "ok"


@app.route("/invocations", methods=["POST"])
def invocations():
    rows = list(csv.reader(io.StringIO(request.get_data(as_text=True))))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in COLUMNS:
        if column not in CATEGORICAL:
            frame[column] = pd.to_numeric(frame[column])
    scores = MODEL.predict_proba(frame)[:, 1]
    return Response("\n".join(repr(float(s)) for s in scores) + "\n", mimetype="text/csv")


CATEGORICAL = set(os.environ.get("CATEGORICAL", "").split(","))
