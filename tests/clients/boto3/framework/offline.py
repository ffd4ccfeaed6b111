"""numpy and scikit-learn for the framework-model tests, run by Debian's python3 (the boto3 test runner has neither).

  offline.py predict MODEL_TAR_GZ  < rows.json  ->  {"labels": [...], "malignant": [...], "labels_float32": [...]}
  offline.py to-npy                < rows.json  ->  the rows as an NPY array (what SKLearnPredictor sends)
  offline.py from-npy              < array.npy  ->  the array as JSON
"""
import io
import json
import sys
import tarfile

import numpy as np


def main():
    command = sys.argv[1]
    if command == "predict":
        import joblib
        import pandas as pd

        with tarfile.open(sys.argv[2]) as archive:
            model = joblib.load(io.BytesIO(archive.extractfile("model.joblib").read()))
        rows = np.array(json.load(sys.stdin), dtype=float)
        frame = pd.DataFrame(rows, columns=model.feature_names_in_)
        malignant = model.predict_proba(frame)[:, list(model.classes_).index("M")]
        json.dump({"labels": model.predict(frame).tolist(), "malignant": malignant.tolist(),
                   "labels_float32": model.predict(rows.astype(np.float32)).tolist()}, sys.stdout)
    elif command == "to-npy":
        buffer = io.BytesIO()
        np.save(buffer, np.array(json.load(sys.stdin), dtype=float))
        sys.stdout.buffer.write(buffer.getvalue())
    elif command == "from-npy":
        json.dump(np.load(io.BytesIO(sys.stdin.buffer.read()), allow_pickle=True).tolist(), sys.stdout)


if __name__ == "__main__":
    main()
