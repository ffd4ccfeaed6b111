"""Training jobs end to end through boto3: data up through S3, a built-in algorithm, the waiter, the model back."""
import csv
import io
import json
import os
import random
import tarfile
import time
import urllib.request
import uuid

import botocore.exceptions

from kiln_boto import client, main

ROLE = "arn:aws:iam::123456789012:role/KilnTraining"
XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "samples", "data")


def breast_cancer_split():
    """SageMaker's CSV convention: no header, label first (malignant = 1). 80/20, fixed seed."""
    with open(os.path.join(DATA, "breast_cancer.csv")) as f:
        rows = list(csv.reader(f))[1:]
    rows = [["1" if r[-1] == "M" else "0"] + r[:-1] for r in rows]
    random.Random(7).shuffle(rows)
    cut = int(len(rows) * 0.8)
    return rows[:cut], rows[cut:]


def to_csv(rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def upload_breast_cancer(s3, bucket):
    try:
        s3.create_bucket(Bucket=bucket)
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise
    train, validation = breast_cancer_split()
    s3.put_object(Bucket=bucket, Key="breast-cancer/train/train.csv", Body=to_csv(train))
    s3.put_object(Bucket=bucket, Key="breast-cancer/validation/validation.csv", Body=to_csv(validation))
    return f"s3://{bucket}/breast-cancer"


def channel(name, uri, content_type="text/csv"):
    return {"ChannelName": name, "ContentType": content_type,
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}}}


def xgboost_job(name, prefix, hyperparameters=None, channels=None):
    return dict(
        TrainingJobName=name,
        RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": XGBOOST, "TrainingInputMode": "File"},
        HyperParameters=hyperparameters or {"objective": "binary:logistic", "num_round": "60", "max_depth": "4", "eta": "0.2", "eval_metric": "auc", "subsample": "0.9"},
        InputDataConfig=channels if channels is not None else [channel("train", f"{prefix}/train/"), channel("validation", f"{prefix}/validation/")],
        OutputDataConfig={"S3OutputPath": f"s3://{prefix.split('/')[2]}/output"},
        ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )


def wait(sm, name):
    """boto3's waiter; it raises on Failed (a terminal failure state), so the job is described either way."""
    try:
        sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 240})
    except botocore.exceptions.WaiterError as e:
        if "terminal failure state" not in str(e):
            raise
    return sm.describe_training_job(TrainingJobName=name)


def test_xgboost_on_breast_cancer_end_to_end(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    prefix = upload_breast_cancer(s3, "kiln-training")
    name = "xgb-bc-" + uuid.uuid4().hex[:8]
    arn = sm.create_training_job(**xgboost_job(name, prefix))["TrainingJobArn"]
    assert arn.endswith(":training-job/" + name), arn
    job = wait(sm, name)
    assert job["TrainingJobStatus"] == "Completed", (job["TrainingJobStatus"], job.get("FailureReason"))
    assert job["SecondaryStatus"] == "Completed"
    steps = [t["Status"] for t in job["SecondaryStatusTransitions"]]
    assert steps[:1] == ["Starting"] and steps[-4:] == ["Downloading", "Training", "Uploading", "Completed"], steps
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert metrics["validation:auc"] >= 0.97, metrics
    assert job["TrainingTimeInSeconds"] >= 1 and job["BillableTimeInSeconds"] >= 1
    assert job["TrainingStartTime"] <= job["TrainingEndTime"]

    artifact = job["ModelArtifacts"]["S3ModelArtifacts"]
    assert artifact == f"s3://kiln-training/output/{name}/output/model.tar.gz", artifact
    body = s3.get_object(Bucket="kiln-training", Key=artifact.split("/", 3)[3])["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        names = archive.getnames()
        assert "model.txt" in names and "kiln-model.json" in names, names  # LightGBM's text model and the manifest
        manifest = json.load(archive.extractfile("kiln-model.json"))
    assert manifest["Algorithm"] == "xgboost" and manifest["Problem"] == "binary", manifest

    listed = sm.list_training_jobs(NameContains=name)["TrainingJobSummaries"]
    assert [s["TrainingJobName"] for s in listed] == [name], listed

    # The same job is a tracked run on the MLflow side: hyperparameters, metrics, the model artifact.
    search = json.dumps({"experiment_ids": [experiment_id(endpoint, "training-jobs")], "filter": f"tags.`sagemaker.training_job` = '{name}'"}).encode()
    runs = json.load(urllib.request.urlopen(urllib.request.Request(f"{endpoint}/api/2.0/mlflow/runs/search", data=search, headers={"Content-Type": "application/json"})))["runs"]
    assert len(runs) == 1, runs
    run = runs[0]
    assert run["info"]["status"] == "FINISHED"
    assert {p["key"]: p["value"] for p in run["data"]["params"]}["num_round"] == "60"
    assert any(m["key"] == "validation:auc" for m in run["data"]["metrics"])
    files = json.load(urllib.request.urlopen(f"{endpoint}/api/2.0/mlflow/artifacts/list?run_id={run['info']['run_id']}&path=model"))["files"]
    assert [f["path"] for f in files] == ["model/model.tar.gz"], files


def experiment_id(endpoint, name):
    return json.load(urllib.request.urlopen(f"{endpoint}/api/2.0/mlflow/experiments/get-by-name?experiment_name={name}"))["experiment"]["experiment_id"]


def test_duplicate_name_is_resource_in_use(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    prefix = upload_breast_cancer(s3, "kiln-training")
    name = "xgb-dup-" + uuid.uuid4().hex[:8]
    sm.create_training_job(**xgboost_job(name, prefix))
    try:
        sm.create_training_job(**xgboost_job(name, prefix))
        raise AssertionError("a second job with the same name was accepted")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceInUse", e.response
    assert wait(sm, name)["TrainingJobStatus"] == "Completed"


def test_bad_hyperparameters_and_missing_channel_are_validation_exceptions(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    prefix = upload_breast_cancer(s3, "kiln-training")
    cases = [
        ({"objective": "binary:logistic", "num_round": "ten"}, None, "num_round"),
        ({"objective": "binary:logistic", "num_round": "10", "max_depth": "-1"}, None, "max_depth"),
        ({"objective": "binary:logistic", "num_round": "10", "eta": "3"}, None, "eta"),
        ({"objective": "binary:hyperbolic", "num_round": "10"}, None, "objective"),
        ({"objective": "binary:logistic"}, None, "num_round"),
        ({"objective": "multi:softmax", "num_round": "10"}, None, "num_class"),
        ({"objective": "binary:logistic", "num_round": "10", "learning_speed": "fast"}, None, "learning_speed"),
        ({"objective": "binary:logistic", "num_round": "10"}, [channel("validation", f"{prefix}/validation/")], "'train'"),
        ({"objective": "binary:logistic", "num_round": "10"}, [channel("train", f"{prefix}/train/"), channel("holdout", f"{prefix}/validation/")], "holdout"),
    ]
    for hyperparameters, channels, mentioned in cases:
        name = "xgb-bad-" + uuid.uuid4().hex[:8]
        try:
            sm.create_training_job(**xgboost_job(name, prefix, hyperparameters, channels))
            raise AssertionError(f"accepted {hyperparameters} {channels}")
        except botocore.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == "ValidationException", e.response
            assert mentioned in e.response["Error"]["Message"], (mentioned, e.response["Error"]["Message"])
        try:
            sm.describe_training_job(TrainingJobName=name)
            raise AssertionError("a refused job was stored")
        except botocore.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == "ResourceNotFound"


def test_bad_data_fails_the_job_naming_file_line_and_column(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    bucket = "kiln-bad-data"
    try:
        s3.create_bucket(Bucket=bucket)
    except botocore.exceptions.ClientError:
        pass
    cases = {
        "non-numeric": (b"1,2.0,3.0\n0,1.5,abc\n", "train/data.csv line 2, column 3"),
        "ragged": (b"1,2.0,3.0\n0,1.5\n", "train/data.csv line 2, column 3"),
        "missing-label": (b"1,2.0,3.0\n,1.5,2.5\n", "train/data.csv line 2, column 1"),
        "empty": (b"", "train/data.csv line 1, column 1"),
    }
    names = {}
    for case, (content, _) in cases.items():
        s3.put_object(Bucket=bucket, Key=f"{case}/data.csv", Body=content)
        name = f"bad-{case}-" + uuid.uuid4().hex[:6]
        names[case] = name
        sm.create_training_job(**xgboost_job(name, f"s3://{bucket}/{case}", {"objective": "binary:logistic", "num_round": "5"},
                                             [channel("train", f"s3://{bucket}/{case}/")]))
    for case, (_, expected) in cases.items():
        job = wait(sm, names[case])
        assert job["TrainingJobStatus"] == "Failed", (case, job["TrainingJobStatus"])
        assert expected in job["FailureReason"], (case, job["FailureReason"])
        assert job["FailureReason"].startswith("AlgorithmError: "), job["FailureReason"]


if __name__ == "__main__":
    main({name: fn for name, fn in globals().items() if name.startswith("test_")})
