"""Running code is a right under --auth: a user without --can-run-code is refused (AccessDeniedException, 400) every
call that would run a command they supply, and nothing is created; built-in algorithms stay open to them.

Usage: python3 code_right.py <endpoint_url> <test_name> <access_key_id> <secret_access_key>
(the keys of the user the test acts as: one without the right, or one with it for test_script_mode_with_the_right)
"""
import json
import sys
import traceback
import uuid

import boto3
import botocore.exceptions
from botocore.config import Config

ROLE = "arn:aws:iam::123456789012:role/KilnTraining"
XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
RESOURCES = {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5}


def sagemaker(endpoint, key, secret):
    config = Config(retries={"max_attempts": 1, "mode": "standard"})
    return boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1").client("sagemaker", endpoint_url=endpoint, config=config)


def name(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def error_of(call, **request):
    try:
        call(**request)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"].get("Message", "")
    raise AssertionError("expected a ClientError")


def denied(call, **request):
    code, status, message = error_of(call, **request)
    assert (code, status) == ("AccessDeniedException", 400), (code, status, message)
    assert "not allowed to run code" in message, message
    return message


def training(job_name, image, hyperparameters=None, entrypoint=None, channel_uri="s3://kiln-code-right/train/"):
    algorithm = {"TrainingImage": image, "TrainingInputMode": "File"}
    if entrypoint:
        algorithm["ContainerEntrypoint"] = entrypoint
    request = {
        "TrainingJobName": job_name, "AlgorithmSpecification": algorithm, "RoleArn": ROLE,
        "InputDataConfig": [{"ChannelName": "train", "ContentType": "text/csv",
                             "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": channel_uri}}}],
        "OutputDataConfig": {"S3OutputPath": "s3://kiln-code-right/output"},
        "ResourceConfig": RESOURCES, "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }
    if hyperparameters:
        request["HyperParameters"] = hyperparameters
    return request


def assert_no_training_job(sm, job_name):
    code, status, _ = error_of(sm.describe_training_job, TrainingJobName=job_name)
    assert (code, status) in (("ResourceNotFound", 400), ("ValidationException", 400)), (code, status)


def test_script_mode_training_is_refused(sm):
    job = name("script")
    message = denied(sm.create_training_job, **training(job, SKLEARN, {"sagemaker_program": '"train.py"', "sagemaker_submit_directory": '"s3://kiln-code-right/code.tar.gz"'}))
    assert job in message, message
    assert_no_training_job(sm, job)

    job = name("entrypoint")
    denied(sm.create_training_job, **training(job, XGBOOST, entrypoint=["sh", "-c", "cat /etc/passwd"]))
    assert_no_training_job(sm, job)


def test_processing_is_refused(sm):
    job = name("processing")
    denied(sm.create_processing_job, ProcessingJobName=job, RoleArn=ROLE,
           AppSpecification={"ImageUri": SKLEARN, "ContainerEntrypoint": ["python3", "-c", "print(1)"]},
           ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 5}})
    code, status, _ = error_of(sm.describe_processing_job, ProcessingJobName=job)
    assert (code, status) in (("ResourceNotFound", 400), ("ValidationException", 400)), (code, status)


def test_pipeline_with_a_script_step_is_refused(sm):
    script_step = training("unused", SKLEARN, {"sagemaker_program": '"train.py"'})
    del script_step["TrainingJobName"]
    definition = {"Version": "2020-12-01", "Parameters": [], "Steps": [{"Name": "Fit", "Type": "Training", "Arguments": script_step}]}
    pipeline = name("code-pipeline")
    message = denied(sm.create_pipeline, PipelineName=pipeline, PipelineDefinition=json.dumps(definition), RoleArn=ROLE)
    assert "Fit" in message, message
    code, status, _ = error_of(sm.describe_pipeline, PipelineName=pipeline)
    assert (code, status) == ("ResourceNotFound", 400), (code, status)

    # The same pipeline with a built-in algorithm is theirs to create; changing it to run a script is not.
    builtin_step = training("unused", XGBOOST, {"num_round": "5", "objective": "binary:logistic"})
    del builtin_step["TrainingJobName"]
    definition["Steps"][0]["Arguments"] = builtin_step
    sm.create_pipeline(PipelineName=pipeline, PipelineDefinition=json.dumps(definition), RoleArn=ROLE)
    definition["Steps"][0]["Arguments"] = script_step
    denied(sm.update_pipeline, PipelineName=pipeline, PipelineDefinition=json.dumps(definition))
    stored = json.loads(sm.describe_pipeline(PipelineName=pipeline)["PipelineDefinition"])
    assert stored["Steps"][0]["Arguments"]["AlgorithmSpecification"]["TrainingImage"] == XGBOOST, stored
    sm.delete_pipeline(PipelineName=pipeline)


def test_builtin_xgboost_is_allowed(sm):
    job = name("xgboost")
    sm.create_training_job(**training(job, XGBOOST, {"num_round": "5", "objective": "binary:logistic"}))
    assert sm.describe_training_job(TrainingJobName=job)["AlgorithmSpecification"]["TrainingImage"] == XGBOOST


def test_script_mode_with_the_right(sm):
    job = name("script-ok")
    sm.create_training_job(**training(job, SKLEARN, {"sagemaker_program": '"train.py"', "sagemaker_submit_directory": '"s3://kiln-code-right/code.tar.gz"'}))
    assert sm.describe_training_job(TrainingJobName=job)["HyperParameters"]["sagemaker_program"] == '"train.py"'


def test_file_uris_are_refused(sm):
    job = name("passwd")
    code, status, message = error_of(sm.create_training_job, **training(job, XGBOOST, {"num_round": "5"}, channel_uri="file:///etc/passwd"))
    assert (code, status) == ("ValidationException", 400), (code, status, message)
    assert "file:///etc/passwd" in message, message
    assert_no_training_job(sm, job)

    model = name("passwd-model")
    code, status, message = error_of(sm.create_model, ModelName=model, ExecutionRoleArn=ROLE,
                                     PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": "file:///etc/passwd"})
    assert (code, status) == ("ValidationException", 400), (code, status, message)
    assert "file:///etc/passwd" in message, message
    code, status, _ = error_of(sm.describe_model, ModelName=model)
    assert (code, status) in (("ResourceNotFound", 400), ("ValidationException", 400)), (code, status)


def test_retrying_a_script_pipeline_is_refused(sm):
    # The C# side (StudioCodeRightTests) leaves a failed execution of pipeline "studio-code-right", whose step runs a script.
    summaries = sm.list_pipeline_executions(PipelineName="studio-code-right")["PipelineExecutionSummaries"]
    arn = summaries[0]["PipelineExecutionArn"]
    assert summaries[0]["PipelineExecutionStatus"] == "Failed", summaries[0]
    message = denied(sm.retry_pipeline_execution, PipelineExecutionArn=arn, ClientRequestToken=uuid.uuid4().hex)
    assert "step 'Fails'" in message, message
    assert sm.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"] == "Failed"


TESTS = {f.__name__: f for f in [
    test_script_mode_training_is_refused, test_processing_is_refused, test_pipeline_with_a_script_step_is_refused,
    test_builtin_xgboost_is_allowed, test_script_mode_with_the_right, test_file_uris_are_refused,
    test_retrying_a_script_pipeline_is_refused,
]}

if __name__ == "__main__":
    endpoint, test, key, secret = sys.argv[1:5]
    try:
        TESTS[test](sagemaker(endpoint, key, secret))
    except Exception:  # noqa: BLE001 - report any failure to the C# side
        traceback.print_exc()
        print("RESULT failed")
        sys.exit(1)
    print("RESULT ok")
