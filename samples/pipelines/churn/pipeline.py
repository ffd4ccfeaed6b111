"""The churn pipeline: split -> train -> evaluate -> AUC check -> register (or fail), in SageMaker's definition JSON.

    python3 samples/pipelines/churn/pipeline.py http://127.0.0.1:5000

uploads the data and the scripts through Kiln's S3 endpoint, creates the model package group (approving a
version deploys it to the endpoint "churn-prod"), creates the pipeline and runs it. The definition is what
the SageMaker Python SDK emits for the same pipeline, written out by hand so nothing but boto3 is needed.
Kiln runs processing commands on the host, not in a container: /opt/ml paths in arguments and environment
values are pointed at the job's folder, so the scripts take their folders as arguments.
"""
import json
import os
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
ROLE = "arn:aws:iam::000000000000:role/KilnPipelines"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30}}
CACHE = {"Enabled": True, "ExpireAfter": "P30D"}


def get(reference):
    return {"Get": reference}


def s3_input(name, uri, local_path):
    return {"InputName": name, "AppManaged": False,
            "S3Input": {"S3Uri": uri, "LocalPath": local_path, "S3DataType": "S3Prefix", "S3InputMode": "File",
                        "S3DataDistributionType": "FullyReplicated", "S3CompressionType": "None"}}


def s3_output(name, uri, local_path):
    return {"OutputName": name, "AppManaged": False, "S3Output": {"S3Uri": uri, "LocalPath": local_path, "S3UploadMode": "EndOfJob"}}


def definition(bucket, group):
    prefix = f"s3://{bucket}/churn"
    split = {
        "Name": "SplitData", "Type": "Processing", "CacheConfig": CACHE,
        "Arguments": {
            "ProcessingResources": CLUSTER,
            "AppSpecification": {"ImageUri": SKLEARN_IMAGE, "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/split.py"],
                                 "ContainerArguments": ["--input-dir", "/opt/ml/processing/input/data", "--output-dir", "/opt/ml/processing"]},
            "RoleArn": ROLE,
            "ProcessingInputs": [s3_input("input", get("Parameters.InputData"), "/opt/ml/processing/input/data"),
                                 s3_input("code", f"{prefix}/code/split.py", "/opt/ml/processing/input/code")],
            "ProcessingOutputConfig": {"Outputs": [s3_output("train", f"{prefix}/split/train", "/opt/ml/processing/train"),
                                                   s3_output("test", f"{prefix}/split/test", "/opt/ml/processing/test")]},
        },
    }
    train = {
        "Name": "TrainModel", "Type": "Training", "CacheConfig": CACHE,
        "Arguments": {
            "AlgorithmSpecification": {"TrainingImage": SKLEARN_IMAGE, "TrainingInputMode": "File",
                                       "MetricDefinitions": [{"Name": "train:auc", "Regex": "train-auc: ([0-9\\.]+)"}]},
            "HyperParameters": {"C": {"Std:Join": {"On": "", "Values": [get("Parameters.RegularizationC")]}},
                                "sagemaker_program": "\"train.py\"", "sagemaker_submit_directory": f"\"{prefix}/code/train/\""},
            "InputDataConfig": [{"ChannelName": "train", "ContentType": "text/csv", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated",
                "S3Uri": get("Steps.SplitData.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri")}}}],
            "OutputDataConfig": {"S3OutputPath": f"{prefix}/models"},
            "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            "RoleArn": ROLE,
        },
    }
    evaluate = {
        "Name": "EvaluateModel", "Type": "Processing", "CacheConfig": CACHE,
        "PropertyFiles": [{"PropertyFileName": "EvaluationReport", "OutputName": "evaluation", "FilePath": "evaluation.json"}],
        "Arguments": {
            "ProcessingResources": CLUSTER,
            "AppSpecification": {"ImageUri": SKLEARN_IMAGE, "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/evaluate.py"],
                                 "ContainerArguments": ["--model-dir", "/opt/ml/processing/model", "--test-dir", "/opt/ml/processing/test",
                                                        "--output-dir", "/opt/ml/processing/evaluation"]},
            "RoleArn": ROLE,
            "ProcessingInputs": [s3_input("model", get("Steps.TrainModel.ModelArtifacts.S3ModelArtifacts"), "/opt/ml/processing/model"),
                                 s3_input("test", get("Steps.SplitData.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"), "/opt/ml/processing/test"),
                                 s3_input("code", f"{prefix}/code/evaluate.py", "/opt/ml/processing/input/code")],
            "ProcessingOutputConfig": {"Outputs": [s3_output("evaluation", f"{prefix}/evaluation", "/opt/ml/processing/evaluation")]},
        },
    }
    register = {
        "Name": "RegisterChurnModel", "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": group,
            "ModelApprovalStatus": get("Parameters.ModelApprovalStatus"),
            "InferenceSpecification": {
                "Containers": [{"Image": SKLEARN_IMAGE, "ModelDataUrl": get("Steps.TrainModel.ModelArtifacts.S3ModelArtifacts")}],
                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
                "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"], "SupportedTransformInstanceTypes": ["ml.m5.large"],
            },
            "ModelMetrics": {"ModelQuality": {"Statistics": {
                "ContentType": "application/json",
                "S3Uri": {"Std:Join": {"On": "/", "Values": [
                    get("Steps.EvaluateModel.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"), "evaluation.json"]}}}}},
            "CustomerMetadataProperties": {"pipeline_execution": get("Execution.PipelineExecutionId")},
        },
    }
    fail = {"Name": "AucTooLow", "Type": "Fail", "Arguments": {"ErrorMessage": {"Std:Join": {"On": " ", "Values": [
        "The model's test AUC is below the threshold", get("Parameters.AucThreshold")]}}}}
    check = {
        "Name": "CheckAuc", "Type": "Condition",
        "Arguments": {
            "Conditions": [{"Type": "GreaterThanOrEqualTo",
                            "LeftValue": {"Std:JsonGet": {"PropertyFile": get("Steps.EvaluateModel.PropertyFiles.EvaluationReport"),
                                                          "Path": "binary_classification_metrics.auc.value"}},
                            "RightValue": get("Parameters.AucThreshold")}],
            "IfSteps": [register],
            "ElseSteps": [fail],
        },
    }
    return {
        "Version": "2020-12-01",
        "Metadata": {},
        "Parameters": [
            {"Name": "InputData", "Type": "String", "DefaultValue": f"{prefix}/data/churn.csv"},
            {"Name": "AucThreshold", "Type": "Float", "DefaultValue": 0.75},
            {"Name": "RegularizationC", "Type": "Float", "DefaultValue": 1.0},
            {"Name": "ModelApprovalStatus", "Type": "String", "DefaultValue": "PendingManualApproval"},
        ],
        "PipelineExperimentConfig": {"ExperimentName": get("Execution.PipelineName"), "TrialName": get("Execution.PipelineExecutionId")},
        "Steps": [split, train, evaluate, check],
    }


def upload(s3, bucket):
    """The data and the three scripts, where the definition expects them."""
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    with open(os.path.join(ROOT, "samples", "data", "churn.csv"), "rb") as f:
        s3.put_object(Bucket=bucket, Key="churn/data/churn.csv", Body=f.read())
    for script, key in (("split.py", "churn/code/split.py"), ("evaluate.py", "churn/code/evaluate.py"), ("train.py", "churn/code/train/train.py")):
        with open(os.path.join(HERE, script), "rb") as f:
            s3.put_object(Bucket=bucket, Key=key, Body=f.read())


def wait(sm, arn, timeout=600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = sm.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"]
        if status not in ("Executing", "Stopping"):
            return status
        time.sleep(0.5)
    raise TimeoutError(f"{arn} still running after {timeout} s")


def main(endpoint):
    sys.path.insert(0, os.path.join(ROOT, "tests", "clients", "boto3"))
    from kiln_boto import client
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    bucket, group, name = "kiln-pipelines", "churn-models", "churn"
    upload(s3, bucket)
    try:
        sm.create_model_package_group(ModelPackageGroupName=group, Tags=[{"Key": "kiln.deploy.endpoint", "Value": "churn-prod"}])
    except sm.exceptions.ClientError:
        pass
    body = json.dumps(definition(bucket, group))
    try:
        sm.create_pipeline(PipelineName=name, PipelineDefinition=body, RoleArn=ROLE, ClientRequestToken=uuid.uuid4().hex)
    except sm.exceptions.ClientError:
        sm.update_pipeline(PipelineName=name, PipelineDefinition=body)
    arn = sm.start_pipeline_execution(PipelineName=name, ClientRequestToken=uuid.uuid4().hex)["PipelineExecutionArn"]
    print("started", arn)
    print("ended", wait(sm, arn))
    for step in reversed(sm.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]):
        print(f"  {step['StepName']:<20} {step['StepStatus']:<10} {'(cached)' if 'CacheHitResult' in step else ''}")
    print("approve the new version with: kiln pipelines ... or boto3 update_model_package(ModelApprovalStatus='Approved')")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
