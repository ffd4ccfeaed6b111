"""file:// URIs only under the folders the server was started with (--allow-file-root): everything else is a
ValidationException (SageMaker) or INVALID_PARAMETER_VALUE (MLflow) at create time, and nothing is stored.
Usage: python3 file_roots.py <endpoint_url> <test_name> <allowed_root>
"""
import json
import os
import sys
import urllib.error
import urllib.request
import uuid

import botocore.exceptions

from kiln_boto import client, main
from sagemaker_training import XGBOOST, ROLE, breast_cancer_split, channel, to_csv, wait

ROOT = sys.argv[3] if len(sys.argv) > 3 else "/nonexistent"
RESOURCES = {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5}


def refused(call, *uris, **request):
    try:
        call(**request)
    except botocore.exceptions.ClientError as e:
        error = e.response["Error"]
        assert error["Code"] == "ValidationException", error
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        for uri in uris:
            assert uri in error["Message"], (uri, error["Message"])
        return error["Message"]
    raise AssertionError(f"{call.__name__} accepted {request}")


def not_found(call, **request):
    try:
        call(**request)
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] in ("ValidationException", "ResourceNotFound"), e.response["Error"]
        return
    raise AssertionError(f"{call.__name__} found {request}: it should not have been stored")


def under_root(*parts):
    path = os.path.join(ROOT, *parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def training_job(name, channels, output=None):
    return dict(TrainingJobName=name, RoleArn=ROLE,
                AlgorithmSpecification={"TrainingImage": XGBOOST, "TrainingInputMode": "File"},
                HyperParameters={"objective": "binary:logistic", "num_round": "10"},
                InputDataConfig=channels, OutputDataConfig={"S3OutputPath": output or f"file://{ROOT}/output"},
                ResourceConfig=RESOURCES, StoppingCondition={"MaxRuntimeInSeconds": 600})


def file_channel(name, path):
    return {"ChannelName": name, "DataSource": {"FileSystemDataSource": {
        "FileSystemId": "fs-0123456789", "FileSystemAccessMode": "ro", "FileSystemType": "EFS", "DirectoryPath": path}}}


def test_model_data_outside_the_root_is_refused_and_not_stored(endpoint):
    sm = client("sagemaker", endpoint)
    name = "passwd-" + uuid.uuid4().hex[:6]
    message = refused(sm.create_model, "file:///etc/passwd", ROOT, ModelName=name, ExecutionRoleArn=ROLE,
                      PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": "file:///etc/passwd"})
    assert "ModelDataUrl" in message, message
    not_found(sm.describe_model, ModelName=name)


def test_training_channels_and_output_outside_the_root_are_refused(endpoint):
    sm = client("sagemaker", endpoint)
    for request, uri in [
        (training_job("s3uri-" + uuid.uuid4().hex[:6], [channel("train", "file:///etc/")]), "file:///etc/"),
        (training_job("efs-" + uuid.uuid4().hex[:6], [file_channel("train", "/etc")]), "file:///etc"),
        (training_job("out-" + uuid.uuid4().hex[:6], [channel("train", f"file://{ROOT}/train/")], output="file:///tmp/elsewhere"), "file:///tmp/elsewhere"),
    ]:
        refused(sm.create_training_job, uri, ROOT, **request)
        not_found(sm.describe_training_job, TrainingJobName=request["TrainingJobName"])


def test_processing_input_and_output_outside_the_root_are_refused(endpoint):
    sm = client("sagemaker", endpoint)
    for inputs, outputs, uri in [
        ([{"InputName": "data", "S3Input": {"S3Uri": "file:///etc/passwd", "LocalPath": "/opt/ml/processing/input", "S3DataType": "S3Prefix", "S3InputMode": "File"}}], [], "file:///etc/passwd"),
        ([], [{"OutputName": "out", "S3Output": {"S3Uri": "file:///var/tmp/out", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}], "file:///var/tmp/out"),
    ]:
        name = "proc-" + uuid.uuid4().hex[:6]
        refused(sm.create_processing_job, uri, ROOT, ProcessingJobName=name, RoleArn=ROLE,
                ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 5}},
                AppSpecification={"ImageUri": "x", "ContainerEntrypoint": ["python3", "-c", "print(1)"]},
                ProcessingInputs=inputs, ProcessingOutputConfig={"Outputs": outputs})
        not_found(sm.describe_processing_job, ProcessingJobName=name)


def test_transform_input_outside_the_root_is_refused(endpoint):
    sm = client("sagemaker", endpoint)
    with open(under_root("models", "model.tar.gz"), "wb") as f:
        f.write(b"not really a model: CreateModel only checks that it is there")
    model = "rooted-" + uuid.uuid4().hex[:6]
    sm.create_model(ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": f"file://{ROOT}/models/model.tar.gz"})
    name = "transform-" + uuid.uuid4().hex[:6]
    refused(sm.create_transform_job, "file:///etc/", ROOT, TransformJobName=name, ModelName=model,
            TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "file:///etc/"}}, "ContentType": "text/csv"},
            TransformOutput={"S3OutputPath": f"file://{ROOT}/transform"},
            TransformResources={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1})
    not_found(sm.describe_transform_job, TransformJobName=name)


def test_dot_dot_and_a_link_out_of_the_root_are_refused(endpoint):
    sm = client("sagemaker", endpoint)
    link = under_root("links", "passwd")
    if not os.path.islink(link):
        os.symlink("/etc/passwd", link)
    for uri in [f"file://{ROOT}/../etc/passwd", f"file://{ROOT}/%2e%2e/%2e%2e/etc/passwd", f"file://{ROOT}/links/passwd"]:
        name = "escape-" + uuid.uuid4().hex[:6]
        message = refused(sm.create_model, uri, ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": uri})
        assert "outside" in message, message
        not_found(sm.describe_model, ModelName=name)
        job = "escape-" + uuid.uuid4().hex[:6]
        refused(sm.create_training_job, uri, **training_job(job, [channel("train", uri)]))
        not_found(sm.describe_training_job, TrainingJobName=job)


def test_a_link_inside_a_channel_folder_fails_the_job_without_copying(endpoint):
    sm = client("sagemaker", endpoint)
    train, _ = breast_cancer_split()
    with open(under_root("sneaky", "train.csv"), "wb") as f:
        f.write(to_csv(train))
    link = under_root("sneaky", "passwd.csv")
    if not os.path.islink(link):
        os.symlink("/etc/passwd", link)
    name = "sneaky-" + uuid.uuid4().hex[:6]
    sm.create_training_job(**training_job(name, [channel("train", f"file://{ROOT}/sneaky/")]))
    job = wait(sm, name)
    assert job["TrainingJobStatus"] == "Failed", job["TrainingJobStatus"]
    assert "/etc/passwd" in job["FailureReason"] and "outside" in job["FailureReason"], job["FailureReason"]


def test_a_channel_under_the_root_trains_end_to_end(endpoint):
    sm = client("sagemaker", endpoint)
    train, _ = breast_cancer_split()
    with open(under_root("train", "train.csv"), "wb") as f:
        f.write(to_csv(train))
    name = "rooted-" + uuid.uuid4().hex[:6]
    sm.create_training_job(**training_job(name, [channel("train", f"file://{ROOT}/train/")]))
    job = wait(sm, name)
    assert job["TrainingJobStatus"] == "Completed", (job["TrainingJobStatus"], job.get("FailureReason"))
    artifact = job["ModelArtifacts"]["S3ModelArtifacts"]
    assert artifact == f"file://{ROOT}/output/{name}/output/model.tar.gz", artifact
    assert os.path.getsize(os.path.join(ROOT, "output", name, "output", "model.tar.gz")) > 0


def mlflow(endpoint, path, body):
    request = urllib.request.Request(f"{endpoint}/api/2.0/mlflow/{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def test_mlflow_experiment_artifact_location_outside_the_root_is_refused(endpoint):
    for location in ["file:///etc", "/etc", f"file://{ROOT}/../etc"]:
        name = "outside-" + uuid.uuid4().hex[:6]
        status, body = mlflow(endpoint, "experiments/create", {"name": name, "artifact_location": location})
        assert status == 400 and body["error_code"] == "INVALID_PARAMETER_VALUE", (status, body)
        assert ROOT in body["message"], body
        try:
            urllib.request.urlopen(f"{endpoint}/api/2.0/mlflow/experiments/get-by-name?experiment_name={name}")
            raise AssertionError(f"experiment {name} was stored")
        except urllib.error.HTTPError as e:
            assert e.code == 404, e.code
    name = "inside-" + uuid.uuid4().hex[:6]
    status, body = mlflow(endpoint, "experiments/create", {"name": name, "artifact_location": f"file://{ROOT}/mlruns"})
    assert status == 200, (status, body)


if __name__ == "__main__":
    main({name: value for name, value in globals().items() if name.startswith("test_")})
