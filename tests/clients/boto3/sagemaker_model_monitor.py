"""Model Monitor's data quality schedules through boto3: a job definition on an endpoint that captures its traffic,
a schedule that runs the analyzer over the captured window, executions that say Completed or CompletedWithViolations.
Usage: python3 sagemaker_model_monitor.py <endpoint_url> <test_name>
"""
import json
import time
import uuid

from kiln_boto import client, main
import sagemaker_hosting as hosting
import sagemaker_monitoring as monitoring

BUCKET = monitoring.BUCKET
ROLE = monitoring.ROLE
ANALYZER = monitoring.ANALYZER
RESOURCES = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}
SHIFTED = "account_length"


def capture_config(prefix):
    return {"EnableCapture": True, "InitialSamplingPercentage": 100, "DestinationS3Uri": f"{prefix}/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}}


def churn_endpoint(sm, s3, capture=None):
    job = hosting.trained_churn_model(sm, s3)
    return hosting.deploy(sm, [hosting.variant("AllTraffic", hosting.create_model(sm, job))], capture=capture)


def job_definition(sm, name, endpoint_name, prefix, baseline=True):
    request = dict(
        JobDefinitionName=name, RoleArn=ROLE, JobResources=RESOURCES,
        DataQualityAppSpecification={"ImageUri": ANALYZER},
        DataQualityJobInput={"EndpointInput": {"EndpointName": endpoint_name, "LocalPath": "/opt/ml/processing/input/endpoint"}},
        DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {"S3Uri": f"{prefix}/reports", "LocalPath": "/opt/ml/processing/output"}}]},
        StoppingCondition={"MaxRuntimeInSeconds": 1800},
        Tags=[{"Key": "team", "Value": "kiln"}])
    if baseline:
        request["DataQualityBaselineConfig"] = {"ConstraintsResource": {"S3Uri": f"{prefix}/baseline/constraints.json"},
                                                "StatisticsResource": {"S3Uri": f"{prefix}/baseline/statistics.json"}}
    return sm.create_data_quality_job_definition(**request)


def schedule_now(sm, name, definition):
    return sm.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H", "DataAnalysisEndTime": "-PT0H"},
        "MonitoringJobDefinitionName": definition, "MonitoringType": "DataQuality"}, Tags=[{"Key": "owner", "Value": name}])


def finished_execution(sm, schedule, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        executions = sm.list_monitoring_executions(MonitoringScheduleName=schedule)["MonitoringExecutionSummaries"]
        if executions and executions[0]["MonitoringExecutionStatus"] not in ("Pending", "InProgress", "Stopping"):
            assert len(executions) == 1, executions
            return executions[0]
        time.sleep(1)
    raise AssertionError(f"no finished execution of {schedule}: {executions}")


def report(s3, run_id, endpoint_name, schedule, name):
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{run_id}/reports/{endpoint_name}/{schedule}/").get("Contents", [])]
    matching = [key for key in keys if key.endswith("/" + name)]
    assert len(matching) == 1, keys
    return json.loads(s3.get_object(Bucket=BUCKET, Key=matching[0])["Body"].read())


def captured_records(s3, run_id):
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"{run_id}/capture/"):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return sum(1 for key in keys for line in s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode().splitlines() if line.strip())


def invoke_all(s3, runtime, run_id, endpoint_name, rows, expected_total, timeout=60):
    """Invokes the endpoint once per row, then waits until the capture writer has flushed every record to S3."""
    for row in rows:
        runtime.invoke_endpoint(EndpointName=endpoint_name, ContentType="text/csv", Body=hosting.csv_line(row))["Body"].read()
    deadline = time.time() + timeout
    while captured_records(s3, run_id) < expected_total:
        assert time.time() < deadline, f"captured {captured_records(s3, run_id)} of {expected_total}"
        time.sleep(0.5)


def test_schedule_flags_only_the_shifted_feature(endpoint):
    sm, s3, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-runtime", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    endpoint_name = churn_endpoint(sm, s3, capture_config(prefix))

    # The baseline on the header-less feature CSV: captured requests carry no header, so both sides name columns _c0.._cN.
    header, train, validation = hosting.churn_split()
    features = [h for h in header if h != "churn"]
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/train/features.csv", Body=hosting.to_csv(hosting.feature_rows(train, header)))
    environment = monitoring.analyzer_environment()
    environment["dataset_format"] = json.dumps({"csv": {"header": False}})
    baseline = monitoring.run(sm, f"baseline-{run_id}", ANALYZER,
                              [monitoring.s3_input("baseline_dataset_input", f"{prefix}/train", "/opt/ml/processing/input/baseline_dataset_input")],
                              f"{prefix}/baseline", environment)
    assert baseline["ProcessingJobStatus"] == "Completed", baseline

    definition = f"dq-{run_id}"
    arn = job_definition(sm, definition, endpoint_name, prefix)["JobDefinitionArn"]
    assert arn.endswith(f":data-quality-job-definition/{definition}"), arn
    described = sm.describe_data_quality_job_definition(JobDefinitionName=definition)
    assert described["DataQualityJobInput"]["EndpointInput"]["EndpointName"] == endpoint_name
    assert described["DataQualityBaselineConfig"]["ConstraintsResource"]["S3Uri"] == f"{prefix}/baseline/constraints.json"
    listed = sm.list_data_quality_job_definitions(EndpointName=endpoint_name)["JobDefinitionSummaries"]
    assert [d["MonitoringJobDefinitionName"] for d in listed] == [definition], listed

    normal = hosting.feature_rows(validation, header)
    invoke_all(s3, runtime, run_id, endpoint_name, normal, len(normal))
    first = f"normal-{run_id}"
    schedule_arn = schedule_now(sm, first, definition)["MonitoringScheduleArn"]
    assert schedule_arn.endswith(f":monitoring-schedule/{first}"), schedule_arn
    assert sm.list_tags(ResourceArn=schedule_arn)["Tags"] == [{"Key": "owner", "Value": first}]
    execution = finished_execution(sm, first)
    assert execution["MonitoringExecutionStatus"] == "Completed", (execution, report(s3, run_id, endpoint_name, first, "constraint_violations.json"))
    assert execution["EndpointName"] == endpoint_name and execution["MonitoringJobDefinitionName"] == definition
    job = sm.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].split("/")[-1])
    assert job["ProcessingJobStatus"] == "Completed" and job["AppSpecification"]["ImageUri"] == ANALYZER, job
    assert report(s3, run_id, endpoint_name, first, "constraint_violations.json")["violations"] == []
    statistics = report(s3, run_id, endpoint_name, first, "statistics.json")
    assert statistics["dataset"]["item_count"] == len(normal), statistics["dataset"]
    described = sm.describe_monitoring_schedule(MonitoringScheduleName=first)
    assert described["MonitoringScheduleStatus"] == "Scheduled" and described["EndpointName"] == endpoint_name, described
    assert described["LastMonitoringExecutionSummary"]["MonitoringExecutionStatus"] == "Completed", described

    column = features.index(SHIFTED)
    shifted = [row[:column] + [str(float(row[column]) * 5 + 300)] + row[column + 1:] for row in normal]
    invoke_all(s3, runtime, run_id, endpoint_name, shifted, 2 * len(normal))
    second = f"shifted-{run_id}"
    schedule_now(sm, second, definition)
    execution = finished_execution(sm, second)
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution
    violations = report(s3, run_id, endpoint_name, second, "constraint_violations.json")["violations"]
    drifted = {v["feature_name"] for v in violations if v["constraint_check_type"] == "baseline_drift_check"}
    assert drifted == {f"_c{column}"}, violations

    both = sm.list_monitoring_executions(EndpointName=endpoint_name, SortBy="ScheduledTime", SortOrder="Ascending")["MonitoringExecutionSummaries"]
    assert [e["MonitoringScheduleName"] for e in both] == [first, second], both
    page = sm.list_monitoring_executions(EndpointName=endpoint_name, SortBy="ScheduledTime", SortOrder="Descending", MaxResults=1)
    assert [e["MonitoringScheduleName"] for e in page["MonitoringExecutionSummaries"]] == [second]
    rest = sm.list_monitoring_executions(EndpointName=endpoint_name, SortBy="ScheduledTime", SortOrder="Descending", MaxResults=1, NextToken=page["NextToken"])
    assert [e["MonitoringScheduleName"] for e in rest["MonitoringExecutionSummaries"]] == [first] and "NextToken" not in rest, rest
    violated = sm.list_monitoring_executions(EndpointName=endpoint_name, StatusEquals="CompletedWithViolations")["MonitoringExecutionSummaries"]
    assert [e["MonitoringScheduleName"] for e in violated] == [second], violated
    schedules = sm.list_monitoring_schedules(EndpointName=endpoint_name, SortBy="Name", SortOrder="Ascending")["MonitoringScheduleSummaries"]
    assert [s["MonitoringScheduleName"] for s in schedules] == [first, second], schedules

    sm.stop_monitoring_schedule(MonitoringScheduleName=first)
    assert sm.describe_monitoring_schedule(MonitoringScheduleName=first)["MonitoringScheduleStatus"] == "Stopped"
    hosting.expect_error(lambda: sm.delete_data_quality_job_definition(JobDefinitionName=definition), "ResourceInUse", 400, first)
    for name in (first, second):
        sm.delete_monitoring_schedule(MonitoringScheduleName=name)
    assert sm.list_monitoring_executions(EndpointName=endpoint_name)["MonitoringExecutionSummaries"] == []
    sm.delete_data_quality_job_definition(JobDefinitionName=definition)
    hosting.expect_error(lambda: sm.describe_data_quality_job_definition(JobDefinitionName=definition), "ResourceNotFound", 400)


def test_bad_input_is_refused_and_nothing_is_stored(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"

    hosting.expect_error(lambda: job_definition(sm, f"missing-{run_id}", f"no-such-endpoint-{run_id}", prefix), "ValidationException", 400, "Could not find endpoint")
    hosting.expect_error(lambda: sm.describe_data_quality_job_definition(JobDefinitionName=f"missing-{run_id}"), "ResourceNotFound", 400)

    uncaptured = churn_endpoint(sm, s3)
    hosting.expect_error(lambda: job_definition(sm, f"uncaptured-{run_id}", uncaptured, prefix), "ValidationException", 400, "does not capture")
    hosting.expect_error(lambda: sm.describe_data_quality_job_definition(JobDefinitionName=f"uncaptured-{run_id}"), "ResourceNotFound", 400)

    captured = churn_endpoint(sm, s3, capture_config(prefix))
    definition = f"dq-{run_id}"
    job_definition(sm, definition, captured, prefix, baseline=False)
    hosting.expect_error(lambda: job_definition(sm, definition, captured, prefix), "ResourceInUse", 400, definition)

    hosting.expect_error(lambda: schedule_now(sm, f"nodef-{run_id}", f"no-such-definition-{run_id}"), "ValidationException", 400, "Could not find job definition")
    for expression in ("cron(0 * * *)", "cron(61 * ? * * *)", "rate(1 hour)", "cron(0 * ? * * 2020)"):
        hosting.expect_error(lambda: sm.create_monitoring_schedule(MonitoringScheduleName=f"badcron-{run_id}", MonitoringScheduleConfig={
            "ScheduleConfig": {"ScheduleExpression": expression}, "MonitoringJobDefinitionName": definition}), "ValidationException", 400, "ScheduleExpression")
    hosting.expect_error(lambda: sm.create_monitoring_schedule(MonitoringScheduleName=f"badwindow-{run_id}", MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "an hour ago"}, "MonitoringJobDefinitionName": definition}),
        "ValidationException", 400, "DataAnalysisStartTime")
    # A definition whose endpoint has since been deleted cannot be scheduled.
    doomed = churn_endpoint(sm, s3, capture_config(prefix))
    job_definition(sm, f"doomed-{run_id}", doomed, prefix, baseline=False)
    sm.delete_endpoint(EndpointName=doomed)
    hosting.expect_error(lambda: schedule_now(sm, f"orphan-{run_id}", f"doomed-{run_id}"), "ValidationException", 400, "Could not find endpoint")
    # Kiln's retraining trigger: the pipeline a schedule's on-violation tag names must exist.
    hosting.expect_error(lambda: sm.create_monitoring_schedule(MonitoringScheduleName=f"nopipeline-{run_id}", MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "NOW"}, "MonitoringJobDefinitionName": definition},
        Tags=[{"Key": "kiln:on-violation:pipeline", "Value": f"no-such-pipeline-{run_id}"}]), "ValidationException", 400, f"no-such-pipeline-{run_id}")
    for name in (f"nodef-{run_id}", f"badcron-{run_id}", f"badwindow-{run_id}", f"orphan-{run_id}", f"nopipeline-{run_id}"):
        hosting.expect_error(lambda: sm.describe_monitoring_schedule(MonitoringScheduleName=name), "ResourceNotFound", 400)
    assert sm.list_monitoring_schedules(NameContains=run_id)["MonitoringScheduleSummaries"] == []

    hourly = f"hourly-{run_id}"
    sm.create_monitoring_schedule(MonitoringScheduleName=hourly, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": definition})
    hosting.expect_error(lambda: sm.create_monitoring_schedule(MonitoringScheduleName=hourly, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": definition}), "ResourceInUse", 400, hourly)
    assert sm.describe_monitoring_schedule(MonitoringScheduleName=hourly)["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == "cron(0 * ? * * *)"
    hosting.expect_error(lambda: sm.update_monitoring_schedule(MonitoringScheduleName=hourly, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(bad)"}, "MonitoringJobDefinitionName": definition}), "ValidationException", 400, "ScheduleExpression")
    assert sm.describe_monitoring_schedule(MonitoringScheduleName=hourly)["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == "cron(0 * ? * * *)"

    # Nothing was invoked, so the window holds no captured data: the execution fails and says so.
    sm.update_monitoring_schedule(MonitoringScheduleName=hourly, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "NOW"}, "MonitoringJobDefinitionName": definition})
    execution = finished_execution(sm, hourly)
    assert execution["MonitoringExecutionStatus"] == "Failed" and "No data captured" in execution["FailureReason"], execution
    assert "ProcessingJobArn" not in execution, execution

    # With captured data but a baseline that is not there, the processing job fails and the execution says why.
    header, _, validation = hosting.churn_split()
    invoke_all(s3, client("sagemaker-runtime", endpoint), run_id, captured, hosting.feature_rows(validation[:5], header), 5)
    job_definition(sm, f"nobaseline-{run_id}", captured, prefix)
    schedule_now(sm, f"nobaseline-{run_id}", f"nobaseline-{run_id}")
    execution = finished_execution(sm, f"nobaseline-{run_id}")
    assert execution["MonitoringExecutionStatus"] == "Failed" and "constraints.json" in execution["FailureReason"], execution
    job = sm.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].split("/")[-1])
    assert job["ProcessingJobStatus"] == "Failed", job

    for call in (lambda: sm.describe_monitoring_schedule(MonitoringScheduleName=f"none-{run_id}"),
                 lambda: sm.delete_monitoring_schedule(MonitoringScheduleName=f"none-{run_id}"),
                 lambda: sm.start_monitoring_schedule(MonitoringScheduleName=f"none-{run_id}"),
                 lambda: sm.stop_monitoring_schedule(MonitoringScheduleName=f"none-{run_id}"),
                 lambda: sm.delete_data_quality_job_definition(JobDefinitionName=f"none-{run_id}")):
        hosting.expect_error(call, "ResourceNotFound", 400)
    hosting.expect_error(lambda: sm.list_monitoring_executions(NextToken="not-a-token"), "ValidationException", 400)


def test_definition_naming_only_its_baselining_job_compares_with_that_jobs_baseline(endpoint):
    """DefaultModelMonitor and ModelQualityMonitor send DataQualityBaselineConfig / ModelQualityBaselineConfig with the
    BaseliningJobName of their suggest_baseline: the executions compare with the constraints and statistics it wrote."""
    sm, s3, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-runtime", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    endpoint_name = churn_endpoint(sm, s3, capture_config(prefix))
    header, train, validation = hosting.churn_split()
    features = [h for h in header if h != "churn"]
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/train/features.csv", Body=hosting.to_csv(hosting.feature_rows(train, header)))
    environment = monitoring.analyzer_environment()
    environment["dataset_format"] = json.dumps({"csv": {"header": False}})
    baselining = f"baseline-{run_id}"
    baseline = monitoring.run(sm, baselining, ANALYZER,
                              [monitoring.s3_input("baseline_dataset_input", f"{prefix}/train", "/opt/ml/processing/input/baseline_dataset_input")],
                              f"{prefix}/baseline", environment)
    assert baseline["ProcessingJobStatus"] == "Completed", baseline

    definition = f"dq-{run_id}"
    sm.create_data_quality_job_definition(
        JobDefinitionName=definition, RoleArn=ROLE, JobResources=RESOURCES,
        DataQualityAppSpecification={"ImageUri": ANALYZER},
        DataQualityBaselineConfig={"BaseliningJobName": baselining},
        DataQualityJobInput={"EndpointInput": {"EndpointName": endpoint_name, "LocalPath": "/opt/ml/processing/input/endpoint"}},
        DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {"S3Uri": f"{prefix}/reports", "LocalPath": "/opt/ml/processing/output"}}]},
        StoppingCondition={"MaxRuntimeInSeconds": 1800})
    assert sm.describe_data_quality_job_definition(JobDefinitionName=definition)["DataQualityBaselineConfig"] == {"BaseliningJobName": baselining}

    normal = hosting.feature_rows(validation, header)
    column = features.index(SHIFTED)
    shifted = [row[:column] + [str(float(row[column]) * 5 + 300)] + row[column + 1:] for row in normal]
    invoke_all(s3, runtime, run_id, endpoint_name, shifted, len(shifted))
    schedule = f"shifted-{run_id}"
    schedule_now(sm, schedule, definition)
    execution = finished_execution(sm, schedule)
    job = sm.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].split("/")[-1])
    baseline_inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in job["ProcessingInputs"] if i["InputName"] in ("constraints", "baseline")}
    assert baseline_inputs == {"constraints": f"{prefix}/baseline/constraints.json", "baseline": f"{prefix}/baseline/statistics.json"}, job["ProcessingInputs"]
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution
    violations = report(s3, run_id, endpoint_name, schedule, "constraint_violations.json")["violations"]
    assert {v["feature_name"] for v in violations if v["constraint_check_type"] == "baseline_drift_check"} == {f"_c{column}"}, violations

    # A baselining job that is not there: the execution fails and names it.
    missing = f"missing-{run_id}"
    sm.create_data_quality_job_definition(
        JobDefinitionName=missing, RoleArn=ROLE, JobResources=RESOURCES,
        DataQualityAppSpecification={"ImageUri": ANALYZER},
        DataQualityBaselineConfig={"BaseliningJobName": f"no-such-job-{run_id}"},
        DataQualityJobInput={"EndpointInput": {"EndpointName": endpoint_name, "LocalPath": "/opt/ml/processing/input/endpoint"}},
        DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {"S3Uri": f"{prefix}/reports", "LocalPath": "/opt/ml/processing/output"}}]},
        StoppingCondition={"MaxRuntimeInSeconds": 1800})
    schedule_now(sm, missing, missing)
    execution = finished_execution(sm, missing)
    assert execution["MonitoringExecutionStatus"] == "Failed" and f"no-such-job-{run_id}" in execution["FailureReason"], execution


RESTART_STATE = "restart/state.json"


def restart_set_up_a_captured_endpoint(endpoint):
    """First server of ModelMonitorRestartTests: an endpoint with captured traffic, a data quality job definition on it
    and an hourly schedule; the names go to S3 (which outlives the server) for the later halves."""
    sm, s3, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-runtime", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    endpoint_name = churn_endpoint(sm, s3, capture_config(prefix))
    header, _, validation = hosting.churn_split()
    rows = hosting.feature_rows(validation, header)
    invoke_all(s3, runtime, run_id, endpoint_name, rows, len(rows))

    definition = f"dq-{run_id}"
    job_definition(sm, definition, endpoint_name, prefix, baseline=False)
    hourly = f"hourly-{run_id}"
    sm.create_monitoring_schedule(MonitoringScheduleName=hourly, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)", "DataAnalysisStartTime": "-PT2H", "DataAnalysisEndTime": "-PT0H"},
        "MonitoringJobDefinitionName": definition, "MonitoringType": "DataQuality"})
    state = {"run_id": run_id, "endpoint": endpoint_name, "rows": len(rows), "definition": definition, "hourly": hourly, "now": f"now-{run_id}"}
    s3.put_object(Bucket=BUCKET, Key=RESTART_STATE, Body=json.dumps(state).encode())


def restart_leave_a_processing_job_running(endpoint):
    """Second server, started without job slots so the processing job it accepts cannot finish here: a NOW schedule
    whose execution is InProgress when this returns and the server is killed; what was seen goes to S3."""
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    state = json.loads(s3.get_object(Bucket=BUCKET, Key=RESTART_STATE)["Body"].read())
    now, hourly = state["now"], state["hourly"]
    schedule_now(sm, now, state["definition"])

    deadline = time.time() + 30
    while not (executions := sm.list_monitoring_executions(MonitoringScheduleName=now)["MonitoringExecutionSummaries"]) \
            or "ProcessingJobArn" not in executions[0]:
        assert time.time() < deadline, f"the NOW schedule's execution did not start its processing job: {executions}"
        time.sleep(0.2)
    execution = executions[0]
    assert execution["MonitoringExecutionStatus"] == "InProgress", execution
    job = sm.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].split("/")[-1])
    assert job["ProcessingJobStatus"] == "InProgress", job

    schedules = {name: sm.describe_monitoring_schedule(MonitoringScheduleName=name) for name in (hourly, now)}
    state["scheduled_time"] = execution["ScheduledTime"].isoformat()
    state["processing_job"] = job["ProcessingJobName"]
    state["schedules"] = {name: {"CreationTime": d["CreationTime"].isoformat(), "MonitoringScheduleConfig": d["MonitoringScheduleConfig"],
                                 "MonitoringScheduleStatus": d["MonitoringScheduleStatus"]} for name, d in schedules.items()}
    s3.put_object(Bucket=BUCKET, Key=RESTART_STATE, Body=json.dumps(state).encode())


def restart_execution_completes_after_the_restart(endpoint):
    """Third server, with job slots again, on the same data folder: it finishes that processing job and the execution, once."""
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    state = json.loads(s3.get_object(Bucket=BUCKET, Key=RESTART_STATE)["Body"].read())
    now, hourly = state["now"], state["hourly"]

    execution = finished_execution(sm, now)
    assert execution["MonitoringExecutionStatus"] == "Completed", execution
    assert execution["ScheduledTime"].isoformat() == state["scheduled_time"], (execution, state)
    job = sm.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].split("/")[-1])
    assert job["ProcessingJobName"] == state["processing_job"], (job, state)
    assert job["ProcessingJobStatus"] == "Completed" and job["AppSpecification"]["ImageUri"] == ANALYZER, job
    statistics = report(s3, state["run_id"], state["endpoint"], now, "statistics.json")
    assert statistics["dataset"]["item_count"] == state["rows"], statistics["dataset"]

    for name, before in state["schedules"].items():
        after = sm.describe_monitoring_schedule(MonitoringScheduleName=name)
        assert after["CreationTime"].isoformat() == before["CreationTime"], (name, after, before)
        assert after["MonitoringScheduleConfig"] == before["MonitoringScheduleConfig"], (name, after, before)
        assert after["MonitoringScheduleStatus"] == before["MonitoringScheduleStatus"] == "Scheduled", (name, after, before)
    described = sm.describe_monitoring_schedule(MonitoringScheduleName=now)
    assert described["LastMonitoringExecutionSummary"]["ScheduledTime"] == execution["ScheduledTime"], described
    assert described["LastMonitoringExecutionSummary"]["MonitoringExecutionStatus"] == "Completed", described

    # More ticks add nothing: one execution per scheduled time, the NOW schedule's only, and the hourly one's on full hours.
    time.sleep(5)
    everything = sm.list_monitoring_executions(MaxResults=100)["MonitoringExecutionSummaries"]
    keys = [(e["MonitoringScheduleName"], e["ScheduledTime"]) for e in everything]
    assert len(keys) == len(set(keys)), everything
    assert [e for e in everything if e["MonitoringScheduleName"] == now] == [execution], everything
    assert all(e["ScheduledTime"].minute == 0 and e["ScheduledTime"].second == 0 for e in everything if e["MonitoringScheduleName"] == hourly), everything


def test_a_batch_transform_capture_is_monitored(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    model = hosting.create_model(sm, hosting.trained_churn_model(sm, s3))
    header, _, validation = hosting.churn_split()
    rows = hosting.feature_rows(validation[:50], header)
    transform = f"batch-{run_id}"
    assert captured_transform(sm, s3, run_id, model, "batch", rows) == f"{prefix}/batch-capture"
    described = sm.describe_transform_job(TransformJobName=transform)
    assert described["DataCaptureConfig"]["DestinationS3Uri"] == f"{prefix}/batch-capture", described

    # SageMaker's layout: {destination}/input/yyyy/MM/dd/HH/… and {destination}/output/yyyy/MM/dd/HH/….
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{run_id}/batch-capture/")["Contents"])
    assert [k.split("/")[2] for k in keys] == ["input", "output"], keys
    assert all(len(k.split("/")) == 8 and k.split("/")[3].isdigit() and len(k.split("/")[6]) == 2 for k in keys), keys
    assert s3.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read() == hosting.to_csv(rows)
    assert len(s3.get_object(Bucket=BUCKET, Key=keys[1])["Body"].read().decode().split()) == len(rows)

    definition = f"dq-batch-{run_id}"
    batch_input = {"DataCapturedDestinationS3Uri": f"{prefix}/batch-capture", "DatasetFormat": {"Csv": {"Header": False}},
                   "LocalPath": "/opt/ml/processing/input/batch"}
    sm.create_data_quality_job_definition(
        JobDefinitionName=definition, RoleArn=ROLE, JobResources=RESOURCES,
        DataQualityAppSpecification={"ImageUri": ANALYZER},
        DataQualityJobInput={"BatchTransformInput": batch_input},
        DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {"S3Uri": f"{prefix}/reports", "LocalPath": "/opt/ml/processing/output"}}]},
        StoppingCondition={"MaxRuntimeInSeconds": 1800})
    job_input = sm.describe_data_quality_job_definition(JobDefinitionName=definition)["DataQualityJobInput"]
    assert "EndpointInput" not in job_input, job_input
    assert {k: job_input["BatchTransformInput"][k] for k in batch_input} == batch_input, job_input

    schedule = f"batch-{run_id}"
    schedule_now(sm, schedule, definition)
    assert "EndpointName" not in sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)
    execution = finished_execution(sm, schedule)
    assert execution["MonitoringExecutionStatus"] == "Completed", execution
    job = sm.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].split("/")[-1])
    assert [i["S3Input"]["S3Uri"] for i in job["ProcessingInputs"]] == [f"s3://{BUCKET}/{'/'.join(keys[0].split('/')[:7])}/"], job["ProcessingInputs"]
    stats_keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{run_id}/reports/{schedule}/")["Contents"] if o["Key"].endswith("/statistics.json")]
    assert len(stats_keys) == 1, stats_keys
    statistics = json.loads(s3.get_object(Bucket=BUCKET, Key=stats_keys[0])["Body"].read())
    assert statistics["dataset"]["item_count"] == len(rows), statistics["dataset"]
    features = {f["name"]: f for f in statistics["features"]}
    assert set(features) == {f"_c{i}" for i in range(len(rows[0]))}, sorted(features)
    column = [h for h in header if h != "churn"].index(SHIFTED)
    mean = sum(float(row[column]) for row in rows) / len(rows)
    assert abs(features[f"_c{column}"]["numerical_statistics"]["mean"] - mean) < 1e-9, (features[f"_c{column}"], mean)

    sm.delete_monitoring_schedule(MonitoringScheduleName=schedule)
    sm.delete_data_quality_job_definition(JobDefinitionName=definition)
    hosting.expect_error(lambda: sm.create_data_quality_job_definition(
        JobDefinitionName=f"both-{run_id}", RoleArn=ROLE, JobResources=RESOURCES, DataQualityAppSpecification={"ImageUri": ANALYZER},
        DataQualityJobInput={"BatchTransformInput": batch_input, "EndpointInput": {"EndpointName": "x", "LocalPath": "/opt/ml/processing/input/x"}},
        DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {"S3Uri": f"{prefix}/reports", "LocalPath": "/opt/ml/processing/output"}}]}),
        "ValidationException", 400, "exactly one")


def captured_transform(sm, s3, run_id, model, name, rows):
    """A batch transform of the rows with DataCaptureConfig; the capture's destination."""
    prefix = f"s3://{BUCKET}/{run_id}"
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/{name}-in/rows.csv", Body=hosting.to_csv(rows))
    transform = f"{name}-{run_id}"
    sm.create_transform_job(
        TransformJobName=transform, ModelName=model, BatchStrategy="MultiRecord",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{prefix}/{name}-in/"}}, "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"{prefix}/{name}-out", "Accept": "text/csv", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        DataCaptureConfig={"DestinationS3Uri": f"{prefix}/{name}-capture"})
    sm.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName=transform, WaiterConfig={"Delay": 1, "MaxAttempts": 180})
    assert sm.describe_transform_job(TransformJobName=transform)["TransformJobStatus"] == "Completed"
    return f"{prefix}/{name}-capture"


def test_a_batch_transform_capture_with_a_shifted_feature_violates_the_baseline(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    model = hosting.create_model(sm, hosting.trained_churn_model(sm, s3))
    header, train, validation = hosting.churn_split()
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/train/features.csv", Body=hosting.to_csv(hosting.feature_rows(train, header)))
    environment = monitoring.analyzer_environment()
    environment["dataset_format"] = json.dumps({"csv": {"header": False}})
    baseline = monitoring.run(sm, f"baseline-{run_id}", ANALYZER,
                              [monitoring.s3_input("baseline_dataset_input", f"{prefix}/train", "/opt/ml/processing/input/baseline_dataset_input")],
                              f"{prefix}/baseline", environment)
    assert baseline["ProcessingJobStatus"] == "Completed", baseline

    normal = hosting.feature_rows(validation, header)
    column = [h for h in header if h != "churn"].index(SHIFTED)
    shifted = [row[:column] + [str(float(row[column]) * 5 + 300)] + row[column + 1:] for row in normal]
    outcomes = {}
    for name, rows in (("normal", normal), ("shifted", shifted)):
        capture = captured_transform(sm, s3, run_id, model, name, rows)
        definition = f"dq-{name}-{run_id}"
        sm.create_data_quality_job_definition(
            JobDefinitionName=definition, RoleArn=ROLE, JobResources=RESOURCES,
            DataQualityAppSpecification={"ImageUri": ANALYZER},
            DataQualityBaselineConfig={"ConstraintsResource": {"S3Uri": f"{prefix}/baseline/constraints.json"},
                                       "StatisticsResource": {"S3Uri": f"{prefix}/baseline/statistics.json"}},
            DataQualityJobInput={"BatchTransformInput": {"DataCapturedDestinationS3Uri": capture, "DatasetFormat": {"Csv": {"Header": False}},
                                                         "LocalPath": "/opt/ml/processing/input/batch"}},
            DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {"S3Uri": f"{prefix}/reports", "LocalPath": "/opt/ml/processing/output"}}]})
        described = sm.describe_data_quality_job_definition(JobDefinitionName=definition)
        assert described["DataQualityBaselineConfig"]["ConstraintsResource"]["S3Uri"] == f"{prefix}/baseline/constraints.json", described
        schedule = f"batch-{name}-{run_id}"
        schedule_now(sm, schedule, definition)
        execution = finished_execution(sm, schedule)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{run_id}/reports/{schedule}/")["Contents"]]
        reports = {key.split("/")[-1]: json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()) for key in keys if key.endswith(".json")}
        outcomes[name] = (execution["MonitoringExecutionStatus"], reports)
        assert reports["statistics.json"]["dataset"]["item_count"] == len(rows), reports["statistics.json"]["dataset"]

    status, reports = outcomes["normal"]
    assert status == "Completed" and reports["constraint_violations.json"]["violations"] == [], outcomes["normal"]
    status, reports = outcomes["shifted"]
    assert status == "CompletedWithViolations", status
    violations = reports["constraint_violations.json"]["violations"]
    assert {v["feature_name"] for v in violations if v["constraint_check_type"] == "baseline_drift_check"} == {f"_c{column}"}, violations

    # Kiln reads batch captures for data quality and model quality only: a model bias definition on one is refused and not stored.
    batch_input = {"DataCapturedDestinationS3Uri": f"{prefix}/normal-capture", "DatasetFormat": {"Csv": {"Header": False}},
                   "LocalPath": "/opt/ml/processing/input/batch"}
    hosting.expect_error(lambda: sm.create_model_bias_job_definition(
        JobDefinitionName=f"mb-batch-{run_id}", RoleArn=ROLE, JobResources=RESOURCES,
        ModelBiasAppSpecification={"ImageUri": ANALYZER, "ConfigUri": f"{prefix}/analysis_config.json"},
        ModelBiasJobInput={"BatchTransformInput": batch_input, "GroundTruthS3Input": {"S3Uri": f"{prefix}/ground-truth"}},
        ModelBiasJobOutputConfig={"MonitoringOutputs": [{"S3Output": {"S3Uri": f"{prefix}/reports", "LocalPath": "/opt/ml/processing/output"}}]}),
        "ValidationException", 400, "ModelBiasJobInput.BatchTransformInput")
    hosting.expect_error(lambda: sm.describe_model_bias_job_definition(JobDefinitionName=f"mb-batch-{run_id}"), "ResourceNotFound", 400)


def test_an_inline_job_definition_runs_and_is_described(endpoint):
    sm, s3, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-runtime", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    endpoint_name = churn_endpoint(sm, s3, capture_config(prefix))
    header, train, validation = hosting.churn_split()
    features = [h for h in header if h != "churn"]
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/train/features.csv", Body=hosting.to_csv(hosting.feature_rows(train, header)))
    environment = monitoring.analyzer_environment()
    environment["dataset_format"] = json.dumps({"csv": {"header": False}})
    baseline = monitoring.run(sm, f"baseline-{run_id}", ANALYZER,
                              [monitoring.s3_input("baseline_dataset_input", f"{prefix}/train", "/opt/ml/processing/input/baseline_dataset_input")],
                              f"{prefix}/baseline", environment)
    assert baseline["ProcessingJobStatus"] == "Completed", baseline
    column = features.index(SHIFTED)
    shifted = [row[:column] + [str(float(row[column]) * 5 + 300)] + row[column + 1:] for row in hosting.feature_rows(validation, header)]
    invoke_all(s3, runtime, run_id, endpoint_name, shifted, len(shifted))

    # As DefaultModelMonitor's older SDKs send it: the job definition inside the schedule, no job definition name.
    inline = {
        "BaselineConfig": {"ConstraintsResource": {"S3Uri": f"{prefix}/baseline/constraints.json"},
                           "StatisticsResource": {"S3Uri": f"{prefix}/baseline/statistics.json"}},
        "MonitoringInputs": [{"EndpointInput": {"EndpointName": endpoint_name, "LocalPath": "/opt/ml/processing/input/endpoint",
                                                "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}}],
        "MonitoringOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": f"{prefix}/reports", "LocalPath": "/opt/ml/processing/output",
                                                                       "S3UploadMode": "EndOfJob"}}]},
        "MonitoringResources": RESOURCES,
        "MonitoringAppSpecification": {"ImageUri": ANALYZER},
        "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
        "Environment": {"publish_cloudwatch_metrics": "Disabled"},
        "RoleArn": ROLE,
    }
    schedule = f"inline-{run_id}"
    sm.create_monitoring_schedule(MonitoringScheduleName=schedule, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H", "DataAnalysisEndTime": "-PT0H"},
        "MonitoringJobDefinition": inline})
    described = sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)
    config = described["MonitoringScheduleConfig"]
    assert "MonitoringJobDefinitionName" not in config and config["MonitoringType"] == "DataQuality", config
    assert config["MonitoringJobDefinition"] == inline, config["MonitoringJobDefinition"]
    assert described["EndpointName"] == endpoint_name, described

    execution = finished_execution(sm, schedule)
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution
    assert "MonitoringJobDefinitionName" not in execution, execution
    violations = report(s3, run_id, endpoint_name, schedule, "constraint_violations.json")["violations"]
    assert {v["feature_name"] for v in violations if v["constraint_check_type"] == "baseline_drift_check"} == {f"_c{column}"}, violations
    job = sm.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].split("/")[-1])
    assert job["Environment"]["publish_cloudwatch_metrics"] == "Disabled", job["Environment"]
    sm.delete_monitoring_schedule(MonitoringScheduleName=schedule)

    hosting.expect_error(lambda: sm.create_monitoring_schedule(MonitoringScheduleName=f"both-{run_id}", MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "NOW"}, "MonitoringJobDefinition": inline, "MonitoringJobDefinitionName": "x"}),
        "ValidationException", 400, "exactly one")
    no_capture = dict(inline, MonitoringInputs=[{"EndpointInput": {"EndpointName": f"none-{run_id}", "LocalPath": "/opt/ml/processing/input/endpoint"}}])
    hosting.expect_error(lambda: sm.create_monitoring_schedule(MonitoringScheduleName=f"missing-{run_id}", MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "NOW"}, "MonitoringJobDefinition": no_capture}), "ValidationException", 400, "Could not find endpoint")
    hosting.expect_error(lambda: sm.describe_monitoring_schedule(MonitoringScheduleName=f"missing-{run_id}"), "ResourceNotFound", 400)


if __name__ == "__main__":
    main({name: value for name, value in globals().items() if name.startswith(("test_", "restart_"))})
