"""Model Monitor's model quality monitoring through boto3: an endpoint that captures its traffic, ground truth uploaded
under GroundTruthS3Input keyed by the captured eventIds, a baseline of a labeled CSV, a ModelQuality job definition and
a NOW schedule whose execution merges predictions with ground truth and reports the metrics.
Usage: python3 sagemaker_model_quality.py <endpoint_url> <test_name>
"""
import base64
import datetime
import io
import json
import uuid

from kiln_boto import client, main
import sagemaker_hosting as hosting
import sagemaker_model_monitor as mm
import sagemaker_monitoring as monitoring

BUCKET = monitoring.BUCKET
ROLE = monitoring.ROLE
ANALYZER = monitoring.ANALYZER
ROWS = 60


def deployed(endpoint, rows):
    """A churn endpoint with capture on, invoked once per row; returns the clients, run id, prefix, endpoint and labels by request line."""
    sm, s3, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-runtime", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    endpoint_name = mm.churn_endpoint(sm, s3, mm.capture_config(prefix))
    header, _, validation = hosting.churn_split()
    target = header.index("churn")
    chosen = validation[:rows]
    features = hosting.feature_rows(chosen, header)
    labels = {hosting.csv_line(f): "1" if row[target] in ("1", "yes", "True") else "0" for f, row in zip(features, chosen)}
    mm.invoke_all(s3, runtime, run_id, endpoint_name, features, len(features))
    return sm, s3, run_id, prefix, endpoint_name, labels


def captured(s3, run_id):
    """(eventId, request line, score) of every captured record."""
    records = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"{run_id}/capture/"):
        for o in page.get("Contents", []):
            for line in s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read().decode().splitlines():
                if line.strip():
                    record = json.loads(line)
                    data = record["captureData"]
                    records.append((record["eventMetadata"]["eventId"], text(data["endpointInput"]).strip(), float(text(data["endpointOutput"]).strip())))
    return records


def text(payload):
    return base64.b64decode(payload["data"]).decode() if payload["encoding"] == "BASE64" else payload["data"]


def put_ground_truth(s3, run_id, folder, lines):
    hour = datetime.datetime.now(datetime.timezone.utc).strftime("%Y/%m/%d/%H")
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/{folder}/{hour}/labels.jsonl", Body="\n".join(lines).encode())
    return f"s3://{BUCKET}/{run_id}/{folder}"


def truth_line(event_id, label):
    return json.dumps({"groundTruthData": {"data": label, "encoding": "CSV"}, "eventMetadata": {"eventId": event_id}, "eventVersion": "0"})


def definition(sm, name, endpoint_name, prefix, ground_truth, constraints=None, problem_type="BinaryClassification"):
    request = dict(
        JobDefinitionName=name, RoleArn=ROLE, JobResources=mm.RESOURCES,
        ModelQualityAppSpecification={"ImageUri": ANALYZER, "ProblemType": problem_type},
        ModelQualityJobInput={"EndpointInput": {"EndpointName": endpoint_name, "LocalPath": "/opt/ml/processing/input/endpoint",
                                                "ProbabilityAttribute": "0", "ProbabilityThresholdAttribute": 0.5},
                              "GroundTruthS3Input": {"S3Uri": ground_truth}},
        ModelQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {"S3Uri": f"{prefix}/reports", "LocalPath": "/opt/ml/processing/output"}}]},
        StoppingCondition={"MaxRuntimeInSeconds": 600})
    if constraints:
        request["ModelQualityBaselineConfig"] = {"ConstraintsResource": {"S3Uri": constraints}}
    return sm.create_model_quality_job_definition(**request)


def schedule_now(sm, name, definition_name, monitoring_type="ModelQuality"):
    return sm.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H", "DataAnalysisEndTime": "-PT0H"},
        "MonitoringJobDefinitionName": definition_name, "MonitoringType": monitoring_type})


def binary_metrics(pairs):
    """accuracy, precision, recall, f1 of (label, score) pairs at threshold 0.5, as the test's own reference."""
    tp = sum(1 for y, s in pairs if y == 1 and s >= 0.5)
    fp = sum(1 for y, s in pairs if y == 0 and s >= 0.5)
    tn = sum(1 for y, s in pairs if y == 0 and s < 0.5)
    fn = sum(1 for y, s in pairs if y == 1 and s < 0.5)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return {"accuracy": (tp + tn) / len(pairs), "precision": precision, "recall": recall,
            "f1": 2 * precision * recall / (precision + recall), "true_negative_rate": tn / (tn + fp)}


def test_metrics_match_and_bad_predictions_violate(endpoint):
    sm, s3, run_id, prefix, endpoint_name, labels = deployed(endpoint, ROWS)
    records = captured(s3, run_id)
    assert len(records) == ROWS, len(records)
    pairs = [(int(labels[line]), score) for _, line, score in records]
    good = put_ground_truth(s3, run_id, "groundtruth", [truth_line(event, labels[line]) for event, line, _ in records])
    # The same predictions against flipped labels: every metric but the constants gets worse than the baseline.
    bad = put_ground_truth(s3, run_id, "groundtruth-flipped", [truth_line(event, str(1 - int(labels[line]))) for event, line, _ in records])

    # The baseline: the labeled predictions as a CSV, the way ModelQualityMonitor.suggest_baseline hands them over.
    table = io.StringIO()
    table.write("label,probability\n")
    table.writelines(f"{y},{s!r}\n" for y, s in pairs)
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/baseline-data/labeled.csv", Body=table.getvalue().encode())
    environment = {"analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification", "ground_truth_attribute": "label",
                   "probability_attribute": "probability", "probability_threshold_attribute": "0.5",
                   "dataset_format": json.dumps({"csv": {"header": True}}), "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
                   "output_path": "/opt/ml/processing/output"}
    baseline = monitoring.run(sm, f"mq-baseline-{run_id}", ANALYZER,
                              [monitoring.s3_input("baseline_dataset_input", f"{prefix}/baseline-data", "/opt/ml/processing/input/baseline_dataset_input")],
                              f"{prefix}/baseline", environment)
    assert baseline["ProcessingJobStatus"] == "Completed", baseline
    constraints = monitoring.read_json(s3, f"{run_id}/baseline/constraints.json")["binary_classification_constraints"]
    expected = binary_metrics(pairs)
    assert abs(constraints["accuracy"]["threshold"] - expected["accuracy"]) < 1e-9, constraints
    assert constraints["accuracy"]["comparison_operator"] == "LessThanThreshold", constraints

    name = f"mq-{run_id}"
    arn = definition(sm, name, endpoint_name, prefix, good, f"{prefix}/baseline/constraints.json")["JobDefinitionArn"]
    assert arn.endswith(f":model-quality-job-definition/{name}"), arn
    described = sm.describe_model_quality_job_definition(JobDefinitionName=name)
    assert described["ModelQualityAppSpecification"]["ProblemType"] == "BinaryClassification", described
    assert described["ModelQualityJobInput"]["GroundTruthS3Input"]["S3Uri"] == good, described
    assert described["ModelQualityJobInput"]["EndpointInput"]["ProbabilityAttribute"] == "0", described
    assert described["ModelQualityBaselineConfig"]["ConstraintsResource"]["S3Uri"] == f"{prefix}/baseline/constraints.json"
    flipped = f"mq-flipped-{run_id}"
    definition(sm, flipped, endpoint_name, prefix, bad, f"{prefix}/baseline/constraints.json")

    # One name space, but each type's API sees only its own definitions.
    listed = sm.list_model_quality_job_definitions(EndpointName=endpoint_name, SortBy="Name", SortOrder="Ascending")["JobDefinitionSummaries"]
    assert [d["MonitoringJobDefinitionName"] for d in listed] == [name, flipped], listed
    assert sm.list_data_quality_job_definitions(EndpointName=endpoint_name)["JobDefinitionSummaries"] == []
    hosting.expect_error(lambda: sm.describe_data_quality_job_definition(JobDefinitionName=name), "ResourceNotFound", 400)
    hosting.expect_error(lambda: sm.delete_data_quality_job_definition(JobDefinitionName=name), "ResourceNotFound", 400)
    hosting.expect_error(lambda: definition(sm, name, endpoint_name, prefix, good), "ResourceInUse", 400, name)

    schedule_now(sm, name, name)
    schedule_now(sm, flipped, flipped)
    execution = mm.finished_execution(sm, name, timeout=60)
    assert execution["MonitoringExecutionStatus"] == "Completed", (execution, mm.report(s3, run_id, endpoint_name, name, "constraint_violations.json"))
    assert execution["MonitoringType"] == "ModelQuality", execution
    statistics = mm.report(s3, run_id, endpoint_name, name, "statistics.json")
    assert statistics["dataset"]["item_count"] == ROWS, statistics
    metrics = statistics["binary_classification_metrics"]
    for metric, value in expected.items():
        assert abs(metrics[metric]["value"] - value) < 1e-9, (metric, metrics[metric], value)
    assert mm.report(s3, run_id, endpoint_name, name, "constraint_violations.json")["violations"] == []

    execution = mm.finished_execution(sm, flipped, timeout=60)
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution
    violations = mm.report(s3, run_id, endpoint_name, flipped, "constraint_violations.json")["violations"]
    assert "accuracy" in {v["metric_name"] for v in violations}, violations
    assert abs(mm.report(s3, run_id, endpoint_name, flipped, "statistics.json")["binary_classification_metrics"]["accuracy"]["value"]
               - (1 - expected["accuracy"])) < 1e-9

    typed = sm.list_monitoring_schedules(EndpointName=endpoint_name, MonitoringTypeEquals="ModelQuality", SortBy="Name", SortOrder="Ascending")
    assert [s["MonitoringScheduleName"] for s in typed["MonitoringScheduleSummaries"]] == [name, flipped], typed
    assert all(s["MonitoringType"] == "ModelQuality" for s in typed["MonitoringScheduleSummaries"]), typed
    assert sm.list_monitoring_schedules(EndpointName=endpoint_name, MonitoringTypeEquals="DataQuality")["MonitoringScheduleSummaries"] == []
    assert len(sm.list_monitoring_executions(EndpointName=endpoint_name, MonitoringTypeEquals="ModelQuality")["MonitoringExecutionSummaries"]) == 2
    assert sm.list_monitoring_executions(EndpointName=endpoint_name, MonitoringTypeEquals="DataQuality")["MonitoringExecutionSummaries"] == []
    assert sm.describe_monitoring_schedule(MonitoringScheduleName=name)["MonitoringType"] == "ModelQuality"

    hosting.expect_error(lambda: sm.delete_model_quality_job_definition(JobDefinitionName=name), "ResourceInUse", 400, name)
    sm.delete_monitoring_schedule(MonitoringScheduleName=name)
    sm.delete_model_quality_job_definition(JobDefinitionName=name)
    hosting.expect_error(lambda: sm.describe_model_quality_job_definition(JobDefinitionName=name), "ResourceNotFound", 400)


def test_bad_input_is_refused_or_fails_with_a_clear_reason(endpoint):
    sm, s3, run_id, prefix, endpoint_name, labels = deployed(endpoint, 5)
    records = captured(s3, run_id)
    good = put_ground_truth(s3, run_id, "groundtruth", [truth_line(event, labels[line]) for event, line, _ in records])

    hosting.expect_error(lambda: definition(sm, f"bad-problem-{run_id}", endpoint_name, prefix, good, problem_type="Ranking"), "ValidationException", 400, "problemType")
    hosting.expect_error(lambda: sm.describe_model_quality_job_definition(JobDefinitionName=f"bad-problem-{run_id}"), "ResourceNotFound", 400)

    # A data quality definition named in a ModelQuality schedule, and the other way round, is refused.
    dq = f"dq-{run_id}"
    mm.job_definition(sm, dq, endpoint_name, prefix, baseline=False)
    hosting.expect_error(lambda: schedule_now(sm, f"wrong-type-{run_id}", dq), "ValidationException", 400, "DataQuality")
    hosting.expect_error(lambda: sm.describe_model_quality_job_definition(JobDefinitionName=dq), "ResourceNotFound", 400)
    mq = f"mq-{run_id}"
    definition(sm, mq, endpoint_name, prefix, good)
    hosting.expect_error(lambda: schedule_now(sm, f"wrong-type-{run_id}", mq, "DataQuality"), "ValidationException", 400, "ModelQuality")
    hosting.expect_error(lambda: sm.describe_monitoring_schedule(MonitoringScheduleName=f"wrong-type-{run_id}"), "ResourceNotFound", 400)

    # Ground truth whose second line has no eventId: the execution fails and names the file and the line.
    lines = [truth_line(records[0][0], "1"), json.dumps({"groundTruthData": {"data": "0", "encoding": "CSV"}, "eventVersion": "0"})]
    noid = f"noid-{run_id}"
    definition(sm, noid, endpoint_name, prefix, put_ground_truth(s3, run_id, "groundtruth-noid", lines))
    schedule_now(sm, noid, noid)
    execution = mm.finished_execution(sm, noid, timeout=60)
    assert execution["MonitoringExecutionStatus"] == "Failed", execution
    assert "line 2" in execution["FailureReason"] and "labels.jsonl" in execution["FailureReason"] and "eventId" in execution["FailureReason"], execution

    # Ground truth for inferences the endpoint never saw.
    strangers = f"strangers-{run_id}"
    definition(sm, strangers, endpoint_name, prefix, put_ground_truth(s3, run_id, "groundtruth-strangers", [truth_line(str(uuid.uuid4()), "1")]))
    schedule_now(sm, strangers, strangers)
    execution = mm.finished_execution(sm, strangers, timeout=60)
    assert execution["MonitoringExecutionStatus"] == "Failed" and "matches a captured inference" in execution["FailureReason"], execution

    # No ground truth uploaded in the window at all.
    empty = f"empty-{run_id}"
    definition(sm, empty, endpoint_name, prefix, f"{prefix}/groundtruth-none")
    schedule_now(sm, empty, empty)
    execution = mm.finished_execution(sm, empty, timeout=60)
    assert execution["MonitoringExecutionStatus"] == "Failed" and "No ground truth" in execution["FailureReason"], execution


def batch_report(s3, run_id, schedule, name):
    """A report of a batch transform monitor's execution: no endpoint name in its path."""
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{run_id}/reports/{schedule}/").get("Contents", [])]
    matching = [key for key in keys if key.endswith("/" + name)]
    assert len(matching) == 1, keys
    return json.loads(s3.get_object(Bucket=BUCKET, Key=matching[0])["Body"].read())


def batch_definition(sm, name, prefix, capture, ground_truth):
    return sm.create_model_quality_job_definition(
        JobDefinitionName=name, RoleArn=ROLE, JobResources=mm.RESOURCES,
        ModelQualityAppSpecification={"ImageUri": ANALYZER, "ProblemType": "BinaryClassification"},
        ModelQualityJobInput={"BatchTransformInput": {"DataCapturedDestinationS3Uri": capture, "DatasetFormat": {"Csv": {"Header": False}},
                                                      "LocalPath": "/opt/ml/processing/input/batch",
                                                      "ProbabilityAttribute": "0", "ProbabilityThresholdAttribute": 0.5},
                              "GroundTruthS3Input": {"S3Uri": ground_truth}},
        ModelQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {"S3Uri": f"{prefix}/reports", "LocalPath": "/opt/ml/processing/output"}}]},
        StoppingCondition={"MaxRuntimeInSeconds": 600})


def test_a_batch_transform_capture_with_inference_ids_is_merged_with_ground_truth(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    model = hosting.create_model(sm, hosting.trained_churn_model(sm, s3))
    header, _, validation = hosting.churn_split()
    target = header.index("churn")
    chosen = validation[:ROWS]
    features = hosting.feature_rows(chosen, header)
    labels = {hosting.csv_line(f): "1" if row[target] in ("1", "yes", "True") else "0" for f, row in zip(features, chosen)}
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/bt-in/rows.csv", Body=hosting.to_csv(features))
    transform = f"bt-{run_id}"
    capture = f"{prefix}/bt-capture"
    sm.create_transform_job(
        TransformJobName=transform, ModelName=model, BatchStrategy="MultiRecord",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{prefix}/bt-in/"}}, "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"{prefix}/bt-out", "Accept": "text/csv", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        DataCaptureConfig={"DestinationS3Uri": capture, "GenerateInferenceId": True})
    sm.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName=transform, WaiterConfig={"Delay": 1, "MaxAttempts": 180})
    described = sm.describe_transform_job(TransformJobName=transform)
    assert described["TransformJobStatus"] == "Completed", described
    assert described["DataCaptureConfig"] == {"DestinationS3Uri": capture, "GenerateInferenceId": True}, described

    # The captured output: one capture record per input line, carrying its inference id.
    records = []
    for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{run_id}/bt-capture/output/")["Contents"]:
        for line in s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read().decode().splitlines():
            record = json.loads(line)
            data = record["captureData"]
            records.append((record["eventMetadata"]["inferenceId"], text(data["endpointInput"]).strip(), float(text(data["endpointOutput"]).strip())))
    assert len(records) == ROWS and len({r[0] for r in records}) == ROWS, records[:3]
    assert {line for _, line, _ in records} == set(labels), records[:3]
    expected = binary_metrics([(int(labels[line]), score) for _, line, score in records])

    name = f"mq-bt-{run_id}"
    good = put_ground_truth(s3, run_id, "groundtruth", [truth_line(inference, labels[line]) for inference, line, _ in records])
    batch_definition(sm, name, prefix, capture, good)
    job_input = sm.describe_model_quality_job_definition(JobDefinitionName=name)["ModelQualityJobInput"]
    assert "EndpointInput" not in job_input, job_input
    assert job_input["BatchTransformInput"]["ProbabilityAttribute"] == "0", job_input
    assert job_input["BatchTransformInput"]["ProbabilityThresholdAttribute"] == 0.5, job_input
    assert job_input["BatchTransformInput"]["DataCapturedDestinationS3Uri"] == capture, job_input
    schedule_now(sm, name, name)
    execution = mm.finished_execution(sm, name, timeout=120)
    assert execution["MonitoringExecutionStatus"] == "Completed", execution
    statistics = batch_report(s3, run_id, name, "statistics.json")
    assert statistics["dataset"]["item_count"] == ROWS, statistics
    metrics = statistics["binary_classification_metrics"]
    for metric, value in expected.items():
        assert abs(metrics[metric]["value"] - value) < 1e-9, (metric, metrics[metric], value)

    # Ground truth whose ids name no captured record: the execution fails and says so.
    strangers = f"mq-bt-strangers-{run_id}"
    batch_definition(sm, strangers, prefix, capture, put_ground_truth(s3, run_id, "groundtruth-strangers", [truth_line(str(uuid.uuid4()), "1")]))
    schedule_now(sm, strangers, strangers)
    execution = mm.finished_execution(sm, strangers, timeout=120)
    assert execution["MonitoringExecutionStatus"] == "Failed" and "matches a captured inference" in execution["FailureReason"], execution


if __name__ == "__main__":
    main({name: value for name, value in globals().items() if name.startswith("test_")})
