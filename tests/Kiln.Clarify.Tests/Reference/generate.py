#!/usr/bin/python3
"""Computes the reference bias metrics for Kiln.Clarify's tests with AWS's open-source smclarify.

Usage: /usr/bin/python3 generate.py <path to amazon-sagemaker-clarify/src> [<datasets dir>]
Needs Debian's python3-pandas, python3-numpy, python3-scipy, python3-sklearn. smclarify's one other
dependency (PyFunctional) is replaced by the tiny shim in ./shim.

It (re)writes data/*.csv (small deterministic samples of /work/shared/datasets plus one synthetic table),
and expected.json: for every case its analysis_config.json (SageMaker SDK format) and what smclarify's
bias_report returns for each facet, pre- and post-training, the way the Clarify container calls it.
"""
import json
import os
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "shim"))
sys.path.insert(0, sys.argv[1])
DATASETS = sys.argv[2] if len(sys.argv) > 2 else "/work/shared/datasets"

from smclarify.bias import report  # noqa: E402


def attrition():
    df = pd.read_csv(os.path.join(DATASETS, "attrition.csv"))
    cols = ["Age", "Attrition", "Department", "Gender", "JobLevel", "MaritalStatus", "MonthlyIncome",
            "OverTime", "YearsAtCompany"]
    df = df[cols].sample(n=300, random_state=7).reset_index(drop=True)
    # A stand-in model's decisions: a fixed rule, so post-training metrics have something to measure.
    risky = (df["OverTime"] == "Yes") & ((df["MonthlyIncome"] < 4000) | (df["YearsAtCompany"] < 3))
    df["pred"] = np.where(risky | (df["Age"] < 24), "Yes", "No")
    config = {
        "dataset_type": "text/csv",
        "headers": list(df.columns),
        "label": "Attrition",
        "predicted_label": "pred",
        "label_values_or_threshold": ["Yes"],
        "facet": [
            {"name_or_index": "Gender", "value_or_threshold": ["Female"]},
            {"name_or_index": "MaritalStatus"},
            {"name_or_index": "Age", "value_or_threshold": [40]},
            {"name_or_index": "Department", "value_or_threshold": ["Sales", "Human_Resources"]},
        ],
        "group_variable": "JobLevel",
        "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"},
                    "report": {"name": "report", "title": "Analysis Report"}},
    }
    return "attrition", df, config


def breast_cancer():
    df = pd.read_csv(os.path.join(DATASETS, "breast_cancer.csv"))
    df = df[["mean_radius", "mean_texture", "mean_smoothness", "worst_area", "diagnosis"]].copy()
    df["texture_band"] = pd.cut(df["mean_texture"], [0, 15, 20, 25, 100], labels=False).astype(int)
    df["pred"] = np.where(df["worst_area"] > 880.0, "M", "B")
    config = {
        "dataset_type": "text/csv",
        "headers": list(df.columns),
        "label": "diagnosis",
        "predicted_label": "pred",
        "label_values_or_threshold": ["M"],
        "facet": [
            {"name_or_index": "mean_texture", "value_or_threshold": [20.5]},
            {"name_or_index": "texture_band"},
        ],
        "group_variable": "texture_band",
        "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
    }
    return "breast_cancer", df, config


def synthetic():
    rng = np.random.RandomState(11)
    n = 200
    df = pd.DataFrame({
        "x1": np.round(rng.normal(size=n), 4),
        "group": rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2]),
        "flag": rng.randint(0, 2, size=n),
        "region": rng.randint(0, 4, size=n),
    })
    df["score"] = np.clip((50 + 20 * df["x1"] + 10 * df["flag"] + rng.normal(scale=15, size=n)).round(), 0, 100).astype(int)
    df["predicted_score"] = np.clip((52 + 22 * df["x1"] + 5 * (df["group"] == "a")).round(), 0, 100).astype(int)
    config = {
        "dataset_type": "text/csv",
        "headers": list(df.columns),
        "label": "score",
        "predicted_label": "predicted_score",
        "label_values_or_threshold": [60],
        "facet": [
            {"name_or_index": "group", "value_or_threshold": ["a", "b"]},
            {"name_or_index": "flag"},
            {"name_or_index": "x1", "value_or_threshold": [0]},
        ],
        "group_variable": "region",
        "methods": {"pre_training_bias": {"methods": ["CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL"]},
                    "post_training_bias": {"methods": "all"}},
    }
    return "synthetic", df, config


def small_binary():
    # 20 rows with a 0/1 label: 2 distinct values of 20 is "continuous" under Clarify's 5% uniqueness rule,
    # so label_values_or_threshold [1] becomes the interval (1, 1] and selects nothing. Kiln must agree.
    rng = np.random.RandomState(3)
    df = pd.DataFrame({"g": rng.choice(["x", "y"], size=20), "v": rng.randint(0, 2, size=20), "y": rng.randint(0, 2, size=20)})
    df["p"] = rng.randint(0, 2, size=20)
    config = {
        "dataset_type": "text/csv",
        "headers": list(df.columns),
        "label": "y",
        "predicted_label": "p",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "g", "value_or_threshold": ["x"]}, {"name_or_index": "v"}],
        "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
    }
    return "small_binary", df, config


def methods_list(methods):
    return ["all"] if methods == "all" else methods


def run_case(name, df, config):
    path = os.path.join(HERE, "data", name + ".csv")
    df.to_csv(path, index=False)
    # Read back exactly what the C# side reads, so both see the same parsed values.
    df = pd.read_csv(path)
    label = config["label"]
    label_values = config["label_values_or_threshold"]
    pred = config.get("predicted_label")
    group = df[config["group_variable"]] if "group_variable" in config else None
    features = df.drop(columns=[pred]) if pred else df
    out = {"config": config, "label_value_or_threshold":
           report.label_value_or_threshold(df[label], list(label_values)), "facets": {}}
    for facet in config["facet"]:
        fname = facet["name_or_index"]
        values = facet.get("value_or_threshold")
        entry = {}
        try:
            entry["pre_training"] = report.bias_report(
                features, report.FacetColumn(fname, list(values) if values else None),
                report.LabelColumn(label, df[label], list(label_values)), report.StageType.PRE_TRAINING,
                metrics=methods_list(config["methods"]["pre_training_bias"]["methods"]), group_variable=group)
        except ValueError as e:
            entry["pre_training"] = {"error": str(e)}
        if pred:
            try:
                entry["post_training"] = report.bias_report(
                    df, report.FacetColumn(fname, list(values) if values else None),
                    report.LabelColumn(label, df[label], list(label_values)), report.StageType.POST_TRAINING,
                    predicted_label_column=report.LabelColumn(pred, df[pred], list(label_values)),
                    metrics=methods_list(config["methods"]["post_training_bias"]["methods"]), group_variable=group)
            except ValueError as e:
                # smclarify rejects the whole report (Kiln: ClarifyValidationException).
                entry["post_training"] = {"error": str(e)}
        out["facets"][fname] = entry
    return name, out


def main():
    os.makedirs(os.path.join(HERE, "data"), exist_ok=True)
    cases = dict(run_case(*make()) for make in (attrition, breast_cancer, synthetic, small_binary))
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(cases, f, indent=1, sort_keys=True, allow_nan=True)
        f.write("\n")


if __name__ == "__main__":
    main()
