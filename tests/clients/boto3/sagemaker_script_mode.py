"""Script mode through boto3: a scikit-learn script written for SageMaker, the container contract, stop."""
import io
import json
import os
import tarfile
import time
import uuid

import botocore.exceptions

from kiln_boto import client, main
from sagemaker_training import ROLE, channel, wait

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def bucket(s3, name="kiln-scripts"):
    try:
        s3.create_bucket(Bucket=name)
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise
    return name


def source_dir_tarball(folder):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name in os.listdir(folder):
            archive.add(os.path.join(folder, name), arcname=name)
    return buffer.getvalue()


def model_files(s3, uri):
    _, _, b, key = uri.split("/", 3)
    body = s3.get_object(Bucket=b, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}


def test_sklearn_script_runs_unchanged(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    b = bucket(s3)
    s3.put_object(Bucket=b, Key="sklearn/sourcedir.tar.gz", Body=source_dir_tarball(os.path.join(ROOT, "samples", "scripts", "sklearn")))
    with open(os.path.join(ROOT, "samples", "data", "breast_cancer.csv"), "rb") as f:
        s3.put_object(Bucket=b, Key="sklearn/train/breast_cancer.csv", Body=f.read())
    name = "sklearn-" + uuid.uuid4().hex[:8]
    # Hyperparameters as the SageMaker Python SDK's SKLearn estimator sends them: JSON-encoded values.
    sm.create_training_job(
        TrainingJobName=name,
        RoleArn=ROLE,
        AlgorithmSpecification={
            "TrainingImage": SKLEARN_IMAGE,
            "TrainingInputMode": "File",
            "MetricDefinitions": [
                {"Name": "validation:accuracy", "Regex": "validation-accuracy: ([0-9\\.]+)"},
                {"Name": "validation:auc", "Regex": "validation-auc: ([0-9\\.]+)"},
            ],
        },
        HyperParameters={
            "n-estimators": "50",
            "target": '"diagnosis"',
            "sagemaker_program": '"train.py"',
            "sagemaker_submit_directory": json.dumps(f"s3://{b}/sklearn/sourcedir.tar.gz"),
            "sagemaker_container_log_level": "20",
        },
        InputDataConfig=[channel("train", f"s3://{b}/sklearn/train/")],
        OutputDataConfig={"S3OutputPath": f"s3://{b}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )
    job = wait(sm, name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert metrics["validation:accuracy"] >= 0.9 and metrics["validation:auc"] >= 0.95, metrics
    assert "model.joblib" in model_files(s3, job["ModelArtifacts"]["S3ModelArtifacts"])


CONTRACT_SCRIPT = r"""
set -e
python3 - <<'PY'
import json, os
config = os.environ["SM_INPUT_CONFIG_DIR"]
report = {
    "hyperparameters": json.load(open(os.path.join(config, "hyperparameters.json"))),
    "inputdataconfig": json.load(open(os.path.join(config, "inputdataconfig.json"))),
    "resourceconfig": json.load(open(os.path.join(config, "resourceconfig.json"))),
    "env": {k: v for k, v in os.environ.items() if k.startswith("SM_")},
    "train_files": sorted(os.listdir(os.environ["SM_CHANNEL_TRAIN"])),
    "argv": __import__("sys").argv,
}
json.dump(report, open(os.path.join(os.environ["SM_MODEL_DIR"], "contract.json"), "w"))
print("loss=0.25")
PY
"""


def test_container_contract(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    b = bucket(s3)
    s3.put_object(Bucket=b, Key="contract/train/a.csv", Body=b"1,2\n")
    name = "contract-" + uuid.uuid4().hex[:8]
    sm.create_training_job(
        TrainingJobName=name, RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": "kiln/script", "TrainingInputMode": "File",
                                "ContainerEntrypoint": ["bash", "-c", CONTRACT_SCRIPT],
                                "MetricDefinitions": [{"Name": "train:loss", "Regex": "loss=([0-9.]+)"}]},
        HyperParameters={"epochs": "3", "optimizer": "adam"},
        InputDataConfig=[channel("train", f"s3://{b}/contract/train/")],
        OutputDataConfig={"S3OutputPath": f"s3://{b}/output"},
        StoppingCondition={"MaxRuntimeInSeconds": 300},
    )
    job = wait(sm, name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]} == {"train:loss": 0.25}
    report = json.loads(model_files(s3, job["ModelArtifacts"]["S3ModelArtifacts"])["contract.json"])
    assert report["hyperparameters"] == {"epochs": "3", "optimizer": "adam"}, report["hyperparameters"]
    assert report["inputdataconfig"]["train"]["TrainingInputMode"] == "File"
    assert report["inputdataconfig"]["train"]["ContentType"] == "text/csv"
    assert report["resourceconfig"]["current_host"] == "algo-1" and report["resourceconfig"]["hosts"] == ["algo-1"]
    env = report["env"]
    assert json.loads(env["SM_CHANNELS"]) == ["train"]
    assert env["SM_CHANNEL_TRAIN"].endswith("/input/data/train") and env["SM_MODEL_DIR"].endswith("/model")
    assert json.loads(env["SM_HPS"]) == {"epochs": 3, "optimizer": "adam"}
    assert env["SM_HP_EPOCHS"] == "3" and env["SM_CURRENT_HOST"] == "algo-1"
    assert json.loads(env["SM_USER_ARGS"]) == ["--epochs", "3", "--optimizer", "adam"]
    assert report["train_files"] == ["a.csv"]


def test_failures_and_the_failure_file(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    b = bucket(s3)
    s3.put_object(Bucket=b, Key="fail/train/a.csv", Body=b"1\n")
    cases = {
        "exit": ("echo 'about to fail' >&2; exit 3", "exited with code 3"),
        "file": ("echo 'Bad input: column price is negative' > /dev/null; "
                 "echo 'ValueError: price must be positive' > \"$SM_OUTPUT_DIR/failure\"; exit 1", "ValueError: price must be positive"),
    }
    names = {}
    for case, (script, _) in cases.items():
        names[case] = f"fail-{case}-" + uuid.uuid4().hex[:6]
        sm.create_training_job(
            TrainingJobName=names[case], RoleArn=ROLE,
            AlgorithmSpecification={"TrainingImage": "kiln/script", "TrainingInputMode": "File", "ContainerEntrypoint": ["bash", "-c", script]},
            InputDataConfig=[channel("train", f"s3://{b}/fail/train/")],
            OutputDataConfig={"S3OutputPath": f"s3://{b}/output"}, StoppingCondition={"MaxRuntimeInSeconds": 300})
    for case, (_, expected) in cases.items():
        job = wait(sm, names[case])
        assert job["TrainingJobStatus"] == "Failed", (case, job["TrainingJobStatus"])
        assert expected in job["FailureReason"], (case, job["FailureReason"])


def test_stop_ends_a_running_job(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    b = bucket(s3)
    s3.put_object(Bucket=b, Key="stop/train/a.csv", Body=b"1\n")
    name = "stop-" + uuid.uuid4().hex[:8]
    sm.create_training_job(
        TrainingJobName=name, RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": "kiln/script", "TrainingInputMode": "File", "ContainerEntrypoint": ["bash", "-c", "echo started; sleep 300"]},
        InputDataConfig=[channel("train", f"s3://{b}/stop/train/")],
        OutputDataConfig={"S3OutputPath": f"s3://{b}/output"}, StoppingCondition={"MaxRuntimeInSeconds": 600})
    deadline = time.time() + 60
    while sm.describe_training_job(TrainingJobName=name)["SecondaryStatus"] != "Training":
        assert time.time() < deadline, "the job never started training"
        time.sleep(0.2)
    started = time.time()
    sm.stop_training_job(TrainingJobName=name)
    assert sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] in ("Stopping", "Stopped")
    job = wait(sm, name)
    assert job["TrainingJobStatus"] == "Stopped" and job["SecondaryStatus"] == "Stopped", job["TrainingJobStatus"]
    assert time.time() - started < 30, "stopping took too long"
    try:
        sm.stop_training_job(TrainingJobName=name)
        raise AssertionError("stopping a stopped job was accepted")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "ValidationException", e.response


def test_invalid_metric_regex_and_missing_entry_point(endpoint):
    sm = client("sagemaker", endpoint)
    for algorithm, mentioned in [
        ({"TrainingImage": "kiln/script", "TrainingInputMode": "File", "ContainerEntrypoint": ["true"], "MetricDefinitions": [{"Name": "m", "Regex": "loss=([0-9"}]}, "regular expression"),
        ({"TrainingImage": "kiln/script", "TrainingInputMode": "File"}, "entry point"),
    ]:
        try:
            sm.create_training_job(TrainingJobName="bad-" + uuid.uuid4().hex[:8], RoleArn=ROLE, AlgorithmSpecification=algorithm,
                                   OutputDataConfig={"S3OutputPath": "s3://kiln-scripts/output"}, StoppingCondition={"MaxRuntimeInSeconds": 60})
            raise AssertionError(f"accepted {algorithm}")
        except botocore.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == "ValidationException" and mentioned in e.response["Error"]["Message"], e.response["Error"]


if __name__ == "__main__":
    main({name: fn for name, fn in globals().items() if name.startswith("test_")})
