"""Model Monitor's Clarify monitors through boto3: ModelBias and ModelExplainability job definitions on an endpoint
that captures its traffic, NOW schedules whose executions run Clarify over the captured records (joined with the
ground truth uploaded for them), and a Clarify processing job whose predictor is a model (predictor.model_name).
Usage: python3 sagemaker_clarify_monitor.py <endpoint_url> <test_name>
"""
import csv
import datetime
import io
import json
import math
import uuid

from kiln_boto import client, main
import sagemaker_hosting as hosting
import sagemaker_model_monitor as model_monitor
import sagemaker_model_quality as model_quality
import sagemaker_monitoring as monitoring

BUCKET = monitoring.BUCKET
ROLE = monitoring.ROLE
CLARIFY = monitoring.CLARIFY
RESOURCES = model_monitor.RESOURCES
FACET = "international_plan"
ROWS = 60


def bias_config(header):
    """As the SDK's ModelBiasMonitor uploads it: no methods and no predictor (the monitor supplies both)."""
    return {"headers": header, "label": "churn", "label_values_or_threshold": ["yes"],
            "facet": [{"name_or_index": FACET, "value_or_threshold": ["yes"]}]}


def explainability_config(features, baseline_row):
    return {"headers": features, "methods": {"shap": {"baseline": [baseline_row], "num_samples": 30, "agg_method": "mean_abs",
                                                      "save_local_shap_values": True, "seed": 1}},
            "predictor": {"content_type": "text/csv", "accept_type": "text/csv"}}


def put_config(s3, run_id, name, config):
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/config/{name}", Body=(config if isinstance(config, str) else json.dumps(config)).encode())
    return f"s3://{BUCKET}/{run_id}/config/{name}"


def endpoint_input(endpoint_name):
    return {"EndpointName": endpoint_name, "LocalPath": "/opt/ml/processing/input/endpoint",
            "ProbabilityAttribute": "0", "ProbabilityThresholdAttribute": 0.5}


def outputs(prefix):
    return {"MonitoringOutputs": [{"S3Output": {"S3Uri": f"{prefix}/reports", "LocalPath": "/opt/ml/processing/output"}}]}


def bias_definition(sm, name, endpoint_name, prefix, config_uri, constraints=None):
    request = dict(JobDefinitionName=name, RoleArn=ROLE, JobResources=RESOURCES,
                   ModelBiasAppSpecification={"ImageUri": CLARIFY, "ConfigUri": config_uri},
                   ModelBiasJobInput={"EndpointInput": endpoint_input(endpoint_name), "GroundTruthS3Input": {"S3Uri": f"{prefix}/ground-truth"}},
                   ModelBiasJobOutputConfig=outputs(prefix), StoppingCondition={"MaxRuntimeInSeconds": 1800})
    if constraints:
        request["ModelBiasBaselineConfig"] = {"ConstraintsResource": {"S3Uri": constraints}}
    return sm.create_model_bias_job_definition(**request)


def explainability_definition(sm, name, endpoint_name, prefix, config_uri, constraints=None):
    request = dict(
        JobDefinitionName=name, RoleArn=ROLE, JobResources=RESOURCES,
        ModelExplainabilityAppSpecification={"ImageUri": CLARIFY, "ConfigUri": config_uri},
        ModelExplainabilityJobInput={"EndpointInput": {"EndpointName": endpoint_name, "LocalPath": "/opt/ml/processing/input/endpoint"}},
        ModelExplainabilityJobOutputConfig=outputs(prefix), StoppingCondition={"MaxRuntimeInSeconds": 1800})
    if constraints:
        request["ModelExplainabilityBaselineConfig"] = {"ConstraintsResource": {"S3Uri": constraints}}
    return sm.create_model_explainability_job_definition(**request)


def schedule_now(sm, name, definition, monitoring_type):
    sm.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H", "DataAnalysisEndTime": "-PT0H"},
        "MonitoringJobDefinitionName": definition, "MonitoringType": monitoring_type})


def invoke_with_ids(s3, runtime, run_id, endpoint_name, rows):
    """One invocation per row with an InferenceId; returns {inference id: score}, once every record is captured."""
    scores = {}
    for i, row in enumerate(rows):
        inference_id = f"{run_id}-{i}"
        body = runtime.invoke_endpoint(EndpointName=endpoint_name, ContentType="text/csv", Body=hosting.csv_line(row), InferenceId=inference_id)["Body"].read()
        scores[inference_id] = float(body.decode().strip())
    model_monitor.invoke_all(s3, runtime, run_id, endpoint_name, [], len(rows))
    return scores


def upload_ground_truth(s3, run_id, labels):
    """SageMaker's layout: {uri}/yyyy/MM/dd/HH/*.jsonl, one record per inference id."""
    hour = datetime.datetime.now(datetime.timezone.utc).strftime("%Y/%m/%d/%H")
    lines = [json.dumps({"groundTruthData": {"data": label, "encoding": "CSV"}, "eventMetadata": {"eventId": inference_id}, "eventVersion": "0"})
             for inference_id, label in labels.items()]
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/ground-truth/{hour}/labels.jsonl", Body="\n".join(lines).encode())


def test_bias_and_explainability_monitors_analyze_captured_traffic(endpoint):
    sm, s3, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-runtime", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    endpoint_name = model_monitor.churn_endpoint(sm, s3, model_monitor.capture_config(prefix))
    header, _, validation = hosting.churn_split()
    rows = validation[:ROWS]
    features = hosting.feature_rows(rows, header)
    scores = invoke_with_ids(s3, runtime, run_id, endpoint_name, features)

    # Ground truth for the first 50 only: the other 10 captured records have no label and are left out of bias.
    labelled = {f"{run_id}-{i}": rows[i][header.index("churn")] for i in range(50)}
    upload_ground_truth(s3, run_id, labelled)
    # A baseline where DPPL was exactly fair (any difference violates) and AD may move by up to 1 (never violates).
    constraints = put_config(s3, run_id, "baseline-analysis.json", {"version": "1.0", "post_training_bias_metrics": {"label": "churn", "facets": {
        FACET: [{"value_or_threshold": "yes", "metrics": [{"name": "DPPL", "value": 0.0}, {"name": "AD", "value": 0.0, "threshold": 1.0}]}]}}})
    bias = f"bias-{run_id}"
    arn = bias_definition(sm, bias, endpoint_name, prefix, put_config(s3, run_id, "bias.json", bias_config(header)), constraints)["JobDefinitionArn"]
    assert arn.endswith(f":model-bias-job-definition/{bias}"), arn
    described = sm.describe_model_bias_job_definition(JobDefinitionName=bias)
    assert described["ModelBiasJobInput"]["EndpointInput"]["ProbabilityThresholdAttribute"] == 0.5, described
    assert described["ModelBiasJobInput"]["GroundTruthS3Input"]["S3Uri"] == f"{prefix}/ground-truth", described
    assert described["ModelBiasBaselineConfig"]["ConstraintsResource"]["S3Uri"] == constraints, described

    explain = f"explain-{run_id}"
    feature_names = [h for h in header if h != "churn"]
    arn = explainability_definition(sm, explain, endpoint_name, prefix, put_config(s3, run_id, "shap.json", explainability_config(feature_names, features[0])))["JobDefinitionArn"]
    assert arn.endswith(f":model-explainability-job-definition/{explain}"), arn

    # Each API sees its own type only.
    assert [d["MonitoringJobDefinitionName"] for d in sm.list_model_bias_job_definitions(EndpointName=endpoint_name)["JobDefinitionSummaries"]] == [bias]
    assert [d["MonitoringJobDefinitionName"] for d in sm.list_model_explainability_job_definitions(EndpointName=endpoint_name)["JobDefinitionSummaries"]] == [explain]
    hosting.expect_error(lambda: sm.describe_model_bias_job_definition(JobDefinitionName=explain), "ResourceNotFound", 400)
    hosting.expect_error(lambda: sm.describe_model_explainability_job_definition(JobDefinitionName=bias), "ResourceNotFound", 400)
    hosting.expect_error(lambda: sm.delete_model_explainability_job_definition(JobDefinitionName=bias), "ResourceNotFound", 400)

    schedule_now(sm, bias, bias, "ModelBias")
    schedule_now(sm, explain, explain, "ModelExplainability")
    assert sm.describe_monitoring_schedule(MonitoringScheduleName=bias)["MonitoringType"] == "ModelBias"

    execution = model_monitor.finished_execution(sm, bias, timeout=120)
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution
    assert execution["MonitoringType"] == "ModelBias", execution
    job = sm.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].split("/")[-1])
    assert job["AppSpecification"]["ImageUri"] == CLARIFY, job
    analysis = model_monitor.report(s3, run_id, endpoint_name, bias, "analysis.json")
    metrics = {m["name"]: m["value"] for m in analysis["post_training_bias_metrics"]["facets"][FACET][0]["metrics"]}

    # The same numbers from the captured scores and the labels, for the 50 labelled records.
    facet = [rows[i][header.index(FACET)] == "yes" for i in range(50)]
    predicted = [scores[f"{run_id}-{i}"] > 0.5 for i in range(50)]
    actual = [rows[i][header.index("churn")] == "yes" for i in range(50)]
    assert any(facet) and not all(facet)

    def share(values, group):
        chosen = [v for v, f in zip(values, facet) if f == group]
        return sum(chosen) / len(chosen)

    dppl = share(predicted, False) - share(predicted, True)
    correct = [p == a for p, a in zip(predicted, actual)]
    ad = share(correct, False) - share(correct, True)
    assert abs(metrics["DPPL"] - dppl) < 1e-9, (metrics, dppl)
    assert abs(metrics["AD"] - ad) < 1e-9, (metrics, ad)
    violations = model_monitor.report(s3, run_id, endpoint_name, bias, "constraint_violations.json")["violations"]
    if dppl != 0:
        assert [v["metric_name"] for v in violations] == ["DPPL"], violations

    execution = model_monitor.finished_execution(sm, explain, timeout=120)
    assert execution["MonitoringExecutionStatus"] == "Completed", execution
    analysis = model_monitor.report(s3, run_id, endpoint_name, explain, "analysis.json")
    shap = analysis["explanations"]["kernel_shap"]["label0"]
    assert set(shap["global_shap_values"]) == set(feature_names), shap["global_shap_values"]
    assert any(value > 0 for value in shap["global_shap_values"].values()), shap
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{run_id}/reports/{endpoint_name}/{explain}/").get("Contents", [])]
    local_key = [key for key in keys if key.endswith("explanations_shap/out.csv")]
    assert len(local_key) == 1, keys
    local = list(csv.reader(io.StringIO(s3.get_object(Bucket=BUCKET, Key=local_key[0])["Body"].read().decode())))
    assert len(local) == ROWS + 1, len(local)
    # Every row's attributions add up to its score minus the expected value (the endpoint scored the same rows).
    captured = sorted(scores.values())
    row_scores = sorted(sum(float(v) for v in row) + shap["expected_value"] for row in local[1:])
    assert all(abs(a - b) < 1e-6 for a, b in zip(captured, row_scores)), (captured[:5], row_scores[:5])

    for name in (bias, explain):
        sm.delete_monitoring_schedule(MonitoringScheduleName=name)
    sm.delete_model_bias_job_definition(JobDefinitionName=bias)
    sm.delete_model_explainability_job_definition(JobDefinitionName=explain)
    hosting.expect_error(lambda: sm.describe_model_bias_job_definition(JobDefinitionName=bias), "ResourceNotFound", 400)


def traffic_labelled_by_event_id(sm, s3, runtime, run_id, prefix):
    """As the SageMaker Python SDK's examples do: invoke without InferenceId, then upload ground truth keyed by each
    captured record's eventId (Kiln still captures an inferenceId of its own for that traffic).
    Returns the endpoint, the header, the rows and the captured (eventId, request line, score) records."""
    endpoint_name = model_monitor.churn_endpoint(sm, s3, model_monitor.capture_config(prefix))
    header, _, validation = hosting.churn_split()
    rows = validation[:ROWS]
    features = hosting.feature_rows(rows, header)
    model_monitor.invoke_all(s3, runtime, run_id, endpoint_name, features, len(features))
    records = model_quality.captured(s3, run_id)
    assert len(records) == ROWS, records
    by_line = {hosting.csv_line(f): row for f, row in zip(features, rows)}
    upload_ground_truth(s3, run_id, {event_id: by_line[line][header.index("churn")] for event_id, line, _ in records})
    return endpoint_name, header, rows, records, by_line


def test_bias_monitor_labels_traffic_sent_without_inference_ids_by_event_id(endpoint):
    sm, s3, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-runtime", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    endpoint_name, header, _, records, by_line = traffic_labelled_by_event_id(sm, s3, runtime, run_id, prefix)

    bias = f"bias-{run_id}"
    bias_definition(sm, bias, endpoint_name, prefix, put_config(s3, run_id, "bias.json", bias_config(header)))
    schedule_now(sm, bias, bias, "ModelBias")
    execution = model_monitor.finished_execution(sm, bias, timeout=120)
    assert execution["MonitoringExecutionStatus"] == "Completed", execution
    analysis = model_monitor.report(s3, run_id, endpoint_name, bias, "analysis.json")
    metrics = {m["name"]: m["value"] for m in analysis["post_training_bias_metrics"]["facets"][FACET][0]["metrics"]}

    # Every one of the ROWS records was labelled, so DPPL is the one of all captured scores.
    facet = [by_line[line][header.index(FACET)] == "yes" for _, line, _ in records]
    predicted = [score > 0.5 for _, _, score in records]
    assert any(facet) and not all(facet)

    def share(group):
        chosen = [p for p, f in zip(predicted, facet) if f == group]
        return sum(chosen) / len(chosen)

    assert abs(metrics["DPPL"] - (share(False) - share(True))) < 1e-9, metrics


def test_bias_definition_naming_only_its_baselining_job_compares_with_that_jobs_analysis(endpoint):
    """ModelBiasMonitor.suggest_baseline then create_monitoring_schedule sends ModelBiasBaselineConfig with only the
    BaseliningJobName: the executions compare with the analysis.json that job wrote."""
    sm, s3, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-runtime", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    endpoint_name, header, rows, _, _ = traffic_labelled_by_event_id(sm, s3, runtime, run_id, prefix)

    # The baselining job: Clarify's post-training bias of the same rows, scored by the same endpoint.
    monitoring.put_csv(s3, f"{run_id}/baseline-data/data.csv", header, rows)
    config = dict(bias_config(header), dataset_type="text/csv", probability_threshold=0.5,
                  predictor={"endpoint_name": endpoint_name, "content_type": "text/csv", "accept_type": "text/csv"},
                  methods={"post_training_bias": {"methods": ["DPPL", "DI"]}})
    baselining = f"bias-baseline-{run_id}"
    done = monitoring.run(sm, baselining, CLARIFY,
                          [monitoring.s3_input("dataset", f"{prefix}/baseline-data/data.csv", "/opt/ml/processing/input/data"),
                           monitoring.s3_input("analysis_config", put_config(s3, run_id, "baseline.json", config), "/opt/ml/processing/input/config")],
                          f"{prefix}/baseline-out", output_name="analysis_result")
    assert done["ProcessingJobStatus"] == "Completed", done

    bias = f"bias-{run_id}"
    sm.create_model_bias_job_definition(
        JobDefinitionName=bias, RoleArn=ROLE, JobResources=RESOURCES,
        ModelBiasAppSpecification={"ImageUri": CLARIFY, "ConfigUri": put_config(s3, run_id, "bias.json", bias_config(header))},
        ModelBiasBaselineConfig={"BaseliningJobName": baselining},
        ModelBiasJobInput={"EndpointInput": endpoint_input(endpoint_name), "GroundTruthS3Input": {"S3Uri": f"{prefix}/ground-truth"}},
        ModelBiasJobOutputConfig=outputs(prefix), StoppingCondition={"MaxRuntimeInSeconds": 1800})
    assert sm.describe_model_bias_job_definition(JobDefinitionName=bias)["ModelBiasBaselineConfig"] == {"BaseliningJobName": baselining}
    schedule_now(sm, bias, bias, "ModelBias")
    execution = model_monitor.finished_execution(sm, bias, timeout=120)
    job = sm.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].split("/")[-1])
    constraints = [i["S3Input"]["S3Uri"] for i in job["ProcessingInputs"] if i["InputName"] == "constraints"]
    assert constraints == [f"{prefix}/baseline-out/analysis.json"], job["ProcessingInputs"]
    # Same rows, same model, same labels: the metrics equal the baseline's, which is checked and not violated.
    assert execution["MonitoringExecutionStatus"] == "Completed", execution
    assert model_monitor.report(s3, run_id, endpoint_name, bias, "constraint_violations.json")["violations"] == []

    # A definition naming a baselining job that does not exist: its execution fails and names the job.
    missing = f"missing-{run_id}"
    sm.create_model_bias_job_definition(
        JobDefinitionName=missing, RoleArn=ROLE, JobResources=RESOURCES,
        ModelBiasAppSpecification={"ImageUri": CLARIFY, "ConfigUri": put_config(s3, run_id, "bias.json", bias_config(header))},
        ModelBiasBaselineConfig={"BaseliningJobName": f"no-such-job-{run_id}"},
        ModelBiasJobInput={"EndpointInput": endpoint_input(endpoint_name), "GroundTruthS3Input": {"S3Uri": f"{prefix}/ground-truth"}},
        ModelBiasJobOutputConfig=outputs(prefix), StoppingCondition={"MaxRuntimeInSeconds": 1800})
    schedule_now(sm, missing, missing, "ModelBias")
    execution = model_monitor.finished_execution(sm, missing, timeout=120)
    assert execution["MonitoringExecutionStatus"] == "Failed" and f"no-such-job-{run_id}" in execution["FailureReason"], execution


def test_explainability_monitor_flags_feature_attributions_ranked_unlike_the_baseline(endpoint):
    """Feature attribution drift as SageMaker defines it: the NDCG of the current ranking of the features, scored with
    the baseline's attributions; below 0.9 is a feature_attribution_drift_check violation."""
    sm, s3, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-runtime", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    endpoint_name = model_monitor.churn_endpoint(sm, s3, model_monitor.capture_config(prefix))
    header, _, validation = hosting.churn_split()
    features = hosting.feature_rows(validation[:ROWS], header)
    model_monitor.invoke_all(s3, runtime, run_id, endpoint_name, features, len(features))
    config = put_config(s3, run_id, "shap.json", explainability_config([h for h in header if h != "churn"], features[0]))

    def run(name, constraints=None):
        explainability_definition(sm, name, endpoint_name, prefix, config, constraints)
        schedule_now(sm, name, name, "ModelExplainability")
        return model_monitor.finished_execution(sm, name, timeout=120)

    first = f"plain-{run_id}"
    assert run(first)["MonitoringExecutionStatus"] == "Completed"
    analysis = model_monitor.report(s3, run_id, endpoint_name, first, "analysis.json")
    values = analysis["explanations"]["kernel_shap"]["label0"]["global_shap_values"]

    # The first run's own analysis as the baseline: the ranking holds, no violation.
    same = f"same-{run_id}"
    execution = run(same, put_config(s3, run_id, "same-baseline.json", analysis))
    assert execution["MonitoringExecutionStatus"] == "Completed", execution
    assert model_monitor.report(s3, run_id, endpoint_name, same, "constraint_violations.json")["violations"] == []

    # A baseline that ranks the features the other way round: the current top features were its least important.
    ranked = sorted(values, key=values.get, reverse=True)
    reversed_values = {feature: values[ranked[-1 - i]] for i, feature in enumerate(ranked)}
    flipped = f"flipped-{run_id}"
    baseline = {"version": "1.0", "explanations": {"kernel_shap": {"label0": {"global_shap_values": reversed_values, "expected_value": 0.5}}}}
    execution = run(flipped, put_config(s3, run_id, "flipped-baseline.json", baseline))
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution
    violations = model_monitor.report(s3, run_id, endpoint_name, flipped, "constraint_violations.json")["violations"]
    assert [(v["constraint_check_type"], v["metric_name"], v["label"]) for v in violations] == [("feature_attribution_drift_check", "shap", "label0")], violations

    def dcg(scores):
        return sum(score / math.log2(i + 2) for i, score in enumerate(scores))

    # The execution ranks by its own attributions (the endpoint's traffic now also holds the earlier runs' SHAP calls).
    current = model_monitor.report(s3, run_id, endpoint_name, flipped, "analysis.json")["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    ranking = sorted(current, key=current.get, reverse=True)
    ndcg = dcg([reversed_values[f] for f in ranking]) / dcg(sorted(reversed_values.values(), reverse=True))
    reported = float(violations[0]["description"].split("drift ")[1].split(" ")[0])
    assert ndcg < 0.9 and abs(reported - ndcg) < 1e-9, (ndcg, violations)


def test_bad_definitions_are_refused_and_nothing_is_stored(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    header, _, validation = hosting.churn_split()
    features = [h for h in header if h != "churn"]
    captured = model_monitor.churn_endpoint(sm, s3, model_monitor.capture_config(prefix))
    good_bias = put_config(s3, run_id, "bias.json", bias_config(header))

    cases = [
        ("missing", lambda name: bias_definition(sm, name, captured, prefix, f"{prefix}/config/absent.json"), "Could not read the analysis config"),
        ("malformed", lambda name: bias_definition(sm, name, captured, prefix, put_config(s3, run_id, "malformed.json", "{not json")), "not valid JSON"),
        ("badlabel", lambda name: bias_definition(sm, name, captured, prefix, put_config(s3, run_id, "badlabel.json", dict(bias_config(header), label="churned"))), "label 'churned'"),
        ("badfacet", lambda name: bias_definition(sm, name, captured, prefix, put_config(s3, run_id, "badfacet.json", dict(bias_config(header), facet=[{"name_or_index": "planet"}]))), "facet 'planet'"),
        ("nolabel", lambda name: bias_definition(sm, name, captured, prefix, put_config(s3, run_id, "nolabel.json", {k: v for k, v in bias_config(header).items() if k != "label"})), "label is required"),
        ("nofacet", lambda name: bias_definition(sm, name, captured, prefix, put_config(s3, run_id, "nofacet.json", {k: v for k, v in bias_config(header).items() if k != "facet"})), "facet is required"),
        ("noshap", lambda name: explainability_definition(sm, name, captured, prefix, put_config(s3, run_id, "noshap.json", {"headers": features, "methods": {"report": {"name": "r"}}})), "methods"),
        ("noendpoint", lambda name: bias_definition(sm, name, f"no-such-endpoint-{run_id}", prefix, good_bias), "Could not find endpoint"),
        ("uncaptured", lambda name: bias_definition(sm, name, model_monitor.churn_endpoint(sm, s3), prefix, good_bias), "does not capture"),
    ]
    for case, create, message in cases:
        name = f"{case}-{run_id}"
        hosting.expect_error(lambda: create(name), "ValidationException", 400, message)
        hosting.expect_error(lambda: sm.describe_model_bias_job_definition(JobDefinitionName=name), "ResourceNotFound", 400)
        hosting.expect_error(lambda: sm.describe_model_explainability_job_definition(JobDefinitionName=name), "ResourceNotFound", 400)
    assert sm.list_model_bias_job_definitions(NameContains=run_id)["JobDefinitionSummaries"] == []
    assert sm.list_model_explainability_job_definitions(NameContains=run_id)["JobDefinitionSummaries"] == []

    bias_definition(sm, f"ok-{run_id}", captured, prefix, good_bias)
    hosting.expect_error(lambda: bias_definition(sm, f"ok-{run_id}", captured, prefix, good_bias), "ResourceInUse", 400)
    sm.delete_model_bias_job_definition(JobDefinitionName=f"ok-{run_id}")


def ndcg(baseline, current):
    """SageMaker's feature attribution drift: features ranked by current attribution, each gaining its baseline attribution."""
    gain = {f: abs(v) for f, v in baseline.items()}
    ideal = sum(v / math.log2(i + 2) for i, v in enumerate(sorted(gain.values(), reverse=True)))
    ranked = sorted(gain, key=lambda f: (-abs(current[f]), f))
    return sum(gain[f] / math.log2(i + 2) for i, f in enumerate(ranked)) / ideal


def explain_schedule(sm, s3, runtime, run_id, model, config_uri, constraints, rows):
    """An endpoint of the model capturing under {run_id}/, the rows sent to it, and a NOW explainability schedule on it."""
    prefix = f"s3://{BUCKET}/{run_id}"
    endpoint_name = hosting.deploy(sm, [hosting.variant("AllTraffic", model)], capture=model_monitor.capture_config(prefix))
    model_monitor.invoke_all(s3, runtime, run_id, endpoint_name, rows, len(rows))
    name = f"explain-{run_id}"
    sm.create_model_explainability_job_definition(
        JobDefinitionName=name, RoleArn=ROLE, JobResources=RESOURCES,
        ModelExplainabilityAppSpecification={"ImageUri": CLARIFY, "ConfigUri": config_uri},
        ModelExplainabilityBaselineConfig={"ConstraintsResource": {"S3Uri": constraints}},
        ModelExplainabilityJobInput={"EndpointInput": {"EndpointName": endpoint_name, "LocalPath": "/opt/ml/processing/input/endpoint"}},
        ModelExplainabilityJobOutputConfig=outputs(prefix), StoppingCondition={"MaxRuntimeInSeconds": 1800})
    schedule_now(sm, name, name, "ModelExplainability")
    return endpoint_name, name


def test_explainability_monitor_flags_feature_attribution_drift(endpoint):
    sm, s3, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-runtime", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    model = hosting.create_model(sm, hosting.trained_churn_model(sm, s3))
    header, train, validation = hosting.churn_split()
    feature_names = [h for h in header if h != "churn"]
    background = hosting.feature_rows(validation[:1], header)[0]
    config = explainability_config(feature_names, background)

    # The baseline: Clarify's global SHAP values of the model (predictor.model_name) on training rows.
    monitoring.put_csv(s3, f"{run_id}/baseline-data/data.csv", feature_names, hosting.feature_rows(train[:40], header))
    config_uri = put_config(s3, run_id, "shap.json", config)
    put_config(s3, run_id, "baseline/analysis_config.json", dict(config, dataset_type="text/csv",
                                                                   predictor={"model_name": model, "content_type": "text/csv", "accept_type": "text/csv"}))
    job = monitoring.run(sm, f"explain-baseline-{run_id}", CLARIFY,
                         [monitoring.s3_input("dataset", f"{prefix}/baseline-data/data.csv", "/opt/ml/processing/input/data"),
                          monitoring.s3_input("analysis_config", f"{prefix}/config/baseline/analysis_config.json", "/opt/ml/processing/input/config")],
                         f"{prefix}/baseline-out", output_name="analysis_result")
    assert job["ProcessingJobStatus"] == "Completed", job
    constraints = f"{prefix}/baseline-out/analysis.json"
    baseline = monitoring.read_json(s3, f"{run_id}/baseline-out/analysis.json")["explanations"]["kernel_shap"]["label0"]["global_shap_values"]

    # Same distribution: other rows of the same data. Drifted: the three most important features held at the
    # background row's values, so they explain nothing and the ranking changes at its top.
    same_rows = hosting.feature_rows(validation[1:41], header)
    top = sorted(feature_names, key=lambda f: -baseline[f])[:3]
    drifted_rows = [[background[i] if feature_names[i] in top else cell for i, cell in enumerate(row)] for row in same_rows]
    same_endpoint, same = explain_schedule(sm, s3, runtime, f"{run_id}s", model, config_uri, constraints, same_rows)
    drift_endpoint, drift = explain_schedule(sm, s3, runtime, f"{run_id}d", model, config_uri, constraints, drifted_rows)
    described = sm.describe_model_explainability_job_definition(JobDefinitionName=drift)
    assert described["ModelExplainabilityBaselineConfig"]["ConstraintsResource"]["S3Uri"] == constraints, described

    execution = model_monitor.finished_execution(sm, drift, timeout=180)
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution
    current = model_monitor.report(s3, f"{run_id}d", drift_endpoint, drift, "analysis.json")["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    assert all(abs(current[f]) < 1e-6 for f in top), (top, current)
    expected = ndcg(baseline, current)
    assert expected < 0.9, expected
    violations = model_monitor.report(s3, f"{run_id}d", drift_endpoint, drift, "constraint_violations.json")["violations"]
    assert [(v["label"], v["metric_name"], v["constraint_check_type"]) for v in violations] == [("label0", "shap", "feature_attribution_drift_check")], violations
    reported = float(violations[0]["description"].split("Feature attribution drift ")[1].split(" ")[0])
    assert abs(reported - expected) < 1e-9 and violations[0]["description"].endswith("exceeds threshold 0.9"), (violations, expected)

    execution = model_monitor.finished_execution(sm, same, timeout=180)
    assert execution["MonitoringExecutionStatus"] == "Completed", execution
    current = model_monitor.report(s3, f"{run_id}s", same_endpoint, same, "analysis.json")["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    assert ndcg(baseline, current) >= 0.9, ndcg(baseline, current)
    assert model_monitor.report(s3, f"{run_id}s", same_endpoint, same, "constraint_violations.json")["violations"] == []


def test_clarify_post_training_bias_runs_predictions_through_a_named_model(endpoint):
    sm, s3, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-runtime", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    model = hosting.create_model(sm, hosting.trained_churn_model(sm, s3))
    header, _, validation = hosting.churn_split()
    rows = validation[:80]
    background = hosting.feature_rows(validation[80:81], header)[0]
    monitoring.put_csv(s3, f"{run_id}/data/data.csv", header, rows)
    put_config(s3, run_id, "analysis_config.json", {
        "dataset_type": "text/csv", "headers": header, "label": "churn", "label_values_or_threshold": ["yes"],
        "facet": [{"name_or_index": FACET, "value_or_threshold": ["yes"]}], "probability_threshold": 0.5,
        "predictor": {"model_name": model, "instance_type": "ml.m5.xlarge", "initial_instance_count": 1, "content_type": "text/csv", "accept_type": "text/csv"},
        "methods": {"post_training_bias": {"methods": ["DPPL", "DI"]},
                    "shap": {"baseline": [background], "num_samples": 40, "agg_method": "mean_abs", "save_local_shap_values": True, "seed": 1}}})
    job = monitoring.run(sm, f"clarify-model-name-{run_id}", CLARIFY,
                         [monitoring.s3_input("dataset", f"{prefix}/data/data.csv", "/opt/ml/processing/input/data"),
                          monitoring.s3_input("analysis_config", f"{prefix}/config/analysis_config.json", "/opt/ml/processing/input/config")],
                         f"{prefix}/out", output_name="analysis_result")
    assert job["ProcessingJobStatus"] == "Completed", job
    analysis = monitoring.read_json(s3, f"{run_id}/out/analysis.json")
    metrics = {m["name"]: m["value"] for m in analysis["post_training_bias_metrics"]["facets"][FACET][0]["metrics"]}

    # The same model behind an endpoint (the config never names it) gives the predictions to check against.
    endpoint_name = hosting.deploy(sm, [hosting.variant("AllTraffic", model)])
    features = hosting.feature_rows(rows, header)
    scores = [float(line) for line in runtime.invoke_endpoint(EndpointName=endpoint_name, ContentType="text/csv",
              Body="\n".join(hosting.csv_line(row) for row in features).encode())["Body"].read().decode().split()]
    predicted = [score > 0.5 for score in scores]
    facet = [row[header.index(FACET)] == "yes" for row in rows]
    assert any(facet) and not all(facet) and any(predicted) and not all(predicted)
    q_a = sum(p for p, f in zip(predicted, facet) if not f) / sum(1 for f in facet if not f)
    q_d = sum(p for p, f in zip(predicted, facet) if f) / sum(1 for f in facet if f)
    assert abs(metrics["DPPL"] - (q_a - q_d)) < 1e-9, (metrics, q_a, q_d)
    if q_a > 0:
        assert abs(metrics["DI"] - q_d / q_a) < 1e-9, (metrics, q_a, q_d)

    # SHAP through the named model: the expected value is the model's score of the background row, each row's local
    # attributions add up to its score minus that, and the global values are the mean absolute local ones.
    background_score = float(runtime.invoke_endpoint(EndpointName=endpoint_name, ContentType="text/csv",
                                                     Body=hosting.csv_line(background).encode())["Body"].read().decode().split()[0])
    shap = analysis["explanations"]["kernel_shap"]["label0"]
    assert abs(shap["expected_value"] - background_score) < 1e-6, (shap["expected_value"], background_score)
    local = list(csv.reader(io.StringIO(s3.get_object(Bucket=BUCKET, Key=f"{run_id}/out/explanations_shap/out.csv")["Body"].read().decode())))
    feature_names = [h for h in header if h != "churn"]
    assert local[0] == feature_names and len(local) == len(rows) + 1, local[:2]
    values = [[float(cell) for cell in row] for row in local[1:]]
    for score, attributions in zip(scores, values):
        assert abs(sum(attributions) - (score - background_score)) < 1e-6, (score, background_score, attributions)
    for j, feature in enumerate(feature_names):
        mean_abs = sum(abs(row[j]) for row in values) / len(values)
        assert abs(shap["global_shap_values"][feature] - mean_abs) < 1e-9, (feature, shap["global_shap_values"][feature], mean_abs)
    assert any(abs(v) > 1e-6 for v in shap["global_shap_values"].values()), shap

    put_config(s3, run_id, "missing.json", {
        "dataset_type": "text/csv", "headers": header, "label": "churn", "label_values_or_threshold": ["yes"],
        "facet": [{"name_or_index": FACET, "value_or_threshold": ["yes"]}],
        "predictor": {"model_name": f"no-such-model-{run_id}", "content_type": "text/csv"}, "methods": {"post_training_bias": {"methods": ["DPPL"]}}})
    failed = monitoring.run(sm, f"clarify-no-model-{run_id}", CLARIFY,
                            [monitoring.s3_input("dataset", f"{prefix}/data/data.csv", "/opt/ml/processing/input/data"),
                             monitoring.s3_input("analysis_config", f"{prefix}/config/missing.json", "/opt/ml/processing/input/config")],
                            f"{prefix}/out-missing", output_name="analysis_result")
    assert failed["ProcessingJobStatus"] == "Failed" and f"no-such-model-{run_id}" in failed["FailureReason"], failed


if __name__ == "__main__":
    main({name: value for name, value in globals().items() if name.startswith("test_")})
