"""Builds two small ONNX models with the onnx package (Debian's python3-onnx) and the outputs they must give.

Usage: /usr/bin/python3 build_onnx.py <folder>  ->  logistic.onnx, softmax.onnx, expected.json
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(name, weights, bias, activation, outputs):
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["features", "W"], ["z0"]),
         helper.make_node("Add", ["z0", "B"], ["z"]),
         helper.make_node(activation, ["z"], ["scores"], **({"axis": 1} if activation == "Softmax" else {}))],
        name,
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [None, weights.shape[0]])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [None, outputs])],
        [numpy_helper.from_array(weights, "W"), numpy_helper.from_array(bias, "B")])
    built = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="kiln-tests")
    built.ir_version = 8
    onnx.checker.check_model(built)
    return built


def main(folder):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(20, 4)).astype(np.float32)

    w = np.array([[0.8], [-1.2], [0.5], [2.0]], dtype=np.float32)
    b = np.array([0.1], dtype=np.float32)
    onnx.save(model("logistic", w, b, "Sigmoid", 1), os.path.join(folder, "logistic.onnx"))
    logistic = 1 / (1 + np.exp(-(rows @ w + b)))

    w3 = rng.normal(size=(4, 3)).astype(np.float32)
    b3 = np.array([0.0, 0.5, -0.5], dtype=np.float32)
    onnx.save(model("softmax", w3, b3, "Softmax", 3), os.path.join(folder, "softmax.onnx"))
    z = rows @ w3 + b3
    softmax = np.exp(z - z.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)

    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump({"rows": rows.tolist(), "logistic": logistic[:, 0].tolist(), "softmax": softmax.tolist()}, f)


if __name__ == "__main__":
    main(sys.argv[1])
