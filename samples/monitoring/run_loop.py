"""Model Monitor's loop, end to end against a running Kiln:

    /usr/bin/python3 samples/monitoring/run_loop.py http://127.0.0.1:5000

1. trains a churn model (script mode, samples/pipelines/churn/train.py) and deploys it with data capture;
2. baselines the training features with the Model Monitor analyzer image (a processing job);
3. creates the retraining pipeline (split -> train -> scorecard -> register) and a data quality schedule (NOW)
   tagged kiln:on-violation:pipeline with it;
4. sends drifted traffic (and uploads its ground truth), so the execution ends CompletedWithViolations and Kiln
   starts the pipeline with the violation report's URI as its ViolationReport parameter;
5. the pipeline registers a model package PendingManualApproval with a scorecard (the new model and the serving
   model scored on the latest ground truth);
6. approves it and moves the endpoint to it (blue/green UpdateEndpoint, data capture kept), then prints a summary.
The last line is "SUMMARY {json}" for scripts. Needs boto3, pandas and scikit-learn (Debian's python3 has them).
"""
import io
import json
import os
import sys
import time
import uuid

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
CHURN = os.path.join(ROOT, "samples", "pipelines", "churn")
sys.path.insert(0, CHURN)
sys.path.insert(0, os.path.join(ROOT, "tests", "clients", "boto3"))
from kiln_boto import client  # noqa: E402
from split import features  # noqa: E402

ROLE = "arn:aws:iam::000000000000:role/KilnMonitoring"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
BUCKET = "kiln-monitoring"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30}}
DRIFTED = ["total_day_minutes", "total_day_charge"]
TRAFFIC_ROWS = 60


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def get(reference):
    return {"Get": reference}


def s3_input(name, uri, local_path):
    return {"InputName": name, "AppManaged": False,
            "S3Input": {"S3Uri": uri, "LocalPath": local_path, "S3DataType": "S3Prefix", "S3InputMode": "File",
                        "S3DataDistributionType": "FullyReplicated", "S3CompressionType": "None"}}


def s3_output(name, uri, local_path):
    return {"OutputName": name, "AppManaged": False, "S3Output": {"S3Uri": uri, "LocalPath": local_path, "S3UploadMode": "EndOfJob"}}


def wait_for(what, check, timeout=180, every=1.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise TimeoutError(f"gave up waiting for {what} after {timeout} s")


def training_job(name, prefix):
    return dict(
        TrainingJobName=name, RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": SKLEARN_IMAGE, "TrainingInputMode": "File"},
        HyperParameters={"sagemaker_program": "\"train.py\"", "sagemaker_submit_directory": f"\"{prefix}/code/train/\""},
        InputDataConfig=[{"ChannelName": "train", "ContentType": "text/csv", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated", "S3Uri": f"{prefix}/initial/train/"}}}],
        OutputDataConfig={"S3OutputPath": f"{prefix}/models"},
        ResourceConfig={"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30},
        StoppingCondition={"MaxRuntimeInSeconds": 600})


def retrain_definition(prefix, group, serving_model):
    """Split the training data (the original table and every ground truth file), train, score the new and the serving model, register."""
    split = {
        "Name": "SplitData", "Type": "Processing",
        "Arguments": {
            "ProcessingResources": CLUSTER, "RoleArn": ROLE,
            "AppSpecification": {"ImageUri": SKLEARN_IMAGE, "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/split.py"],
                                 "ContainerArguments": ["--input-dir", "/opt/ml/processing/input/data", "--output-dir", "/opt/ml/processing"]},
            "ProcessingInputs": [s3_input("input", f"{prefix}/data/", "/opt/ml/processing/input/data"),
                                 s3_input("code", f"{prefix}/code/split.py", "/opt/ml/processing/input/code")],
            "ProcessingOutputConfig": {"Outputs": [s3_output("train", f"{prefix}/split/train", "/opt/ml/processing/train"),
                                                   s3_output("test", f"{prefix}/split/test", "/opt/ml/processing/test")]},
        },
    }
    arguments = training_job("unused", prefix)
    del arguments["TrainingJobName"]
    arguments["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = get("Steps.SplitData.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri")
    train = {"Name": "TrainModel", "Type": "Training", "Arguments": arguments}
    scorecard = {
        "Name": "Scorecard", "Type": "Processing",
        "PropertyFiles": [{"PropertyFileName": "Scorecard", "OutputName": "scorecard", "FilePath": "scorecard.json"}],
        "Arguments": {
            "ProcessingResources": CLUSTER, "RoleArn": ROLE,
            "AppSpecification": {"ImageUri": SKLEARN_IMAGE, "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/scorecard.py"],
                                 "ContainerArguments": ["--new-model-dir", "/opt/ml/processing/new", "--serving-model-dir", "/opt/ml/processing/serving",
                                                        "--ground-truth-dir", "/opt/ml/processing/truth", "--output-dir", "/opt/ml/processing/scorecard",
                                                        "--violation-report", get("Parameters.ViolationReport")]},
            "ProcessingInputs": [s3_input("new", get("Steps.TrainModel.ModelArtifacts.S3ModelArtifacts"), "/opt/ml/processing/new"),
                                 s3_input("serving", get("Parameters.ServingModelData"), "/opt/ml/processing/serving"),
                                 s3_input("truth", f"{prefix}/data/ground-truth/", "/opt/ml/processing/truth"),
                                 s3_input("code", f"{prefix}/code/scorecard/", "/opt/ml/processing/input/code")],
            "ProcessingOutputConfig": {"Outputs": [s3_output("scorecard", f"{prefix}/scorecard", "/opt/ml/processing/scorecard")]},
        },
    }

    def auc(path):
        return {"Std:Join": {"On": "", "Values": [{"Std:JsonGet": {"PropertyFile": get("Steps.Scorecard.PropertyFiles.Scorecard"), "Path": path}}]}}

    register = {
        "Name": "RegisterModel", "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": group,
            "ModelApprovalStatus": "PendingManualApproval",
            "InferenceSpecification": {
                "Containers": [{"Image": SKLEARN_IMAGE, "ModelDataUrl": get("Steps.TrainModel.ModelArtifacts.S3ModelArtifacts")}],
                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
                "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"], "SupportedTransformInstanceTypes": ["ml.m5.large"],
            },
            "ModelMetrics": {"ModelQuality": {"Statistics": {
                "ContentType": "application/json",
                "S3Uri": {"Std:Join": {"On": "/", "Values": [
                    get("Steps.Scorecard.ProcessingOutputConfig.Outputs['scorecard'].S3Output.S3Uri"), "scorecard.json"]}}}}},
            "CustomerMetadataProperties": {
                "violation_report": get("Parameters.ViolationReport"),
                "new_model_auc": auc("binary_classification_metrics.auc.value"),
                "serving_model_auc": auc("serving_model.auc.value"),
                "pipeline_execution": get("Execution.PipelineExecutionId"),
            },
        },
    }
    return {
        "Version": "2020-12-01", "Metadata": {},
        "Parameters": [{"Name": "ViolationReport", "Type": "String", "DefaultValue": "none"},
                       {"Name": "ServingModelData", "Type": "String", "DefaultValue": serving_model}],
        "Steps": [split, train, scorecard, register],
    }


def to_csv(frame, header):
    out = io.StringIO()
    frame.to_csv(out, index=False, header=header)
    return out.getvalue().encode()


def capture_config(prefix):
    return {"EnableCapture": True, "InitialSamplingPercentage": 100, "DestinationS3Uri": f"{prefix}/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}}


def captured_records(s3, run_id):
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"{run_id}/capture/"):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return sum(1 for key in keys for line in s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode().splitlines() if line.strip())


def deploy(sm, name, model_data, prefix, endpoint=None):
    """A model and an endpoint config (with data capture) named `name`; creates the endpoint, or updates it in place (blue/green)."""
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": SKLEARN_IMAGE, "ModelDataUrl": model_data})
    sm.create_endpoint_config(EndpointConfigName=name, DataCaptureConfig=capture_config(prefix), ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}])
    if endpoint is None:
        sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
        endpoint = name
    else:
        sm.update_endpoint(EndpointName=endpoint, EndpointConfigName=name)
    wait_for(f"endpoint {endpoint} on {name}", lambda: (lambda e: e["EndpointStatus"] == "InService" and e["EndpointConfigName"] == name)(
        sm.describe_endpoint(EndpointName=endpoint)), timeout=120)
    return endpoint


def main(url):
    sm, s3, runtime = client("sagemaker", url), client("s3", url), client("sagemaker-runtime", url)
    run_id = "loop-" + uuid.uuid4().hex[:6]
    prefix = f"s3://{BUCKET}/{run_id}"
    try:
        s3.create_bucket(Bucket=BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass

    def put(key, body):
        s3.put_object(Bucket=BUCKET, Key=f"{run_id}/{key}", Body=body)

    # The data: the churn table as the pipeline's input, its numeric features for the first model and the baseline.
    raw = pd.read_csv(os.path.join(ROOT, "samples", "data", "churn.csv"))
    history, recent = raw.iloc[:2000], raw.iloc[2000:2000 + TRAFFIC_ROWS].copy()
    put("data/churn.csv", to_csv(history, True))
    for script, key in (("split.py", "code/split.py"), ("train.py", "code/train/train.py"), ("split.py", "code/scorecard/split.py")):
        with open(os.path.join(CHURN, script), "rb") as f:
            put(key, f.read())
    with open(os.path.join(HERE, "scorecard.py"), "rb") as f:
        put("code/scorecard/scorecard.py", f.read())
    table = features(history)
    columns = [c for c in table.columns if c != "churn"]
    put("initial/train/train.csv", to_csv(table, True))
    put("baseline-data/features.csv", to_csv(table[columns], False))

    log("1. training the first churn model")
    job = f"{run_id}-initial"
    sm.create_training_job(**training_job(job, prefix))
    described = wait_for(f"training job {job}", lambda: (lambda j: j if j["TrainingJobStatus"] in ("Completed", "Failed", "Stopped") else None)(
        sm.describe_training_job(TrainingJobName=job)))
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    serving_model = described["ModelArtifacts"]["S3ModelArtifacts"]
    endpoint = deploy(sm, f"{run_id}-v0", serving_model, prefix)
    log(f"   deployed to endpoint {endpoint} with data capture")

    log("2. baselining the training features with the Model Monitor analyzer")
    baseline = f"{run_id}-baseline"
    sm.create_processing_job(
        ProcessingJobName=baseline, RoleArn=ROLE, ProcessingResources=CLUSTER, StoppingCondition={"MaxRuntimeInSeconds": 600},
        AppSpecification={"ImageUri": ANALYZER},
        Environment={"dataset_format": json.dumps({"csv": {"header": False}}), "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
                     "output_path": "/opt/ml/processing/output", "publish_cloudwatch_metrics": "Disabled"},
        ProcessingInputs=[s3_input("baseline_dataset_input", f"{prefix}/baseline-data", "/opt/ml/processing/input/baseline_dataset_input")],
        ProcessingOutputConfig={"Outputs": [s3_output("monitoring_output", f"{prefix}/baseline", "/opt/ml/processing/output")]})
    status = wait_for("the baseline", lambda: (lambda j: j["ProcessingJobStatus"] if j["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped") else None)(
        sm.describe_processing_job(ProcessingJobName=baseline)))
    assert status == "Completed", sm.describe_processing_job(ProcessingJobName=baseline).get("FailureReason")

    log("3. the retraining pipeline and the drift schedule that starts it")
    group, pipeline = f"{run_id}-churn", f"{run_id}-retrain"
    sm.create_model_package_group(ModelPackageGroupName=group)
    sm.create_pipeline(PipelineName=pipeline, RoleArn=ROLE, ClientRequestToken=uuid.uuid4().hex,
                       PipelineDefinition=json.dumps(retrain_definition(prefix, group, serving_model)))
    definition = f"{run_id}-dq"
    sm.create_data_quality_job_definition(
        JobDefinitionName=definition, RoleArn=ROLE, JobResources=CLUSTER, StoppingCondition={"MaxRuntimeInSeconds": 600},
        DataQualityAppSpecification={"ImageUri": ANALYZER},
        DataQualityBaselineConfig={"ConstraintsResource": {"S3Uri": f"{prefix}/baseline/constraints.json"},
                                   "StatisticsResource": {"S3Uri": f"{prefix}/baseline/statistics.json"}},
        DataQualityJobInput={"EndpointInput": {"EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input/endpoint"}},
        DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {"S3Uri": f"{prefix}/reports", "LocalPath": "/opt/ml/processing/output"}}]})

    log(f"4. sending {TRAFFIC_ROWS} drifted requests ({', '.join(DRIFTED)} up by half) and uploading their ground truth")
    for column in DRIFTED:
        recent[column] = (recent[column] * 1.5).round(2)
    drifted = features(recent).reindex(columns=["churn"] + columns, fill_value=0)
    requests = to_csv(drifted[columns], False).decode().splitlines()  # integer columns stay integers, as in the baseline
    for body in requests:
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=body)["Body"].read()
    put("data/ground-truth/latest.csv", to_csv(recent, True))
    wait_for("the capture files", lambda: captured_records(s3, run_id) >= TRAFFIC_ROWS, timeout=60, every=0.5)

    schedule = f"{run_id}-drift"
    schedule_arn = sm.create_monitoring_schedule(
        MonitoringScheduleName=schedule,
        MonitoringScheduleConfig={"ScheduleConfig": {"ScheduleExpression": "NOW"},  # the window: the last hour
                                  "MonitoringJobDefinitionName": definition, "MonitoringType": "DataQuality"},
        Tags=[{"Key": "kiln:on-violation:pipeline", "Value": pipeline}])["MonitoringScheduleArn"]

    def ended():
        found = sm.list_monitoring_executions(MonitoringScheduleName=schedule)["MonitoringExecutionSummaries"]
        return found[0] if found and found[0]["MonitoringExecutionStatus"] not in ("Pending", "InProgress", "Stopping") else None

    execution = wait_for("the monitoring execution", ended)
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution
    log(f"   execution {execution['MonitoringExecutionStatus']}")

    log("5. Kiln started the retraining pipeline; waiting for it")

    def started():
        tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=schedule_arn)["Tags"]}
        return tags.get("kiln:on-violation:last-pipeline-execution")

    execution_arn = wait_for("the pipeline to start", started, timeout=30)
    status = wait_for("the pipeline", lambda: (lambda s: s if s not in ("Executing", "Stopping") else None)(
        sm.describe_pipeline_execution(PipelineExecutionArn=execution_arn)["PipelineExecutionStatus"]), timeout=300)
    if status != "Succeeded":
        steps = sm.list_pipeline_execution_steps(PipelineExecutionArn=execution_arn)["PipelineExecutionSteps"]
        raise AssertionError(f"pipeline {status}: {[(s['StepName'], s['StepStatus'], s.get('FailureReason')) for s in steps]}")
    package = sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"][0]
    described = sm.describe_model_package(ModelPackageName=package["ModelPackageArn"])
    metadata = described.get("CustomerMetadataProperties", {})
    log(f"   package {package['ModelPackageArn']} is {described['ModelApprovalStatus']}; scorecard: {metadata}")

    log("6. approving it and moving the endpoint to it (blue/green)")
    sm.update_model_package(ModelPackageArn=package["ModelPackageArn"], ModelApprovalStatus="Approved", ApprovalDescription="scorecard reviewed by run_loop.py")
    new_model = described["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    deploy(sm, f"{run_id}-v{package['ModelPackageVersion']}", new_model, prefix, endpoint)
    answer = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=requests[0])["Body"].read().decode()

    summary = {
        "endpoint": endpoint,
        "schedule": schedule,
        "monitoring_execution_status": execution["MonitoringExecutionStatus"],
        "pipeline_execution_arn": execution_arn,
        "violation_report": metadata.get("violation_report"),
        "model_package_arn": package["ModelPackageArn"],
        "approval_status": sm.describe_model_package(ModelPackageName=package["ModelPackageArn"])["ModelApprovalStatus"],
        "scorecard": metadata,
        "model_quality_statistics": described.get("ModelMetrics", {}).get("ModelQuality", {}).get("Statistics", {}).get("S3Uri"),
        "serving_model_before": serving_model,
        "serving_model_after": sm.describe_model(ModelName=sm.describe_endpoint_config(
            EndpointConfigName=sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"])["ProductionVariants"][0]["ModelName"])["PrimaryContainer"]["ModelDataUrl"],
        "prediction_after": answer.strip(),
    }
    print(f"Loop closed: drift on {endpoint} -> {execution['MonitoringExecutionStatus']} -> pipeline {execution_arn.split('/')[-1]} -> "
          f"package v{package['ModelPackageVersion']} (new AUC {metadata.get('new_model_auc')}, serving AUC {metadata.get('serving_model_auc')}) "
          f"approved -> endpoint serves {summary['serving_model_after']}")
    print("SUMMARY " + json.dumps(summary))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
