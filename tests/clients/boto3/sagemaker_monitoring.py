"""Model Monitor's analyzer and Clarify as processing jobs, started through boto3 the way the SageMaker Python SDK
starts them (DefaultModelMonitor.suggest_baseline, a monitoring execution, SageMakerClarifyProcessor): Kiln runs its
built-in analyses for those images, with no container and no entrypoint.
Usage: python3 sagemaker_monitoring.py <endpoint_url> <test_name>
"""
import csv
import io
import json
import random
import uuid

import botocore.exceptions

from kiln_boto import client, main
import sagemaker_hosting as hosting

BUCKET = "kiln-monitoring"
ROLE = "arn:aws:iam::000000000000:role/kiln"
ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
CLARIFY = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}


def s3_input(name, uri, local_path):
    return {"InputName": name, "S3Input": {"S3Uri": uri, "LocalPath": local_path, "S3DataType": "S3Prefix", "S3InputMode": "File",
                                           "S3DataDistributionType": "FullyReplicated"}}


def s3_output(name, uri, local_path):
    return {"OutputName": name, "S3Output": {"S3Uri": uri, "LocalPath": local_path, "S3UploadMode": "EndOfJob"}}


def ensure_bucket(s3):
    try:
        s3.create_bucket(Bucket=BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass


def rows(n, seed, x2_mean=5.0):
    rng = random.Random(seed)
    return [[round(rng.gauss(0, 1), 5), round(rng.gauss(x2_mean, 2), 5), rng.choice(["red", "green", "blue"])] for _ in range(n)]


def put_csv(s3, key, header, data):
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(data)
    s3.put_object(Bucket=BUCKET, Key=key, Body=text.getvalue().encode())


def read_json(s3, key):
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def run(sm, name, image, inputs, output_uri, environment=None, output_path="/opt/ml/processing/output", output_name="monitoring_output"):
    sm.create_processing_job(
        ProcessingJobName=name, RoleArn=ROLE, ProcessingResources=CLUSTER, AppSpecification={"ImageUri": image},
        Environment=environment or {}, ProcessingInputs=inputs,
        ProcessingOutputConfig={"Outputs": [s3_output(output_name, output_uri, output_path)]})
    try:
        sm.get_waiter("processing_job_completed_or_stopped").wait(ProcessingJobName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 180})
    except botocore.exceptions.WaiterError as e:
        if "Failed" not in str(e):  # the waiter ends on Failed as on a timeout; a failed job is an answer here
            raise
    return sm.describe_processing_job(ProcessingJobName=name)


def analyzer_environment(baseline=False):
    environment = {
        "dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
        "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
        "output_path": "/opt/ml/processing/output",
        "publish_cloudwatch_metrics": "Disabled",
    }
    if baseline:
        environment["baseline_constraints"] = "/opt/ml/processing/baseline/constraints/constraints.json"
        environment["baseline_statistics"] = "/opt/ml/processing/baseline/stats/statistics.json"
    return environment


def test_analyzer_suggests_a_baseline_and_flags_only_the_drifted_feature(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    put_csv(s3, f"{run_id}/baseline/data.csv", ["x1", "x2", "color"], rows(2000, seed=1))

    baseline = run(sm, f"baseline-{run_id}", ANALYZER,
                   [s3_input("baseline_dataset_input", f"{prefix}/baseline", "/opt/ml/processing/input/baseline_dataset_input")],
                   f"{prefix}/baseline-results", analyzer_environment())
    assert baseline["ProcessingJobStatus"] == "Completed", baseline
    statistics = read_json(s3, f"{run_id}/baseline-results/statistics.json")
    assert statistics["dataset"]["item_count"] == 2000, statistics["dataset"]
    features = {f["name"]: f for f in statistics["features"]}
    assert set(features) == {"x1", "x2", "color"}
    assert features["x1"]["inferred_type"] == "Fractional" and features["color"]["inferred_type"] == "String"
    assert abs(features["x2"]["numerical_statistics"]["mean"] - 5.0) < 0.2, features["x2"]
    assert features["x1"]["numerical_statistics"]["common"]["num_present"] == 2000
    constraints = read_json(s3, f"{run_id}/baseline-results/constraints.json")
    assert {f["name"] for f in constraints["features"]} == {"x1", "x2", "color"}
    assert constraints["monitoring_config"]["distribution_constraints"]["perform_comparison"] == "Enabled"

    baseline_inputs = [s3_input("constraints", f"{prefix}/baseline-results/constraints.json", "/opt/ml/processing/baseline/constraints"),
                       s3_input("stats", f"{prefix}/baseline-results/statistics.json", "/opt/ml/processing/baseline/stats")]

    put_csv(s3, f"{run_id}/same/data.csv", ["x1", "x2", "color"], rows(1000, seed=2))
    same = run(sm, f"same-{run_id}", ANALYZER,
               [s3_input("baseline_dataset_input", f"{prefix}/same", "/opt/ml/processing/input/baseline_dataset_input")] + baseline_inputs,
               f"{prefix}/same-results", analyzer_environment(baseline=True))
    assert same["ProcessingJobStatus"] == "Completed", same
    assert not same["ExitMessage"].startswith("CompletedWithViolations"), same["ExitMessage"]
    assert read_json(s3, f"{run_id}/same-results/constraint_violations.json")["violations"] == []

    put_csv(s3, f"{run_id}/drifted/data.csv", ["x1", "x2", "color"], rows(1000, seed=3, x2_mean=8.0))
    drifted = run(sm, f"drifted-{run_id}", ANALYZER,
                  [s3_input("baseline_dataset_input", f"{prefix}/drifted", "/opt/ml/processing/input/baseline_dataset_input")] + baseline_inputs,
                  f"{prefix}/drifted-results", analyzer_environment(baseline=True))
    assert drifted["ProcessingJobStatus"] == "Completed", drifted
    assert drifted["ExitMessage"].startswith("CompletedWithViolations"), drifted["ExitMessage"]
    violations = read_json(s3, f"{run_id}/drifted-results/constraint_violations.json")["violations"]
    assert [(v["feature_name"], v["constraint_check_type"]) for v in violations] == [("x2", "baseline_drift_check")], violations
    drift = read_json(s3, f"{run_id}/drifted-results/kiln_drift_report.json")
    assert "x2" in json.dumps(drift)


def test_analyzer_and_clarify_fail_clearly_on_bad_input(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    put_csv(s3, f"{run_id}/data/data.csv", ["x1", "x2", "color"], rows(50, seed=4))
    environment = analyzer_environment()
    del environment["dataset_source"]
    missing = run(sm, f"no-source-{run_id}", ANALYZER,
                  [s3_input("baseline_dataset_input", f"{prefix}/data", "/opt/ml/processing/input/baseline_dataset_input")],
                  f"{prefix}/out", environment)
    assert missing["ProcessingJobStatus"] == "Failed" and "dataset_source" in missing["FailureReason"], missing

    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/config/analysis_config.json", Body=json.dumps({
        "dataset_type": "text/csv", "headers": ["x1", "x2", "color"], "label": "nowhere", "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "color", "value_or_threshold": ["red"]}],
        "methods": {"pre_training_bias": {"methods": "all"}}}).encode())
    clarify = run(sm, f"bad-label-{run_id}", CLARIFY,
                  [s3_input("dataset", f"{prefix}/data/data.csv", "/opt/ml/processing/input/data"),
                   s3_input("analysis_config", f"{prefix}/config/analysis_config.json", "/opt/ml/processing/input/config")],
                  f"{prefix}/clarify-out", output_name="analysis_result")
    assert clarify["ProcessingJobStatus"] == "Failed" and "nowhere" in clarify["FailureReason"], clarify


def test_clarify_pre_training_bias_matches_the_published_formulas(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    rng = random.Random(7)
    data = []
    for _ in range(400):
        sex = "female" if rng.random() < 0.3 else "male"
        approved = 1 if rng.random() < (0.35 if sex == "female" else 0.6) else 0
        data.append([rng.randint(18, 70), sex, approved])
    put_csv(s3, f"{run_id}/data/data.csv", ["age", "sex", "approved"], data)
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/config/analysis_config.json", Body=json.dumps({
        "dataset_type": "text/csv", "headers": ["age", "sex", "approved"], "label": "approved",
        "label_values_or_threshold": [1], "facet": [{"name_or_index": "sex", "value_or_threshold": ["female"]}],
        "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]}, "report": {"name": "report", "title": "Bias report"}}}).encode())
    job = run(sm, f"clarify-{run_id}", CLARIFY,
              [s3_input("dataset", f"{prefix}/data/data.csv", "/opt/ml/processing/input/data"),
               s3_input("analysis_config", f"{prefix}/config/analysis_config.json", "/opt/ml/processing/input/config")],
              f"{prefix}/clarify-out", output_name="analysis_result")
    assert job["ProcessingJobStatus"] == "Completed", job
    analysis = read_json(s3, f"{run_id}/clarify-out/analysis.json")
    metrics = {m["name"]: m["value"] for m in analysis["pre_training_bias_metrics"]["facets"]["sex"][0]["metrics"]}
    n_d = sum(1 for r in data if r[1] == "female")
    n_a = len(data) - n_d
    q_a = sum(1 for r in data if r[1] == "male" and r[2] == 1) / n_a
    q_d = sum(1 for r in data if r[1] == "female" and r[2] == 1) / n_d
    assert abs(metrics["CI"] - (n_a - n_d) / (n_a + n_d)) < 1e-9, metrics
    assert abs(metrics["DPL"] - (q_a - q_d)) < 1e-9, metrics
    assert b"<html" in s3.get_object(Bucket=BUCKET, Key=f"{run_id}/clarify-out/report.html")["Body"].read().lower()


def test_clarify_post_training_bias_and_shap_call_the_endpoint(endpoint):
    sm, s3, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-runtime", endpoint)
    ensure_bucket(s3)
    job = hosting.trained_churn_model(sm, s3)
    name = hosting.deploy(sm, [hosting.variant("main", hosting.create_model(sm, job))])
    header, _, validation = hosting.churn_split()
    rows = validation[:40]
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    put_csv(s3, f"{run_id}/data/data.csv", header, rows)
    features = hosting.feature_rows(rows, header)
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/config/analysis_config.json", Body=json.dumps({
        "dataset_type": "text/csv", "headers": header, "label": "churn", "label_values_or_threshold": ["yes"],
        "facet": [{"name_or_index": "international_plan", "value_or_threshold": ["yes"]}],
        "probability_threshold": 0.5,
        "predictor": {"endpoint_name": name, "content_type": "text/csv", "accept_type": "text/csv"},
        "methods": {"post_training_bias": {"methods": ["DPPL", "DI"]},
                    "shap": {"baseline": [features[0]], "num_samples": 40, "agg_method": "mean_abs", "save_local_shap_values": True, "seed": 1}}}).encode())
    done = run(sm, f"clarify-model-{run_id}", CLARIFY,
               [s3_input("dataset", f"{prefix}/data/data.csv", "/opt/ml/processing/input/data"),
                s3_input("analysis_config", f"{prefix}/config/analysis_config.json", "/opt/ml/processing/input/config")],
               f"{prefix}/out", output_name="analysis_result")
    assert done["ProcessingJobStatus"] == "Completed", done
    analysis = read_json(s3, f"{run_id}/out/analysis.json")

    scores = [float(line) for line in runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv",
              Body="\n".join(",".join(row) for row in features).encode())["Body"].read().decode().split()]
    predicted = [score > 0.5 for score in scores]
    facet = [row[header.index("international_plan")] == "yes" for row in rows]
    q_a = sum(p for p, f in zip(predicted, facet) if not f) / sum(1 for f in facet if not f)
    q_d = sum(p for p, f in zip(predicted, facet) if f) / sum(1 for f in facet if f)
    metrics = {m["name"]: m["value"] for m in analysis["post_training_bias_metrics"]["facets"]["international_plan"][0]["metrics"]}
    assert abs(metrics["DPPL"] - (q_a - q_d)) < 1e-9, (metrics, q_a, q_d)

    shap = analysis["explanations"]["kernel_shap"]["label0"]
    assert set(shap["global_shap_values"]) == set(header) - {"churn"}, shap["global_shap_values"]
    local = list(csv.reader(io.StringIO(s3.get_object(Bucket=BUCKET, Key=f"{run_id}/out/explanations_shap/out.csv")["Body"].read().decode())))
    for i in (0, 7, 23):
        attributions = sum(float(v) for v in local[i + 1])
        assert abs(attributions - (scores[i] - shap["expected_value"])) < 1e-6, (i, attributions, scores[i], shap["expected_value"])


if __name__ == "__main__":
    main({name: value for name, value in globals().items() if name.startswith("test_")})
