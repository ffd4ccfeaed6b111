"""Pipelines, processing jobs and the model registry through boto3, on the churn data.

The churn pipeline (samples/pipelines/churn): Processing (split) -> Training -> Processing (evaluate,
writes evaluation.json) -> Condition (AUC >= threshold) -> RegisterModel, else Fail.
"""
import hashlib
import json
import os
import sys
import time
import urllib.parse
import urllib.request
import uuid

import botocore.exceptions

from kiln_boto import client, main

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
sys.path.insert(0, os.path.join(ROOT, "samples", "pipelines", "churn"))
import pipeline as churn  # noqa: E402

BUCKET = "kiln-pipelines"
ROLE = churn.ROLE


def token():
    return uuid.uuid4().hex


def expect_error(code, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == code, f"expected {code}, got {e.response['Error']}"
        return e.response["Error"]["Message"]
    raise AssertionError(f"expected {code}, but the call succeeded")


def steps_of(sm, arn):
    return {step["StepName"]: step for step in sm.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]}


def setup(endpoint, group, pipeline_name, endpoint_name=None):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    churn.upload(s3, BUCKET)
    tags = [{"Key": "kiln.deploy.endpoint", "Value": endpoint_name}] if endpoint_name else []
    sm.create_model_package_group(ModelPackageGroupName=group, ModelPackageGroupDescription="churn models", Tags=tags)
    arn = sm.create_pipeline(PipelineName=pipeline_name, PipelineDefinition=json.dumps(churn.definition(BUCKET, group)),
                             RoleArn=ROLE, ClientRequestToken=token())["PipelineArn"]
    assert arn.endswith(f":pipeline/{pipeline_name}"), arn
    return sm, s3


def test_churn_pipeline_registers_deploys_on_approval_and_reruns_from_cache(endpoint):
    group, name = "churn-" + uuid.uuid4().hex[:6], "churn-" + uuid.uuid4().hex[:6]
    sm, s3 = setup(endpoint, group, name, endpoint_name=f"{group}-prod")
    runtime = client("sagemaker-runtime", endpoint)

    first = sm.start_pipeline_execution(PipelineName=name, PipelineExecutionDisplayName="first", ClientRequestToken=token())["PipelineExecutionArn"]
    assert churn.wait(sm, first) == "Succeeded", sm.describe_pipeline_execution(PipelineExecutionArn=first)
    steps = steps_of(sm, first)
    assert set(steps) == {"SplitData", "TrainModel", "EvaluateModel", "CheckAuc", "RegisterChurnModel"}, steps.keys()
    assert all(step["StepStatus"] == "Succeeded" for step in steps.values()), steps
    assert all("CacheHitResult" not in step for step in steps.values())
    assert steps["CheckAuc"]["Metadata"]["Condition"]["Outcome"] == "True"
    training = sm.describe_training_job(TrainingJobName=steps["TrainModel"]["Metadata"]["TrainingJob"]["Arn"].split("/")[-1])
    assert training["TrainingJobStatus"] == "Completed"
    assert training["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == f"s3://{BUCKET}/churn/split/train"
    evaluation = json.loads(s3.get_object(Bucket=BUCKET, Key="churn/evaluation/evaluation.json")["Body"].read())
    auc = evaluation["binary_classification_metrics"]["auc"]["value"]
    assert auc >= 0.75, evaluation

    packages = sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    assert len(packages) == 1 and packages[0]["ModelApprovalStatus"] == "PendingManualApproval", packages
    package_arn = packages[0]["ModelPackageArn"]
    assert steps["RegisterChurnModel"]["Metadata"]["RegisterModel"]["Arn"] == package_arn
    package = sm.describe_model_package(ModelPackageName=package_arn)
    assert package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == training["ModelArtifacts"]["S3ModelArtifacts"]
    assert package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"] == f"s3://{BUCKET}/churn/evaluation/evaluation.json"
    assert package["CustomerMetadataProperties"]["pipeline_execution"] == first.split("/")[-1]
    expect_error("ValidationException", sm.describe_endpoint, EndpointName=f"{group}-prod")

    # Approval is the event that deploys: the group's kiln.deploy.endpoint tag names the endpoint.
    sm.update_model_package(ModelPackageArn=package_arn, ModelApprovalStatus="Approved", ApprovalDescription="AUC above the bar")
    approved = sm.describe_model_package(ModelPackageName=package_arn)
    assert approved["ModelApprovalStatus"] == "Approved" and approved["ApprovalDescription"] == "AUC above the bar"
    assert approved["LastModifiedBy"]["UserProfileName"] == "AKIAKILNTEST0000000"
    sm.get_waiter("endpoint_in_service").wait(EndpointName=f"{group}-prod", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    config = sm.describe_endpoint_config(EndpointConfigName=sm.describe_endpoint(EndpointName=f"{group}-prod")["EndpointConfigName"])
    model = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    assert model["PrimaryContainer"]["ModelDataUrl"] == training["ModelArtifacts"]["S3ModelArtifacts"]
    loyal = "128,0,1,25,265.1,110,45.07,197.4,99,16.78,244.7,91,11.01,10.0,3,2.7,1,0,1,0"
    leaving = "10,1,0,0,300,110,55,250,99,20,244.7,91,11.01,15.0,3,4.0,5,0,1,0"
    scores = [float(line) for line in runtime.invoke_endpoint(EndpointName=f"{group}-prod", ContentType="text/csv", Body=f"{loyal}\n{leaving}")["Body"].read().decode().split()]
    assert 0 < scores[0] < 0.5 < scores[1] < 1, scores
    approvals = json.loads(urllib.request.urlopen(f"{endpoint}/api/kiln/model-packages/{group}/1").read())
    assert approvals["approvals"][-1]["status"] == "Approved" and approvals["approvals"][-1]["by"] == "AKIAKILNTEST0000000", approvals
    assert approvals["deployments"][0]["target"] == f"{group}-prod" and approvals["deployments"][0]["succeeded"], approvals

    # Lineage, for a data deletion request: everything downstream of the churn data, down to the endpoint.
    churn_csv = open(os.path.join(ROOT, "samples", "data", "churn.csv"), "rb").read()
    data_hash = "sha256:" + hashlib.sha256(b"churn.csv\n" + churn_csv).hexdigest()
    datasets = sm.list_artifacts(SourceUri=f"s3://{BUCKET}/churn/data/churn.csv")["ArtifactSummaries"]
    dataset = next(a for a in datasets if a["Source"]["SourceTypes"][0]["Value"] == data_hash)
    assert dataset["ArtifactType"] == "DataSet"
    downstream = sm.query_lineage(StartArns=[dataset["ArtifactArn"]], Direction="Descendants", IncludeEdges=True)
    arns = {v["Arn"]: v for v in downstream["Vertices"]}
    assert package_arn in arns and arns[package_arn]["Type"] == "ModelPackage", arns.keys()
    endpoints = [v for v in downstream["Vertices"] if v["Type"] == "Endpoint"]
    context = sm.list_contexts(SourceUri=f"arn:aws:sagemaker:us-east-1:000000000000:endpoint/{group}-prod")["ContextSummaries"]
    assert [e["Arn"] for e in endpoints] == [context[0]["ContextArn"]], (endpoints, context)
    assert any(edge["SourceArn"] == package_arn and edge["DestinationArn"] == context[0]["ContextArn"] for edge in downstream["Edges"])
    # ... and for an audit: the data, code and config behind what the endpoint serves.
    upstream = sm.query_lineage(StartArns=[context[0]["ContextArn"]], Direction="Ascendants", Filters={"Types": ["DataSet", "Code", "TrainingJob"]})
    found = {}
    for vertex in upstream["Vertices"]:
        if vertex["LineageType"] == "Artifact":
            artifact = sm.describe_artifact(ArtifactArn=vertex["Arn"])
            found.setdefault(vertex["Type"], {})[artifact["Source"]["SourceUri"]] = artifact
        else:
            found.setdefault(vertex["Type"], {})[vertex["Arn"]] = vertex
    assert found["DataSet"][f"s3://{BUCKET}/churn/data/churn.csv"]["Source"]["SourceTypes"][0]["Value"] == data_hash
    train_code = found["Code"][f"s3://{BUCKET}/churn/code/train/"]
    assert train_code["Source"]["SourceTypes"][0]["Value"] == "sha256:" + hashlib.sha256(b"train.py\n" + open(os.path.join(HERE, "..", "..", "..", "samples", "pipelines", "churn", "train.py"), "rb").read()).hexdigest()
    stored = train_code["Properties"]["StoredCopy"]
    assert s3.head_object(Bucket=stored.split("/")[2], Key=stored.split("/", 3)[3])["ContentLength"] > 0
    assert f"s3://{BUCKET}/churn/code/split.py" in found["Code"]
    assert [arn.split("/")[-1] for arn in found["TrainingJob"]] == [training["TrainingJobName"] + "-aws-training-job"]

    # The same pipeline again, unchanged: the three job steps are cache hits pointing at the first run.
    second = sm.start_pipeline_execution(PipelineName=name, ClientRequestToken=token())["PipelineExecutionArn"]
    assert churn.wait(sm, second) == "Succeeded"
    steps = steps_of(sm, second)
    for cached in ("SplitData", "TrainModel", "EvaluateModel"):
        assert steps[cached]["CacheHitResult"]["SourcePipelineExecutionArn"] == first, steps[cached]
    assert "CacheHitResult" not in steps["CheckAuc"] and "CacheHitResult" not in steps["RegisterChurnModel"]
    assert len(sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]) == 2
    executions = sm.list_pipeline_executions(PipelineName=name, SortOrder="Ascending")["PipelineExecutionSummaries"]
    assert [e["PipelineExecutionArn"] for e in executions] == [first, second]
    assert executions[0]["PipelineExecutionDisplayName"] == "first"


def test_low_auc_takes_the_fail_branch(endpoint):
    group, name = "churn-" + uuid.uuid4().hex[:6], "churn-" + uuid.uuid4().hex[:6]
    sm, _ = setup(endpoint, group, name)
    arn = sm.start_pipeline_execution(PipelineName=name, PipelineParameters=[{"Name": "AucThreshold", "Value": "0.999"}],
                                      ClientRequestToken=token())["PipelineExecutionArn"]
    assert churn.wait(sm, arn) == "Failed"
    described = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
    assert described["FailureReason"] == "The model's test AUC is below the threshold 0.999", described
    steps = steps_of(sm, arn)
    assert steps["CheckAuc"]["Metadata"]["Condition"]["Outcome"] == "False"
    assert steps["AucTooLow"]["StepStatus"] == "Failed" and steps["AucTooLow"]["Metadata"]["Fail"]["ErrorMessage"] == described["FailureReason"]
    assert "RegisterChurnModel" not in steps
    assert sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"] == []


def test_restart_phase_start(endpoint):
    """Phase one of the restart test: start, and return once a step's job is running (the server is then killed)."""
    sm, _ = setup(endpoint, "churn-restart", "churn-restart")
    arn = sm.start_pipeline_execution(PipelineName="churn-restart", ClientRequestToken=token())["PipelineExecutionArn"]
    deadline = time.time() + 60
    while time.time() < deadline:
        steps = steps_of(sm, arn)
        if steps.get("SplitData", {}).get("StepStatus") == "Executing":
            try:
                job = sm.describe_processing_job(ProcessingJobName=steps["SplitData"]["Metadata"]["ProcessingJob"]["Arn"].split("/")[-1])
            except sm.exceptions.ResourceNotFound:
                continue  # the step has named its job and is creating it
            if job["ProcessingJobStatus"] == "InProgress":
                return
        time.sleep(0.05)
    raise AssertionError(f"SplitData never ran: {steps_of(sm, arn)}")


def test_restart_phase_finish(endpoint):
    """Phase two, on the restarted server: the same execution carries on and completes."""
    sm = client("sagemaker", endpoint)
    executions = sm.list_pipeline_executions(PipelineName="churn-restart")["PipelineExecutionSummaries"]
    assert len(executions) == 1, executions
    arn = executions[0]["PipelineExecutionArn"]
    assert churn.wait(sm, arn, timeout=300) == "Succeeded", sm.describe_pipeline_execution(PipelineExecutionArn=arn)
    steps = steps_of(sm, arn)
    assert all(step["StepStatus"] == "Succeeded" for step in steps.values()) and len(steps) == 5, steps
    assert len(sm.list_model_packages(ModelPackageGroupName="churn-restart")["ModelPackageSummaryList"]) == 1


def test_stop_and_retry(endpoint):
    group, name = "churn-" + uuid.uuid4().hex[:6], "churn-" + uuid.uuid4().hex[:6]
    sm, s3 = setup(endpoint, group, name)
    # Input that isn't there yet: the split step fails; once it is uploaded, a retry runs on from there.
    missing = f"s3://{BUCKET}/churn/later/{uuid.uuid4().hex}.csv"
    arn = sm.start_pipeline_execution(PipelineName=name, PipelineParameters=[{"Name": "InputData", "Value": missing}], ClientRequestToken=token())["PipelineExecutionArn"]
    assert churn.wait(sm, arn) == "Failed"
    assert "SplitData" in sm.describe_pipeline_execution(PipelineExecutionArn=arn)["FailureReason"]
    with open(os.path.join(ROOT, "samples", "data", "churn.csv"), "rb") as f:
        s3.put_object(Bucket=BUCKET, Key=missing.split("/", 3)[3], Body=f.read())
    sm.retry_pipeline_execution(PipelineExecutionArn=arn, ClientRequestToken=token())
    assert churn.wait(sm, arn) == "Succeeded"
    assert steps_of(sm, arn)["SplitData"]["AttemptCount"] >= 1
    expect_error("ValidationException", sm.retry_pipeline_execution, PipelineExecutionArn=arn, ClientRequestToken=token())

    # Stop while the first job runs: the job is stopped too.
    other = sm.start_pipeline_execution(PipelineName=name, PipelineParameters=[{"Name": "RegularizationC", "Value": "0.5"}, {"Name": "InputData", "Value": missing}],
                                        ClientRequestToken=token())["PipelineExecutionArn"]
    deadline = time.time() + 60
    while time.time() < deadline and steps_of(sm, other).get("TrainModel", {}).get("StepStatus") != "Executing":
        time.sleep(0.05)
    sm.stop_pipeline_execution(PipelineExecutionArn=other, ClientRequestToken=token())
    assert churn.wait(sm, other) == "Stopped"
    train = steps_of(sm, other)["TrainModel"]
    assert train["StepStatus"] == "Stopped", train
    job = sm.describe_training_job(TrainingJobName=train["Metadata"]["TrainingJob"]["Arn"].split("/")[-1])
    assert job["TrainingJobStatus"] in ("Stopped", "Completed"), job["TrainingJobStatus"]


def test_bad_definitions_are_validation_exceptions_and_create_nothing(endpoint):
    sm = client("sagemaker", endpoint)
    good = churn.definition(BUCKET, "churn-bad")

    def variant(change):
        body = json.loads(json.dumps(good))
        change(body)
        return body

    def cycle(body):
        body["Steps"][0]["DependsOn"] = ["EvaluateModel"]

    def unknown_step(body):
        body["Steps"][1]["Arguments"]["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = {"Get": "Steps.Splitt.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"}

    def unknown_property(body):
        body["Steps"][2]["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"] = {"Get": "Steps.TrainModel.ModelArtifacts.S3ModelArtifactz"}

    def wrong_parameter_type(body):
        body["Parameters"][1]["DefaultValue"] = "high"

    def unknown_step_type(body):
        body["Steps"][0]["Type"] = "Crunch"

    def unknown_parameter(body):
        body["Steps"][0]["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"] = {"Get": "Parameters.NoSuchThing"}

    def unknown_property_file(body):
        body["Steps"][3]["Arguments"]["Conditions"][0]["LeftValue"]["Std:JsonGet"]["PropertyFile"] = {"Get": "Steps.EvaluateModel.PropertyFiles.Nope"}

    def bad_condition(body):
        body["Steps"][3]["Arguments"]["Conditions"][0]["Type"] = "Bigger"

    def duplicate_name(body):
        body["Steps"][1]["Name"] = "SplitData"

    cases = {
        cycle: ["cycle", "SplitData", "EvaluateModel"],
        unknown_step: ["Steps[1].Arguments.InputDataConfig[0].DataSource.S3DataSource.S3Uri", "Splitt"],
        unknown_property: ["Steps[2].Arguments.ProcessingInputs[0].S3Input.S3Uri", "S3ModelArtifactz"],
        wrong_parameter_type: ["Parameters[1]", "AucThreshold", "Float"],
        unknown_step_type: ["Steps[0]", "Crunch"],
        unknown_parameter: ["NoSuchThing"],
        unknown_property_file: ["Nope"],
        bad_condition: ["Conditions[0]", "Bigger"],
        duplicate_name: ["SplitData", "more than once"],
    }
    for change, words in cases.items():
        message = expect_error("ValidationException", sm.create_pipeline, PipelineName="bad-" + change.__name__.replace("_", "-"),
                               PipelineDefinition=json.dumps(variant(change)), RoleArn=ROLE, ClientRequestToken=token())
        for word in words:
            assert word in message, f"{change.__name__}: '{word}' not in: {message}"
    expect_error("ValidationException", sm.create_pipeline, PipelineName="bad-json", PipelineDefinition="{not json", RoleArn=ROLE, ClientRequestToken=token())
    expect_error("ValidationException", sm.create_pipeline, PipelineName="bad-version", PipelineDefinition=json.dumps({**good, "Version": "2019-01-01"}), RoleArn=ROLE, ClientRequestToken=token())
    names = [p["PipelineName"] for p in sm.list_pipelines(MaxResults=100)["PipelineSummaries"]]
    assert not any(name.startswith("bad-") for name in names), names

    # A good pipeline, then bad starts and a bad update: the pipeline and its definition are unchanged.
    sm.create_model_package_group(ModelPackageGroupName="churn-bad")
    sm.create_pipeline(PipelineName="good-one", PipelineDefinition=json.dumps(good), RoleArn=ROLE, ClientRequestToken=token())
    assert "Float" in expect_error("ValidationException", sm.start_pipeline_execution, PipelineName="good-one",
                                   PipelineParameters=[{"Name": "AucThreshold", "Value": "very"}], ClientRequestToken=token())
    assert "Nope" in expect_error("ValidationException", sm.start_pipeline_execution, PipelineName="good-one",
                                  PipelineParameters=[{"Name": "Nope", "Value": "1"}], ClientRequestToken=token())
    expect_error("ValidationException", sm.update_pipeline, PipelineName="good-one", PipelineDefinition=json.dumps(variant(cycle)))
    assert json.loads(sm.describe_pipeline(PipelineName="good-one")["PipelineDefinition"]) == good
    assert sm.list_pipeline_executions(PipelineName="good-one")["PipelineExecutionSummaries"] == []
    expect_error("ResourceNotFound", sm.describe_pipeline, PipelineName="no-such-pipeline")
    assert "already exists" in expect_error("ValidationException", sm.create_pipeline, PipelineName="good-one", PipelineDefinition=json.dumps(good), RoleArn=ROLE, ClientRequestToken=token())


def test_approval_starts_the_configured_pipeline(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    s3.put_object(Bucket=BUCKET, Key="approval/model.tar.gz", Body=b"model bytes")
    suffix = uuid.uuid4().hex[:6]
    pipeline, group = f"deploy-{suffix}", f"approved-{suffix}"
    # A pipeline that fails unless it is given a package: it checks the parameter approval passes.
    definition = {"Version": "2020-12-01", "Parameters": [{"Name": "ModelPackageArn", "Type": "String", "DefaultValue": "none"}],
                  "Steps": [{"Name": "HasPackage", "Type": "Condition", "Arguments": {
                      "Conditions": [{"Type": "Equals", "LeftValue": {"Get": "Parameters.ModelPackageArn"}, "RightValue": "none"}],
                      "IfSteps": [{"Name": "NoPackage", "Type": "Fail", "Arguments": {"ErrorMessage": "started without a package"}}], "ElseSteps": []}}]}
    sm.create_pipeline(PipelineName=pipeline, PipelineDefinition=json.dumps(definition), RoleArn=ROLE, ClientRequestToken=token())
    sm.create_model_package_group(ModelPackageGroupName=group, Tags=[{"Key": "kiln.deploy.pipeline", "Value": pipeline}])
    arn = sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification={"Containers": [{"Image": "x", "ModelDataUrl": f"s3://{BUCKET}/approval/model.tar.gz"}]})["ModelPackageArn"]
    assert sm.list_pipeline_executions(PipelineName=pipeline)["PipelineExecutionSummaries"] == []
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="ship it")
    executions = sm.list_pipeline_executions(PipelineName=pipeline)["PipelineExecutionSummaries"]
    assert len(executions) == 1, executions
    assert churn.wait(sm, executions[0]["PipelineExecutionArn"]) == "Succeeded"
    assert steps_of(sm, executions[0]["PipelineExecutionArn"])["HasPackage"]["Metadata"]["Condition"]["Outcome"] == "False"
    record = json.loads(urllib.request.urlopen(f"{endpoint}/api/kiln/model-packages/{group}/1").read())
    assert record["deployments"][0]["kind"] == "Pipeline" and record["deployments"][0]["target"] == pipeline, record
    assert record["approvals"][-1]["description"] == "ship it"
    # Rejecting, then approving again, starts it again; a second update to Approved (no change) does not.
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    assert len(sm.list_pipeline_executions(PipelineName=pipeline)["PipelineExecutionSummaries"]) == 2


def test_tuning_model_and_transform_steps_then_delete(endpoint):
    """The other job steps: tune, train with the best trial's depth, make a model, batch-predict; then delete the pipeline."""
    from sagemaker_training import XGBOOST, breast_cancer_split, to_csv, upload_breast_cancer, xgboost_job
    from sagemaker_tuning import config, definition as tuning_definition
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    prefix = upload_breast_cancer(s3, BUCKET)
    try:
        s3.create_bucket(Bucket="kiln-tuning")  # where the tuning definition puts its trials' models
    except botocore.exceptions.ClientError:
        pass
    _, validation = breast_cancer_split()
    s3.put_object(Bucket=BUCKET, Key="batch/in/rows.csv", Body=to_csv([row[1:] for row in validation]))
    name = "steps-" + uuid.uuid4().hex[:6]
    train = xgboost_job("ignored", prefix, {"objective": "binary:logistic", "num_round": "20", "eval_metric": "auc",
                                            "max_depth": {"Get": "Steps.Tune.BestTrainingJob.TunedHyperParameters['max_depth']"}})
    del train["TrainingJobName"]
    body = {"Version": "2020-12-01", "Parameters": [], "Steps": [
        {"Name": "Tune", "Type": "Tuning", "Arguments": {"HyperParameterTuningJobConfig": config("Random", 2, 1), "TrainingJobDefinition": tuning_definition(prefix)}},
        {"Name": "Train", "Type": "Training", "Arguments": train},
        {"Name": "CreateModel", "Type": "Model", "Arguments": {"ExecutionRoleArn": ROLE, "PrimaryContainer": {
            "Image": XGBOOST, "ModelDataUrl": {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}}}},
        {"Name": "Predict", "Type": "Transform", "Arguments": {
            "ModelName": {"Get": "Steps.CreateModel.ModelName"},
            "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/batch/in/"}}, "ContentType": "text/csv", "SplitType": "Line"},
            "TransformOutput": {"S3OutputPath": {"Std:Join": {"On": "/", "Values": [f"s3://{BUCKET}/batch/out", {"Get": "Execution.PipelineExecutionId"}]}}, "AssembleWith": "Line"},
            "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}}]}
    sm.create_pipeline(PipelineName=name, PipelineDefinition=json.dumps(body), RoleArn=ROLE, ClientRequestToken=token())
    arn = sm.start_pipeline_execution(PipelineName=name, ClientRequestToken=token())["PipelineExecutionArn"]
    assert churn.wait(sm, arn) == "Succeeded", (sm.describe_pipeline_execution(PipelineExecutionArn=arn), steps_of(sm, arn))
    steps = steps_of(sm, arn)
    tuning = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=steps["Tune"]["Metadata"]["TuningJob"]["Arn"].split("/")[-1])
    training = sm.describe_training_job(TrainingJobName=steps["Train"]["Metadata"]["TrainingJob"]["Arn"].split("/")[-1])
    assert training["HyperParameters"]["max_depth"] == tuning["BestTrainingJob"]["TunedHyperParameters"]["max_depth"]
    model = sm.describe_model(ModelName=steps["CreateModel"]["Metadata"]["Model"]["Arn"].split("/")[-1])
    assert model["PrimaryContainer"]["ModelDataUrl"] == training["ModelArtifacts"]["S3ModelArtifacts"]
    transform = sm.describe_transform_job(TransformJobName=steps["Predict"]["Metadata"]["TransformJob"]["Arn"].split("/")[-1])
    assert transform["TransformJobStatus"] == "Completed" and transform["ModelName"] == model["ModelName"]
    scores = s3.get_object(Bucket=BUCKET, Key=f"batch/out/{arn.split('/')[-1]}/rows.csv.out")["Body"].read().decode().split()
    assert len(scores) == len(validation) and all(0 <= float(score) <= 1 for score in scores)

    assert sm.delete_pipeline(PipelineName=name, ClientRequestToken=token())["PipelineArn"].endswith(f":pipeline/{name}")
    expect_error("ResourceNotFound", sm.describe_pipeline, PipelineName=name)
    expect_error("ResourceNotFound", sm.delete_pipeline, PipelineName=name, ClientRequestToken=token())
    assert name not in [p["PipelineName"] for p in sm.list_pipelines(MaxResults=100)["PipelineSummaries"]]


def test_lineage_entities_and_queries(endpoint):
    sm = client("sagemaker", endpoint)
    raw = sm.create_artifact(ArtifactName="raw-data", ArtifactType="DataSet", Source={"SourceUri": "s3://lake/raw.csv", "SourceTypes": [{"SourceIdType": "MD5Hash", "Value": "abc"}]},
                             Properties={"owner": "data-team"})["ArtifactArn"]
    clean = sm.create_artifact(ArtifactType="DataSet", Source={"SourceUri": "s3://lake/clean.csv"})["ArtifactArn"]
    action = sm.create_action(ActionName="cleaning", ActionType="Cleaning", Source={"SourceUri": "s3://lake/clean.py"}, Status="Completed")["ActionArn"]
    context = sm.create_context(ContextName="lake-project", ContextType="Project", Source={"SourceUri": "kiln://projects/lake"})["ContextArn"]
    assert sm.describe_artifact(ArtifactArn=raw)["Properties"] == {"owner": "data-team"}
    assert sm.describe_action(ActionName="cleaning")["Status"] == "Completed"
    assert sm.describe_context(ContextName="lake-project")["ContextType"] == "Project"
    sm.add_association(SourceArn=raw, DestinationArn=action, AssociationType="ContributedTo")
    sm.add_association(SourceArn=action, DestinationArn=clean, AssociationType="Produced")
    sm.add_association(SourceArn=clean, DestinationArn=context, AssociationType="AssociatedWith")
    from_raw = sm.list_associations(SourceArn=raw)["AssociationSummaries"]
    assert [(a["DestinationArn"], a["AssociationType"], a["SourceName"], a["DestinationType"]) for a in from_raw] == [(action, "ContributedTo", "raw-data", "Cleaning")]
    down = sm.query_lineage(StartArns=[raw], Direction="Descendants", IncludeEdges=True)
    assert {v["Arn"] for v in down["Vertices"]} == {raw, action, clean, context}
    assert len(down["Edges"]) == 3
    assert {v["Arn"] for v in sm.query_lineage(StartArns=[raw], Direction="Descendants", MaxDepth=1)["Vertices"]} == {raw, action}
    only_artifacts = sm.query_lineage(StartArns=[context], Direction="Ascendants", Filters={"LineageTypes": ["Artifact"]})["Vertices"]
    assert {v["Arn"] for v in only_artifacts} == {raw, clean}
    assert {v["Arn"] for v in sm.query_lineage(StartArns=[clean], Direction="Both", Filters={"Properties": {"owner": "data-team"}})["Vertices"]} == {raw}

    sm.delete_association(SourceArn=action, DestinationArn=clean)
    assert {v["Arn"] for v in sm.query_lineage(StartArns=[raw], Direction="Descendants")["Vertices"]} == {raw, action}
    expect_error("ResourceNotFound", sm.delete_association, SourceArn=action, DestinationArn=clean)
    missing = "arn:aws:sagemaker:us-east-1:000000000000:artifact/ffffffffffffffffffffffffffffffff"
    expect_error("ResourceNotFound", sm.add_association, SourceArn=raw, DestinationArn=missing)
    expect_error("ResourceNotFound", sm.query_lineage, StartArns=[missing])
    expect_error("ValidationException", sm.add_association, SourceArn=raw, DestinationArn="arn:aws:sagemaker:us-east-1:000000000000:endpoint/x")
    expect_error("ValidationException", sm.query_lineage, StartArns=[raw], Filters={"LineageTypes": ["Dataset"]})
    expect_error("ValidationException", sm.create_action, ActionName="cleaning", ActionType="Cleaning", Source={"SourceUri": "x"})
    sm.delete_artifact(ArtifactArn=clean)
    expect_error("ResourceNotFound", sm.describe_artifact, ArtifactArn=clean)
    assert sm.list_associations(DestinationArn=context)["AssociationSummaries"] == []


def mlflow(endpoint, path, body=None, method=None):
    request = urllib.request.Request(f"{endpoint}/api/2.0/mlflow/{path}", data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method=method or ("GET" if body is None else "POST"))
    return json.loads(urllib.request.urlopen(request).read() or b"{}")


def test_mlflow_versions_are_model_packages_and_the_reverse(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    s3.put_object(Bucket=BUCKET, Key="registry/model.tar.gz", Body=b"not really a model")
    name = "shared-" + uuid.uuid4().hex[:6]

    # MLflow registers; SageMaker sees a group with a package, pending approval, and approves it.
    mlflow(endpoint, "registered-models/create", {"name": name, "description": "from mlflow"})
    version = mlflow(endpoint, "model-versions/create", {"name": name, "source": f"s3://{BUCKET}/registry/model.tar.gz", "description": "v1 from mlflow"})["model_version"]
    assert version["version"] == "1"
    group = sm.describe_model_package_group(ModelPackageGroupName=name)
    assert group["ModelPackageGroupDescription"] == "from mlflow"
    packages = sm.list_model_packages(ModelPackageGroupName=name)["ModelPackageSummaryList"]
    assert [(p["ModelPackageVersion"], p["ModelApprovalStatus"], p["ModelPackageDescription"]) for p in packages] == [(1, "PendingManualApproval", "v1 from mlflow")]
    package = sm.describe_model_package(ModelPackageName=packages[0]["ModelPackageArn"])
    assert package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == f"s3://{BUCKET}/registry/model.tar.gz"
    sm.update_model_package(ModelPackageArn=packages[0]["ModelPackageArn"], ModelApprovalStatus="Approved")
    tags = {t["key"]: t["value"] for t in mlflow(endpoint, f"model-versions/get?name={name}&version=1")["model_version"]["tags"]}
    assert tags["sagemaker.model_approval_status"] == "Approved", tags

    # SageMaker registers; MLflow sees version 2 and edits it; SageMaker sees the edit.
    arn = sm.create_model_package(ModelPackageGroupName=name, ModelPackageDescription="v2 from boto3", ModelApprovalStatus="PendingManualApproval",
                                  InferenceSpecification={"Containers": [{"Image": "kiln/onnx", "ModelDataUrl": f"s3://{BUCKET}/registry/model.tar.gz"}],
                                                          "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
                                  CustomerMetadataProperties={"team": "growth"})["ModelPackageArn"]
    assert arn.endswith(f"/{name}/2")
    versions = mlflow(endpoint, "model-versions/search?" + urllib.parse.urlencode({"filter": f"name='{name}'"}))["model_versions"]
    assert sorted(v["version"] for v in versions) == ["1", "2"]
    v2 = next(v for v in versions if v["version"] == "2")
    assert v2["description"] == "v2 from boto3" and v2["source"] == f"s3://{BUCKET}/registry/model.tar.gz"
    mlflow(endpoint, "model-versions/update", {"name": name, "version": "2", "description": "edited in mlflow"}, method="PATCH")
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["ModelPackageDescription"] == "edited in mlflow" and described["CustomerMetadataProperties"] == {"team": "growth"}
    assert [p["ModelApprovalStatus"] for p in sm.list_model_packages(ModelPackageGroupName=name, ModelApprovalStatus="Approved")["ModelPackageSummaryList"]] == ["Approved"]

    # Bad input: an unknown group, a package ARN that names no version, deleting a group that still has versions.
    expect_error("ValidationException", sm.create_model_package, ModelPackageGroupName="no-such-group",
                 InferenceSpecification={"Containers": [{"Image": "x", "ModelDataUrl": f"s3://{BUCKET}/registry/model.tar.gz"}]})
    expect_error("ValidationException", sm.describe_model_package, ModelPackageName=f"arn:aws:sagemaker:us-east-1:000000000000:model-package/{name}/99")
    expect_error("ValidationException", sm.update_model_package, ModelPackageArn=arn, ModelApprovalStatus="Maybe")
    expect_error("ResourceInUse", sm.delete_model_package_group, ModelPackageGroupName=name)
    expect_error("ValidationException", sm.create_model_package_group, ModelPackageGroupName=name)
    sm.delete_model_package(ModelPackageName=arn)
    assert len(sm.list_model_packages(ModelPackageGroupName=name)["ModelPackageSummaryList"]) == 1


def wait_processing(sm, name, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = sm.describe_processing_job(ProcessingJobName=name)
        if job["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return job
        time.sleep(0.3)
    raise TimeoutError(name)


def test_processing_jobs_alone(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    s3.put_object(Bucket=BUCKET, Key="proc/code/count.py", Body=(
        "import glob, json, os, sys\n"
        "rows = sum(1 for path in glob.glob(sys.argv[1] + '/*.csv') for _ in open(path)) - 1\n"
        "os.makedirs(sys.argv[2], exist_ok=True)\n"
        "json.dump({'rows': rows, 'mode': os.environ['MODE']}, open(os.path.join(sys.argv[2], 'count.json'), 'w'))\n"
        "print('counted', rows)\n").encode())
    s3.put_object(Bucket=BUCKET, Key="proc/code/sleep.py", Body=b"import time\ntime.sleep(120)\n")
    with open(os.path.join(ROOT, "samples", "data", "churn.csv"), "rb") as f:
        s3.put_object(Bucket=BUCKET, Key="proc/data/churn.csv", Body=f.read())

    def job(name, script, arguments, **extra):
        return sm.create_processing_job(
            ProcessingJobName=name, RoleArn=ROLE, ProcessingResources=churn.CLUSTER,
            AppSpecification={"ImageUri": churn.SKLEARN_IMAGE, "ContainerEntrypoint": ["python3", f"/opt/ml/processing/input/code/{script}"], "ContainerArguments": arguments},
            ProcessingInputs=[churn.s3_input("data", f"s3://{BUCKET}/proc/data", "/opt/ml/processing/input/data"),
                              churn.s3_input("code", f"s3://{BUCKET}/proc/code", "/opt/ml/processing/input/code")],
            ProcessingOutputConfig={"Outputs": [churn.s3_output("result", f"s3://{BUCKET}/proc/out/{name}", "/opt/ml/processing/result")]},
            **extra)

    name = "count-" + uuid.uuid4().hex[:6]
    arn = job(name, "count.py", ["/opt/ml/processing/input/data", "/opt/ml/processing/result"], Environment={"MODE": "full"})["ProcessingJobArn"]
    assert arn.endswith(f":processing-job/{name}")
    sm.get_waiter("processing_job_completed_or_stopped").wait(ProcessingJobName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    described = sm.describe_processing_job(ProcessingJobName=name)
    assert described["ProcessingJobStatus"] == "Completed", described
    assert described["ProcessingInputs"][0]["S3Input"]["LocalPath"] == "/opt/ml/processing/input/data"
    assert described["ProcessingStartTime"] <= described["ProcessingEndTime"]
    result = json.loads(s3.get_object(Bucket=BUCKET, Key=f"proc/out/{name}/count.json")["Body"].read())
    assert result == {"rows": 5000, "mode": "full"}, result
    assert name in [j["ProcessingJobName"] for j in sm.list_processing_jobs(StatusEquals="Completed", NameContains="count")["ProcessingJobSummaries"]]

    failing = "fail-" + uuid.uuid4().hex[:6]
    job(failing, "count.py", ["/opt/ml/processing/input/nowhere", "/opt/ml/processing/result"])
    failed = wait_processing(sm, failing)
    assert failed["ProcessingJobStatus"] == "Failed" and "KeyError" in failed["FailureReason"], failed

    sleeper = "sleep-" + uuid.uuid4().hex[:6]
    job(sleeper, "sleep.py", ["x"])
    time.sleep(1)
    sm.stop_processing_job(ProcessingJobName=sleeper)
    sm.get_waiter("processing_job_completed_or_stopped").wait(ProcessingJobName=sleeper, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    assert sm.describe_processing_job(ProcessingJobName=sleeper)["ProcessingJobStatus"] == "Stopped"

    escape = expect_error("ValidationException", sm.create_processing_job, ProcessingJobName="escape", RoleArn=ROLE, ProcessingResources=churn.CLUSTER,
                          AppSpecification={"ImageUri": "x", "ContainerEntrypoint": ["python3", "x.py"]},
                          ProcessingInputs=[churn.s3_input("data", f"s3://{BUCKET}/proc/data", "/opt/ml/processing/../../etc")])
    assert "/opt/ml/processing" in escape
    expect_error("ValidationException", sm.create_processing_job, ProcessingJobName="no-entry", RoleArn=ROLE, ProcessingResources=churn.CLUSTER,
                 AppSpecification={"ImageUri": "x"})
    expect_error("ResourceInUse", job, name, "count.py", ["a", "b"])
    expect_error("ResourceNotFound", sm.describe_processing_job, ProcessingJobName="never-made")
    assert "escape" not in [j["ProcessingJobName"] for j in sm.list_processing_jobs(MaxResults=100)["ProcessingJobSummaries"]]


if __name__ == "__main__":
    main({name: value for name, value in globals().items() if name.startswith("test_")})
