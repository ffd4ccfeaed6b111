"""Training step (script mode): a standardized logistic regression on the churn features.

Saves model.joblib (for the evaluation step) and model.onnx (for Kiln endpoints: the scaler folded into
the weights, so the endpoint takes the raw feature columns and returns the churn probability).
"""
import argparse
import glob
import os

import joblib
import numpy as np
import onnx
import pandas as pd
from onnx import TensorProto, helper, numpy_helper
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def to_onnx(model, width):
    scaler, regression = model.named_steps["standardscaler"], model.named_steps["logisticregression"]
    weights = regression.coef_[0] / scaler.scale_
    bias = regression.intercept_[0] - float(np.sum(regression.coef_[0] * scaler.mean_ / scaler.scale_))
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["features", "W"], ["z0"]),
         helper.make_node("Add", ["z0", "B"], ["z"]),
         helper.make_node("Sigmoid", ["z"], ["probability"])],
        "churn",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [None, width])],
        [helper.make_tensor_value_info("probability", TensorProto.FLOAT, [None, 1])],
        [numpy_helper.from_array(weights.reshape(width, 1).astype(np.float32), "W"),
         numpy_helper.from_array(np.array([bias], dtype=np.float32), "B")])
    built = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="kiln-churn")
    built.ir_version = 8
    onnx.checker.check_model(built)
    return built


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN"))
    args = parser.parse_args()

    frame = pd.concat([pd.read_csv(path) for path in sorted(glob.glob(os.path.join(args.train, "*.csv")))])
    y = frame.pop("churn").to_numpy()
    model = make_pipeline(StandardScaler(), LogisticRegression(C=args.C, max_iter=1000))
    model.fit(frame.to_numpy(dtype=np.float64), y)
    print(f"train-auc: {roc_auc_score(y, model.predict_proba(frame.to_numpy(dtype=np.float64))[:, 1]):.4f}")
    joblib.dump({"model": model, "columns": list(frame.columns)}, os.path.join(args.model_dir, "model.joblib"))
    onnx.save(to_onnx(model, frame.shape[1]), os.path.join(args.model_dir, "model.onnx"))


if __name__ == "__main__":
    main()
