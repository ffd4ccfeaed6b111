"""The SageMaker Python SDK's monitor classes, called the way users call them, against a running Kiln:
DefaultModelMonitor, ModelQualityMonitor, ModelBiasMonitor, ModelExplainabilityMonitor and SageMakerClarifyProcessor.
Endpoints, their traffic and the ground truth are set up with the boto3 helpers of tests/clients/boto3; everything
the monitors do (baselining jobs, job definitions, schedules, executions, reading reports back) goes through the SDK.

Usage: python3 monitors.py <kiln_url> [section ...]   (sections: data_quality inline model_quality bias explainability clarify region)
Needs the SDK on PYTHONPATH (tools/sagemaker-sdk/setup.sh writes it to OUT_DIR/pythonpath; see docs/sagemaker-sdk.md). Prints "PASS <class>.<call>" per checked call and "RESULT ok" at the end.
"""
import json
import os
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "boto3"))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

import sagemaker  # noqa: E402
from sagemaker import clarify  # noqa: E402
from sagemaker.model_monitor import (  # noqa: E402
    BiasAnalysisConfig, CronExpressionGenerator, DatasetFormat, DefaultModelMonitor, EndpointInput,
    ModelBiasMonitor, ModelExplainabilityMonitor, ModelMonitor, ModelQualityMonitor, MonitoringOutput)

import kiln_boto  # noqa: E402
import sagemaker_hosting as hosting  # noqa: E402
import sagemaker_model_monitor as mm  # noqa: E402
import sagemaker_model_quality as mq  # noqa: E402

BUCKET = "kiln-sdk"
ROLE = "arn:aws:iam::000000000000:role/kiln"
REGION = "us-east-1"
INSTANCE = "ml.m5.xlarge"
FACET = "international_plan"
ROWS = 60
SHIFTED = "account_length"
NOW = dict(schedule_cron_expression=CronExpressionGenerator.now(), data_analysis_start_time="-PT1H", data_analysis_end_time="-PT0H")


def passed(call):
    print(f"PASS {call}", flush=True)


def sdk_session(url, region=REGION):
    """A sagemaker.Session whose SageMaker, runtime and S3 calls all go to Kiln."""
    boto_session = kiln_boto.session()
    if region != REGION:
        boto_session = boto3.session.Session(aws_access_key_id=boto_session.get_credentials().access_key,
                                             aws_secret_access_key=boto_session.get_credentials().secret_key, region_name=region)
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"})
    session = sagemaker.Session(
        boto_session=boto_session,
        sagemaker_client=boto_session.client("sagemaker", endpoint_url=url, config=config),
        sagemaker_runtime_client=boto_session.client("sagemaker-runtime", endpoint_url=url, config=config),
        default_bucket=BUCKET)
    # The SDK makes its own S3 client and resource from the boto session (without an endpoint): point both at Kiln.
    session.s3_client = boto_session.client("s3", endpoint_url=url, config=config)
    session.s3_resource = boto_session.resource("s3", endpoint_url=url, config=config)
    assert session.boto_region_name == region
    return session


def ensure_bucket(s3):
    hosting.ensure_bucket(s3, BUCKET)


def wait_for_execution(monitor, timeout=300):
    """Polls the schedule (as a user of the SDK does) until its last execution has finished; returns that summary."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        last = monitor.describe_schedule().get("LastMonitoringExecutionSummary")
        if last and last["MonitoringExecutionStatus"] not in ("Pending", "InProgress", "Stopping"):
            return last
        time.sleep(2)
    raise AssertionError(f"no finished execution of {monitor.monitoring_schedule_name}: {monitor.describe_schedule()}")


def expect_gone(call):
    try:
        call()
    except Exception as e:  # noqa: BLE001 - botocore raises ClientError subclasses per code
        assert "ResourceNotFound" in str(e) or "ValidationException" in str(e), e
        return
    raise AssertionError("expected the resource to be gone")


def captured_endpoint(url, run_id):
    sm, s3 = kiln_boto.client("sagemaker", url), kiln_boto.client("s3", url)
    hosting.ensure_bucket(s3, mm.BUCKET)
    return mm.churn_endpoint(sm, s3, mm.capture_config(f"s3://{mm.BUCKET}/{run_id}"))


def test_data_quality(url):
    session = sdk_session(url)
    sm, runtime, s3 = kiln_boto.clients(url)
    ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    endpoint_name = captured_endpoint(url, run_id)
    header, train, validation = hosting.churn_split()
    features = [h for h in header if h != "churn"]
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/train/features.csv", Body=hosting.to_csv(hosting.feature_rows(train, header)))

    monitor = DefaultModelMonitor(role=ROLE, instance_count=1, instance_type=INSTANCE, volume_size_in_gb=20,
                                  max_runtime_in_seconds=1800, sagemaker_session=session)
    assert monitor.image_uri.endswith("/sagemaker-model-monitor-analyzer"), monitor.image_uri
    monitor.suggest_baseline(baseline_dataset=f"{prefix}/train/features.csv", dataset_format=DatasetFormat.csv(header=False),
                             output_s3_uri=f"{prefix}/baseline", job_name=f"dq-baseline-{run_id}", wait=True, logs=False)
    job = monitor.describe_latest_baselining_job()
    assert job["ProcessingJobStatus"] == "Completed", job
    statistics = monitor.baseline_statistics()
    assert statistics.body_dict["dataset"]["item_count"] == len(train), statistics.body_dict["dataset"]
    constraints = monitor.suggested_constraints()
    assert [f["name"] for f in constraints.body_dict["features"]] == [f"_c{i}" for i in range(len(features))], constraints.body_dict
    passed("DefaultModelMonitor.suggest_baseline / baseline_statistics / suggested_constraints")

    # An hourly schedule: created with the baseline the monitor just suggested, described, stopped, started, deleted.
    hourly = f"dq-hourly-{run_id}"
    monitor.create_monitoring_schedule(monitor_schedule_name=hourly, endpoint_input=endpoint_name, output_s3_uri=f"{prefix}/reports",
                                       statistics=statistics, constraints=constraints,
                                       schedule_cron_expression=CronExpressionGenerator.hourly())
    described = monitor.describe_schedule()
    assert described["MonitoringScheduleStatus"] == "Scheduled", described
    assert described["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == "cron(0 * ? * * *)", described
    assert described["EndpointName"] == endpoint_name, described
    definition = sm.describe_data_quality_job_definition(JobDefinitionName=monitor.job_definition_name)
    assert definition["DataQualityBaselineConfig"]["ConstraintsResource"]["S3Uri"] == constraints.file_s3_uri, definition
    assert definition["DataQualityJobInput"]["EndpointInput"]["EndpointName"] == endpoint_name, definition
    monitor.stop_monitoring_schedule()
    assert monitor.describe_schedule()["MonitoringScheduleStatus"] == "Stopped"
    monitor.start_monitoring_schedule()
    assert monitor.describe_schedule()["MonitoringScheduleStatus"] == "Scheduled"
    job_definition = monitor.job_definition_name
    monitor.delete_monitoring_schedule()
    expect_gone(lambda: sm.describe_monitoring_schedule(MonitoringScheduleName=hourly))
    expect_gone(lambda: sm.describe_data_quality_job_definition(JobDefinitionName=job_definition))
    passed("DefaultModelMonitor.create_monitoring_schedule(hourly) / describe_schedule / stop / start / delete_monitoring_schedule")

    # On-demand (NOW) over the last hour of captured traffic: the validation rows are like the baseline, no violations.
    normal = hosting.feature_rows(validation, header)
    invoke_captured(url, run_id, endpoint_name, normal, len(normal))
    monitor.create_monitoring_schedule(monitor_schedule_name=f"dq-normal-{run_id}", endpoint_input=endpoint_name,
                                       output_s3_uri=f"{prefix}/reports", statistics=statistics, constraints=constraints, **NOW)
    last = wait_for_execution(monitor)
    assert last["MonitoringExecutionStatus"] == "Completed", last
    executions = monitor.list_executions()
    assert len(executions) == 1, executions
    assert executions[0].describe()["ProcessingJobStatus"] == "Completed"
    assert monitor.latest_monitoring_constraint_violations().body_dict["violations"] == []
    assert monitor.latest_monitoring_statistics().body_dict["dataset"]["item_count"] == len(normal)
    monitor.delete_monitoring_schedule()
    passed("DefaultModelMonitor.create_monitoring_schedule(NOW, -PT1H..-PT0H) / list_executions / latest_monitoring_statistics / "
           "latest_monitoring_constraint_violations (none on baseline-like data)")

    # One feature shifted far from the baseline: the next on-demand execution finds the drift, on that feature only.
    column = features.index(SHIFTED)
    shifted = [row[:column] + [str(float(row[column]) * 5 + 300)] + row[column + 1:] for row in normal]
    invoke_captured(url, run_id, endpoint_name, shifted, 2 * len(normal))
    monitor.create_monitoring_schedule(monitor_schedule_name=f"dq-shifted-{run_id}", endpoint_input=endpoint_name,
                                       output_s3_uri=f"{prefix}/reports", statistics=statistics, constraints=constraints, **NOW)
    last = wait_for_execution(monitor)
    assert last["MonitoringExecutionStatus"] == "CompletedWithViolations", last
    violations = monitor.latest_monitoring_constraint_violations().body_dict["violations"]
    drifted = {v["feature_name"] for v in violations if v["constraint_check_type"] == "baseline_drift_check"}
    assert drifted == {f"_c{column}"}, violations
    monitor.delete_monitoring_schedule()
    passed("DefaultModelMonitor violations found on drifted data (baseline_drift_check on the shifted feature only)")

    # attach: a monitor object rebuilt from a schedule's name reads the same executions.
    monitor.create_monitoring_schedule(monitor_schedule_name=f"dq-attach-{run_id}", endpoint_input=endpoint_name,
                                       output_s3_uri=f"{prefix}/reports", statistics=statistics, constraints=constraints, **NOW)
    wait_for_execution(monitor)
    attached = DefaultModelMonitor.attach(f"dq-attach-{run_id}", sagemaker_session=session)
    assert attached.job_definition_name == monitor.job_definition_name, (attached.job_definition_name, monitor.job_definition_name)
    assert len(attached.list_executions()) == 1
    attached.delete_monitoring_schedule()
    expect_gone(lambda: sm.describe_monitoring_schedule(MonitoringScheduleName=f"dq-attach-{run_id}"))
    passed("DefaultModelMonitor.attach / list_executions / delete_monitoring_schedule")


def test_inline(url):
    """The generic ModelMonitor with Model Monitor's analyzer image sends its job definition inline in the schedule
    (MonitoringScheduleConfig.MonitoringJobDefinition); DefaultModelMonitor.attach and update_monitoring_schedule read
    and rewrite such a schedule through DescribeMonitoringSchedule's MonitoringJobDefinition."""
    session = sdk_session(url)
    sm, _, s3 = kiln_boto.clients(url)
    ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    endpoint_name = captured_endpoint(url, run_id)
    header, train, validation = hosting.churn_split()
    features = [h for h in header if h != "churn"]
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/train/features.csv", Body=hosting.to_csv(hosting.feature_rows(train, header)))
    baseliner = DefaultModelMonitor(role=ROLE, instance_count=1, instance_type=INSTANCE, sagemaker_session=session)
    baseliner.suggest_baseline(baseline_dataset=f"{prefix}/train/features.csv", dataset_format=DatasetFormat.csv(header=False),
                               output_s3_uri=f"{prefix}/baseline", job_name=f"inline-baseline-{run_id}", wait=True, logs=False)
    column = features.index(SHIFTED)
    shifted = [row[:column] + [str(float(row[column]) * 5 + 300)] + row[column + 1:] for row in hosting.feature_rows(validation, header)]
    invoke_captured(url, run_id, endpoint_name, shifted, len(shifted))

    monitor = ModelMonitor(role=ROLE, image_uri=baseliner.image_uri, instance_count=1, instance_type=INSTANCE, volume_size_in_gb=20,
                           max_runtime_in_seconds=1800, env={"publish_cloudwatch_metrics": "Disabled"}, sagemaker_session=session)
    name = f"inline-{run_id}"
    monitor.create_monitoring_schedule(
        monitor_schedule_name=name, endpoint_input=endpoint_name,
        output=MonitoringOutput(source="/opt/ml/processing/output", destination=f"{prefix}/inline-reports"),
        statistics=baseliner.baseline_statistics(), constraints=baseliner.suggested_constraints(), **NOW)
    described = monitor.describe_schedule()
    config = described["MonitoringScheduleConfig"]
    assert "MonitoringJobDefinitionName" not in config and config["MonitoringType"] == "DataQuality", config
    inline = config["MonitoringJobDefinition"]
    assert inline["MonitoringAppSpecification"]["ImageUri"] == baseliner.image_uri, inline
    assert inline["BaselineConfig"]["ConstraintsResource"]["S3Uri"] == baseliner.suggested_constraints().file_s3_uri, inline
    assert inline["MonitoringInputs"][0]["EndpointInput"]["EndpointName"] == endpoint_name, inline
    assert described["EndpointName"] == endpoint_name, described
    last = wait_for_execution(monitor)
    assert last["MonitoringExecutionStatus"] == "CompletedWithViolations", last
    assert "MonitoringJobDefinitionName" not in last, last
    violations = monitor.latest_monitoring_constraint_violations().body_dict["violations"]
    assert {v["feature_name"] for v in violations if v["constraint_check_type"] == "baseline_drift_check"} == {f"_c{column}"}, violations
    assert monitor.latest_monitoring_statistics().body_dict["dataset"]["item_count"] == len(shifted)
    passed("ModelMonitor(analyzer image).create_monitoring_schedule(NOW, inline MonitoringJobDefinition) / describe_schedule / "
           "latest_monitoring_constraint_violations (drift on the shifted feature only)")

    attached = DefaultModelMonitor.attach(name, sagemaker_session=session)
    assert attached.job_definition_name is None, attached.job_definition_name
    assert attached.env == {"publish_cloudwatch_metrics": "Disabled"} and attached.volume_size_in_gb == 20, (attached.env, attached.volume_size_in_gb)
    assert len(attached.list_executions()) == 1
    # SDK 2.230.0's Session.update_monitoring_schedule copies an inline schedule's existing ConstraintsResource into
    # StatisticsResource when the baseline files are not passed again, so they are passed here.
    attached.update_monitoring_schedule(schedule_cron_expression=CronExpressionGenerator.daily(), max_runtime_in_seconds=900,
                                        statistics=baseliner.baseline_statistics(), constraints=baseliner.suggested_constraints())
    updated = attached.describe_schedule()["MonitoringScheduleConfig"]
    assert updated["ScheduleConfig"]["ScheduleExpression"] == "cron(0 0 ? * * *)", updated
    assert updated["MonitoringJobDefinition"]["StoppingCondition"]["MaxRuntimeInSeconds"] == 900, updated
    assert updated["MonitoringJobDefinition"]["BaselineConfig"] == inline["BaselineConfig"], updated
    attached.delete_monitoring_schedule()
    expect_gone(lambda: sm.describe_monitoring_schedule(MonitoringScheduleName=name))
    passed("DefaultModelMonitor.attach / update_monitoring_schedule(daily) / delete_monitoring_schedule on an inline schedule")


def invoke_captured(url, run_id, endpoint_name, rows, expected_total):
    s3, runtime = kiln_boto.client("s3", url), kiln_boto.client("sagemaker-runtime", url)
    mm.invoke_all(s3, runtime, run_id, endpoint_name, rows, expected_total)


def labelled_traffic(url, run_id, endpoint_name):
    """Invokes the endpoint with the first ROWS validation rows, uploads their labels as ground truth keyed by the
    captured eventIds, and returns (header, rows, ground truth uri, {request line: score})."""
    s3 = kiln_boto.client("s3", url)
    header, _, validation = hosting.churn_split()
    rows = validation[:ROWS]
    features = hosting.feature_rows(rows, header)
    invoke_captured(url, run_id, endpoint_name, features, len(features))
    target = header.index("churn")
    labels = {hosting.csv_line(f): "1" if row[target] == "yes" else "0" for f, row in zip(features, rows)}
    records = mq.captured(s3, run_id)
    ground_truth = mq.put_ground_truth(s3, run_id, "ground-truth", [mq.truth_line(event, labels[line]) for event, line, _ in records])
    return header, rows, ground_truth, {line: score for _, line, score in records}


def labelled_csv(header, rows):
    """The churn rows with the label as 1/0 (what the model predicts), label first: Clarify's dataset."""
    target = header.index("churn")
    body = [["churn"] + [h for h in header if h != "churn"]]
    body += [["1" if row[target] == "yes" else "0"] + [c for i, c in enumerate(row) if i != target] for row in rows]
    return body


def test_model_quality(url):
    session = sdk_session(url)
    sm, _, s3 = kiln_boto.clients(url)
    ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    endpoint_name = captured_endpoint(url, run_id)
    _, _, ground_truth, scores = labelled_traffic(url, run_id, endpoint_name)

    # The baseline: the endpoint's scores for that traffic and their labels, as a CSV with a header.
    header, _, validation = hosting.churn_split()
    target = header.index("churn")
    labels = {hosting.csv_line(f): "1" if row[target] == "yes" else "0" for f, row in zip(hosting.feature_rows(validation, header), validation)}
    predictions = [["probability", "prediction", "label"]] + [[str(score), "1" if score > 0.5 else "0", labels[line]] for line, score in scores.items()]
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/mq-baseline/predictions.csv", Body=hosting.to_csv(predictions))

    monitor = ModelQualityMonitor(role=ROLE, instance_count=1, instance_type=INSTANCE, volume_size_in_gb=20,
                                  max_runtime_in_seconds=1800, sagemaker_session=session)
    monitor.suggest_baseline(baseline_dataset=f"{prefix}/mq-baseline/predictions.csv", dataset_format=DatasetFormat.csv(header=True),
                             problem_type="BinaryClassification", inference_attribute="prediction", probability_attribute="probability",
                             ground_truth_attribute="label", output_s3_uri=f"{prefix}/mq-baseline/output", job_name=f"mq-baseline-{run_id}",
                             wait=True, logs=False)
    assert monitor.describe_latest_baselining_job()["ProcessingJobStatus"] == "Completed"
    metrics = monitor.baseline_statistics().body_dict["binary_classification_metrics"]
    assert 0.5 < metrics["accuracy"]["value"] <= 1, metrics
    constraints = monitor.suggested_constraints()
    assert "accuracy" in constraints.body_dict["binary_classification_constraints"], constraints.body_dict
    passed("ModelQualityMonitor.suggest_baseline / baseline_statistics / suggested_constraints")

    monitor.create_monitoring_schedule(
        monitor_schedule_name=f"mq-{run_id}", output_s3_uri=f"{prefix}/mq-reports", problem_type="BinaryClassification",
        endpoint_input=EndpointInput(endpoint_name=endpoint_name, destination="/opt/ml/processing/input_data",
                                     probability_attribute="0", probability_threshold_attribute=0.5),
        ground_truth_input=ground_truth, constraints=constraints, **NOW)
    definition = sm.describe_model_quality_job_definition(JobDefinitionName=monitor.job_definition_name)
    assert definition["ModelQualityJobInput"]["GroundTruthS3Input"]["S3Uri"] == ground_truth, definition
    assert definition["ModelQualityAppSpecification"]["ProblemType"] == "BinaryClassification", definition
    last = wait_for_execution(monitor)
    # The same traffic as the baseline: every metric is as good as the baseline's, so nothing is violated.
    assert last["MonitoringExecutionStatus"] == "Completed", last
    executions = monitor.list_executions()
    assert len(executions) == 1, executions
    statistics = monitor.latest_monitoring_statistics().body_dict
    assert abs(statistics["binary_classification_metrics"]["accuracy"]["value"] - metrics["accuracy"]["value"]) < 1e-9, statistics
    assert monitor.latest_monitoring_constraint_violations().body_dict["violations"] == []
    job_definition = monitor.job_definition_name
    monitor.delete_monitoring_schedule()
    expect_gone(lambda: sm.describe_model_quality_job_definition(JobDefinitionName=job_definition))
    passed("ModelQualityMonitor.create_monitoring_schedule(NOW) / list_executions / latest_monitoring_statistics / "
           "latest_monitoring_constraint_violations / delete_monitoring_schedule")


def bias_setup(url, run_id):
    sm, _, s3 = kiln_boto.clients(url)
    ensure_bucket(s3)
    endpoint_name = captured_endpoint(url, run_id)
    model_name = sm.describe_endpoint_config(EndpointConfigName=sm.describe_endpoint(EndpointName=endpoint_name)["EndpointConfigName"])["ProductionVariants"][0]["ModelName"]
    header, rows, ground_truth, scores = labelled_traffic(url, run_id, endpoint_name)
    dataset = labelled_csv(header, rows)
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/clarify/dataset.csv", Body=hosting.to_csv(dataset))
    return endpoint_name, model_name, dataset, ground_truth, scores


def clarify_configs(run_id, dataset, output):
    data = clarify.DataConfig(s3_data_input_path=f"s3://{BUCKET}/{run_id}/clarify/dataset.csv", s3_output_path=output,
                              label="churn", headers=dataset[0], dataset_type="text/csv")
    bias = clarify.BiasConfig(label_values_or_threshold=[1], facet_name=FACET, facet_values_or_threshold=["yes"])
    return data, bias


def model_config(model_name):
    return clarify.ModelConfig(model_name=model_name, instance_type=INSTANCE, instance_count=1, accept_type="text/csv", content_type="text/csv")


def test_bias(url):
    session = sdk_session(url)
    sm, _, s3 = kiln_boto.clients(url)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    endpoint_name, model_name, dataset, ground_truth, _ = bias_setup(url, run_id)
    data, bias = clarify_configs(run_id, dataset, f"{prefix}/bias-baseline")

    monitor = ModelBiasMonitor(role=ROLE, instance_count=1, instance_type=INSTANCE, volume_size_in_gb=20,
                               max_runtime_in_seconds=1800, sagemaker_session=session)
    monitor.suggest_baseline(data_config=data, bias_config=bias, model_config=model_config(model_name),
                             model_predicted_label_config=clarify.ModelPredictedLabelConfig(probability_threshold=0.5),
                             job_name=f"bias-baseline-{run_id}", wait=True, logs=False)
    assert monitor.describe_latest_baselining_job()["ProcessingJobStatus"] == "Completed"
    baseline = monitor.latest_baselining_job.suggested_constraints().body_dict
    facet_metrics = baseline["post_training_bias_metrics"]["facets"][FACET][0]["metrics"]
    assert "DPPL" in {m["name"] for m in facet_metrics}, baseline
    passed("ModelBiasMonitor.suggest_baseline (post-training bias baseline with DPPL)")

    monitor.create_monitoring_schedule(
        monitor_schedule_name=f"bias-{run_id}", output_s3_uri=f"{prefix}/bias-reports",
        endpoint_input=EndpointInput(endpoint_name=endpoint_name, destination="/opt/ml/processing/input/endpoint",
                                     probability_attribute="0", probability_threshold_attribute=0.5),
        ground_truth_input=ground_truth, **NOW)
    described = monitor.describe_schedule()
    assert described["MonitoringType"] == "ModelBias", described
    definition = sm.describe_model_bias_job_definition(JobDefinitionName=monitor.job_definition_name)
    assert definition["ModelBiasJobInput"]["GroundTruthS3Input"]["S3Uri"] == ground_truth, definition
    last = wait_for_execution(monitor)
    assert last["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations"), last
    executions = monitor.list_executions()
    assert len(executions) == 1, executions
    analysis = json.loads(sagemaker.s3.S3Downloader.read_file(executions[0].output.destination + "/analysis.json", sagemaker_session=session))
    metrics = {m["name"] for m in analysis["post_training_bias_metrics"]["facets"][FACET][0]["metrics"]}
    assert "DPPL" in metrics, analysis
    # The schedule's traffic is the baseline's dataset, so its DPPL is the baseline's: no violation.
    assert monitor.latest_monitoring_constraint_violations().body_dict["violations"] == []
    job_definition = monitor.job_definition_name
    monitor.delete_monitoring_schedule()
    expect_gone(lambda: sm.describe_model_bias_job_definition(JobDefinitionName=job_definition))
    passed("ModelBiasMonitor.create_monitoring_schedule(NOW) / list_executions / analysis.json bias metrics / "
           "latest_monitoring_constraint_violations / delete_monitoring_schedule")

    # A hand-written BiasAnalysisConfig, scheduled hourly: the SDK uploads it and the definition points at it.
    hourly = ModelBiasMonitor(role=ROLE, instance_count=1, instance_type=INSTANCE, sagemaker_session=session)
    hourly.create_monitoring_schedule(
        monitor_schedule_name=f"bias-hourly-{run_id}", output_s3_uri=f"{prefix}/bias-reports",
        analysis_config=BiasAnalysisConfig(bias, headers=dataset[0], label="churn"),
        endpoint_input=EndpointInput(endpoint_name=endpoint_name, destination="/opt/ml/processing/input/endpoint",
                                     probability_attribute="0", probability_threshold_attribute=0.5),
        ground_truth_input=ground_truth, schedule_cron_expression=CronExpressionGenerator.hourly())
    assert hourly.describe_schedule()["MonitoringScheduleStatus"] == "Scheduled"
    hourly.delete_monitoring_schedule()
    passed("ModelBiasMonitor.create_monitoring_schedule(hourly, BiasAnalysisConfig) / delete_monitoring_schedule")


def test_explainability(url):
    session = sdk_session(url)
    sm, _, s3 = kiln_boto.clients(url)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    endpoint_name, model_name, dataset, _, _ = bias_setup(url, run_id)
    features = dataset[0][1:]
    data = clarify.DataConfig(s3_data_input_path=f"s3://{BUCKET}/{run_id}/clarify/dataset.csv", s3_output_path=f"{prefix}/shap-baseline",
                              label="churn", headers=dataset[0], dataset_type="text/csv")
    shap = clarify.SHAPConfig(baseline=[dataset[1][1:]], num_samples=30, agg_method="mean_abs", save_local_shap_values=True, seed=1)

    monitor = ModelExplainabilityMonitor(role=ROLE, instance_count=1, instance_type=INSTANCE, volume_size_in_gb=20,
                                         max_runtime_in_seconds=1800, sagemaker_session=session)
    monitor.suggest_baseline(data_config=data, explainability_config=shap, model_config=model_config(model_name),
                             job_name=f"shap-baseline-{run_id}", wait=True, logs=False)
    assert monitor.describe_latest_baselining_job()["ProcessingJobStatus"] == "Completed"
    baseline = monitor.latest_baselining_job.suggested_constraints().body_dict
    assert set(baseline["explanations"]["kernel_shap"]["label0"]["global_shap_values"]) == set(features), baseline
    passed("ModelExplainabilityMonitor.suggest_baseline (SHAP baseline)")

    # SDK 2.230.0's ModelExplainabilityMonitor.create_monitoring_schedule drops data_analysis_start/end_time (fixed
    # upstream in aws/sagemaker-python-sdk#5169), so a NOW schedule cannot be created with it: the schedule is created
    # hourly and then updated to NOW, which that version's update_monitoring_schedule does pass through.
    monitor.create_monitoring_schedule(
        monitor_schedule_name=f"shap-{run_id}", output_s3_uri=f"{prefix}/shap-reports",
        endpoint_input=EndpointInput(endpoint_name=endpoint_name, destination="/opt/ml/processing/input/endpoint"),
        schedule_cron_expression=CronExpressionGenerator.hourly())
    described = monitor.describe_schedule()
    assert described["MonitoringType"] == "ModelExplainability" and described["MonitoringScheduleStatus"] == "Scheduled", described
    assert "LastMonitoringExecutionSummary" not in described, described
    monitor.update_monitoring_schedule(**NOW)
    assert monitor.describe_schedule()["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == "NOW"
    last = wait_for_execution(monitor)
    assert last["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations"), last
    executions = monitor.list_executions()
    assert len(executions) == 1, executions
    analysis = json.loads(sagemaker.s3.S3Downloader.read_file(executions[0].output.destination + "/analysis.json", sagemaker_session=session))
    values = analysis["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    assert set(values) == set(features) and any(v > 0 for v in values.values()), values
    # The baseline (taken from suggest_baseline's job) explained the same rows: the attributions rank alike, no drift.
    assert monitor.latest_monitoring_constraint_violations().body_dict["violations"] == []
    job_definition = monitor.job_definition_name
    monitor.delete_monitoring_schedule()
    expect_gone(lambda: sm.describe_model_explainability_job_definition(JobDefinitionName=job_definition))
    passed("ModelExplainabilityMonitor.create_monitoring_schedule(hourly) / update_monitoring_schedule(NOW) / list_executions / analysis.json SHAP values / "
           "latest_monitoring_constraint_violations (no attribution drift) / delete_monitoring_schedule")


def test_clarify(url):
    session = sdk_session(url)
    s3 = kiln_boto.client("s3", url)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    _, model_name, dataset, _, _ = bias_setup(url, run_id)
    processor = clarify.SageMakerClarifyProcessor(role=ROLE, instance_count=1, instance_type=INSTANCE, sagemaker_session=session)
    assert "sagemaker-clarify-processing" in processor.image_uri, processor.image_uri

    def analysis(output):
        return json.loads(sagemaker.s3.S3Downloader.read_file(f"{output}/analysis.json", sagemaker_session=session))

    data, bias = clarify_configs(run_id, dataset, f"{prefix}/pre")
    processor.run_pre_training_bias(data_config=data, data_bias_config=bias, methods="all", job_name=f"pre-{run_id}", wait=True, logs=False)
    pre = {m["name"]: m["value"] for m in analysis(f"{prefix}/pre")["pre_training_bias_metrics"]["facets"][FACET][0]["metrics"]}
    target = dataset[0].index(FACET)
    facet = [row[target] == "yes" for row in dataset[1:]]
    positive = [row[0] == "1" for row in dataset[1:]]
    # CI: the class imbalance between the facets, (n_a - n_d) / n with d the facet 'yes'.
    n_d = sum(facet)
    assert abs(pre["CI"] - (len(facet) - 2 * n_d) / len(facet)) < 1e-9, pre
    q_a = sum(p for p, f in zip(positive, facet) if not f) / (len(facet) - n_d)
    q_d = sum(p for p, f in zip(positive, facet) if f) / n_d
    assert abs(pre["DPL"] - (q_a - q_d)) < 1e-9, pre
    passed("SageMakerClarifyProcessor.run_pre_training_bias (CI and DPL match the data)")

    data, bias = clarify_configs(run_id, dataset, f"{prefix}/post")
    processor.run_post_training_bias(data_config=data, data_bias_config=bias, model_config=model_config(model_name),
                                     model_predicted_label_config=clarify.ModelPredictedLabelConfig(probability_threshold=0.5),
                                     methods="all", job_name=f"post-{run_id}", wait=True, logs=False)
    post = {m["name"] for m in analysis(f"{prefix}/post")["post_training_bias_metrics"]["facets"][FACET][0]["metrics"]}
    assert {"DPPL", "DI", "AD"} <= post, post
    passed("SageMakerClarifyProcessor.run_post_training_bias (DPPL, DI, AD)")

    data, bias = clarify_configs(run_id, dataset, f"{prefix}/both")
    processor.run_bias(data_config=data, bias_config=bias, model_config=model_config(model_name),
                       model_predicted_label_config=clarify.ModelPredictedLabelConfig(probability_threshold=0.5),
                       pre_training_methods=["CI", "DPL"], post_training_methods=["DPPL", "DI"], job_name=f"both-{run_id}", wait=True, logs=False)
    both = analysis(f"{prefix}/both")
    both_pre = {m["name"]: m["value"] for m in both["pre_training_bias_metrics"]["facets"][FACET][0]["metrics"]}
    assert set(both_pre) == {"CI", "DPL"} and abs(both_pre["CI"] - pre["CI"]) < 1e-9, both_pre
    assert {m["name"] for m in both["post_training_bias_metrics"]["facets"][FACET][0]["metrics"]} == {"DPPL", "DI"}, both
    passed("SageMakerClarifyProcessor.run_bias (pre- and post-training methods in one analysis.json)")

    data = clarify.DataConfig(s3_data_input_path=f"s3://{BUCKET}/{run_id}/clarify/dataset.csv", s3_output_path=f"{prefix}/shap",
                              label="churn", headers=dataset[0], dataset_type="text/csv")
    shap = clarify.SHAPConfig(baseline=[dataset[1][1:]], num_samples=30, agg_method="mean_abs", save_local_shap_values=True, seed=1)
    processor.run_explainability(data_config=data, model_config=model_config(model_name), explainability_config=shap,
                                 job_name=f"shap-{run_id}", wait=True, logs=False)
    explained = analysis(f"{prefix}/shap")["explanations"]["kernel_shap"]["label0"]
    assert set(explained["global_shap_values"]) == set(dataset[0][1:]), explained
    assert any(v > 0 for v in explained["global_shap_values"].values()), explained
    local = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{run_id}/shap/explanations_shap/").get("Contents", [])
    assert [o["Key"] for o in local if o["Key"].endswith("out.csv")], local
    passed("SageMakerClarifyProcessor.run_explainability (SHAPConfig: global and local SHAP values)")


def test_region(url):
    """Outside us-east-1 the SDK names the analyzer and Clarify images in that region's ECR account: Kiln knows them by
    their repository name, so a baseline and a Clarify job run the same."""
    session = sdk_session(url, region="eu-west-1")
    s3 = kiln_boto.client("s3", url)
    ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    header, train, _ = hosting.churn_split()
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/train/features.csv", Body=hosting.to_csv(hosting.feature_rows(train, header)))
    monitor = DefaultModelMonitor(role=ROLE, instance_count=1, instance_type=INSTANCE, sagemaker_session=session)
    assert ".eu-west-1." in monitor.image_uri and monitor.image_uri.endswith("/sagemaker-model-monitor-analyzer"), monitor.image_uri
    monitor.suggest_baseline(baseline_dataset=f"{prefix}/train/features.csv", dataset_format=DatasetFormat.csv(header=False),
                             output_s3_uri=f"{prefix}/baseline", job_name=f"eu-baseline-{run_id}", wait=True, logs=False)
    assert monitor.baseline_statistics().body_dict["dataset"]["item_count"] == len(train)
    passed("DefaultModelMonitor.suggest_baseline in eu-west-1 (that region's analyzer image)")

    target = header.index("churn")
    dataset = [["churn"] + [h for h in header if h != "churn"]]
    dataset += [["1" if row[target] == "yes" else "0"] + [c for i, c in enumerate(row) if i != target] for row in train[:200]]
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/clarify/dataset.csv", Body=hosting.to_csv(dataset))
    processor = clarify.SageMakerClarifyProcessor(role=ROLE, instance_count=1, instance_type=INSTANCE, sagemaker_session=session)
    assert ".eu-west-1." in processor.image_uri, processor.image_uri
    data, bias = clarify_configs(run_id, dataset, f"{prefix}/pre")
    processor.run_pre_training_bias(data_config=data, data_bias_config=bias, methods=["CI"], job_name=f"eu-pre-{run_id}", wait=True, logs=False)
    output = json.loads(sagemaker.s3.S3Downloader.read_file(f"{prefix}/pre/analysis.json", sagemaker_session=session))
    assert [m["name"] for m in output["pre_training_bias_metrics"]["facets"][FACET][0]["metrics"]] == ["CI"], output
    passed("SageMakerClarifyProcessor.run_pre_training_bias in eu-west-1 (that region's Clarify image)")


SECTIONS = {"data_quality": test_data_quality, "inline": test_inline, "model_quality": test_model_quality, "bias": test_bias,
            "explainability": test_explainability, "clarify": test_clarify, "region": test_region}


if __name__ == "__main__":
    import traceback

    url = sys.argv[1]
    chosen = sys.argv[2:] or list(SECTIONS)
    failed = []
    for name in chosen:
        started = time.time()
        try:
            SECTIONS[name](url)
            print(f"SECTION {name} ok ({time.time() - started:.0f}s)", flush=True)
        except Exception:  # noqa: BLE001 - report every section, then fail
            traceback.print_exc()
            print(f"SECTION {name} FAILED ({time.time() - started:.0f}s)", flush=True)
            failed.append(name)
    print("RESULT failed: " + " ".join(failed) if failed else "RESULT ok")
    sys.exit(1 if failed else 0)
