"""Framework models through boto3: what SKLearn(...).fit(); .deploy(); predictor.predict() sends, served by the
user's inference handlers (SageMaker's inference-toolkit contract) in warm Python workers."""
import csv
import io
import json
import os
import signal
import subprocess
import tarfile
import tempfile
import time
import urllib.request
import uuid

import botocore.exceptions

from kiln_boto import client, main
from sagemaker_script_mode import SKLEARN_IMAGE, bucket, model_files, source_dir_tarball
from sagemaker_training import ROLE, channel, wait

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "samples", "data", "breast_cancer.csv")
BUCKET = "kiln-framework"
REGION = "us-east-1"
# numpy and scikit-learn live in Debian's python3, not in the runner's: framework/offline.py does that part.
PYTHON = os.environ.get("KILN_SCRIPT_PYTHON", "/usr/bin/python3")


def trained_sklearn(sm, s3, job_name="sklearn-handlers"):
    """SKLearn(entry_point="train.py", source_dir="framework/handlers", framework_version="1.2-1").fit({"train": ...}), once per server."""
    source = f"s3://{BUCKET}/{job_name}/source/sourcedir.tar.gz"
    try:
        sm.describe_training_job(TrainingJobName=job_name)
    except botocore.exceptions.ClientError:
        bucket(s3, BUCKET)
        s3.put_object(Bucket=BUCKET, Key=f"{job_name}/source/sourcedir.tar.gz", Body=source_dir_tarball(os.path.join(HERE, "framework", "handlers")))
        with open(DATA, "rb") as f:
            s3.put_object(Bucket=BUCKET, Key="data/train/breast_cancer.csv", Body=f.read())
        # The estimator's hyperparameters: its own, JSON-encoded, plus the sagemaker_* entries the SDK adds.
        sm.create_training_job(
            TrainingJobName=job_name, RoleArn=ROLE,
            AlgorithmSpecification={"TrainingImage": SKLEARN_IMAGE, "TrainingInputMode": "File", "EnableSageMakerMetricsTimeSeries": True},
            HyperParameters={
                "n-estimators": "50",
                "sagemaker_submit_directory": json.dumps(source),
                "sagemaker_program": json.dumps("train.py"),
                "sagemaker_container_log_level": "20",
                "sagemaker_job_name": json.dumps(job_name),
                "sagemaker_region": json.dumps(REGION),
            },
            InputDataConfig=[channel("train", f"s3://{BUCKET}/data/train/")],
            OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
            StoppingCondition={"MaxRuntimeInSeconds": 86400})
    job = wait(sm, job_name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    return job, source


def sdk_container(job, source):
    """SKLearnModel.prepare_container_def after estimator.deploy(): the serving image, the job's model.tar.gz, the script-mode environment."""
    return {
        "Image": SKLEARN_IMAGE,
        "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"],
        "Environment": {
            "SAGEMAKER_PROGRAM": "train.py",
            "SAGEMAKER_SUBMIT_DIRECTORY": source,
            "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
            "SAGEMAKER_REGION": REGION,
        },
    }


def create_model(sm, container, name=None):
    name = name or "sklearn-" + uuid.uuid4().hex[:8]
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer=container)
    return name


def deploy(sm, model, count=1, capture=None, name=None, shadow=None):
    name = name or "fw-" + uuid.uuid4().hex[:8]
    config = {"EndpointConfigName": name, "ProductionVariants": [
        {"VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": count, "InstanceType": "ml.m5.large", "InitialVariantWeight": 1}]}
    if capture:
        config["DataCaptureConfig"] = capture
    if shadow:
        config["ShadowProductionVariants"] = [{"VariantName": "shadow", "ModelName": shadow, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}]
    sm.create_endpoint_config(**config)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    return name


def settle(sm, name, timeout=180):
    deadline = time.time() + timeout
    while True:
        described = sm.describe_endpoint(EndpointName=name)
        if described["EndpointStatus"] not in ("Creating", "Updating", "RollingBack") or time.time() > deadline:
            return described
        time.sleep(0.5)


def rows_and_labels(count=60):
    """The first rows of breast_cancer.csv: features (floats, in the file's column order) and diagnoses."""
    with open(DATA) as f:
        records = list(csv.reader(f))
    header, records = records[0], records[1:count + 1]
    target = header.index("diagnosis")
    rows = [[float(v) for i, v in enumerate(r) if i != target] for r in records]
    return [h for h in header if h != "diagnosis"], rows, [r[target] for r in records]


def numpy_helper(*arguments, data):
    done = subprocess.run([PYTHON, os.path.join(HERE, "framework", "offline.py"), *arguments], input=data, capture_output=True, check=True)
    return done.stdout


def offline(s3, job, rows):
    """What the trained model itself predicts for the rows: labels and P(malignant), and labels from float32 input (the default input_fn's)."""
    with tempfile.NamedTemporaryFile(suffix=".tar.gz") as f:
        _, _, b, key = job["ModelArtifacts"]["S3ModelArtifacts"].split("/", 3)
        f.write(s3.get_object(Bucket=b, Key=key)["Body"].read())
        f.flush()
        return json.loads(numpy_helper("predict", f.name, data=json.dumps(rows).encode()))


def to_npy(rows):
    return numpy_helper("to-npy", data=json.dumps(rows).encode())


def from_npy(data):
    return json.loads(numpy_helper("from-npy", data=data))


def csv_body(rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([[repr(v) for v in row] for row in rows])
    return out.getvalue()


def workers_of(model):
    """Kiln's inference worker processes for a model, by their command line."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if any(a.endswith(b"kiln_inference_worker.py") for a in argv) and model.encode() in argv:
            pids.append(int(entry))
    return sorted(pids)


def capture_records(s3, prefix, wanted, timeout=30):
    deadline = time.time() + timeout
    while True:
        records = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            for item in page.get("Contents", []):
                body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read().decode()
                records += [json.loads(line) for line in body.splitlines() if line.strip()]
        if len(records) >= wanted or time.time() > deadline:
            return records
        time.sleep(0.5)


def model_error(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e
    raise AssertionError("the invocation succeeded")


def test_sklearn_estimator_deploy_predict_capture_and_transform(endpoint):
    sm, runtime, s3 = client("sagemaker", endpoint), client("sagemaker-runtime", endpoint), client("s3", endpoint)
    job, source = trained_sklearn(sm, s3)
    model = create_model(sm, sdk_container(job, source))
    capture = {"EnableCapture": True, "InitialSamplingPercentage": 100, "DestinationS3Uri": f"s3://{BUCKET}/capture",
               "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
               "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"], "JsonContentTypes": ["application/json"]}}
    name = deploy(sm, model, count=2, capture=capture)
    described = settle(sm, name)
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    assert len(workers_of(model)) == 2, workers_of(model)

    columns, rows, labels = rows_and_labels()
    expected = offline(s3, job, rows)
    expected_labels, expected_p = expected["labels"], expected["malignant"]
    assert sum(e == l for e, l in zip(expected_labels, labels)) >= 55

    # predictor.predict(array): SKLearnPredictor sends NPY and asks for NPY.
    answer = runtime.invoke_endpoint(EndpointName=name, Body=to_npy(rows), ContentType="application/x-npy", Accept="application/x-npy")
    assert answer["ContentType"] == "application/x-npy"
    served = from_npy(answer["Body"].read())
    assert len(served) == len(rows) and all(abs(a - b) < 1e-9 for a, b in zip(served, expected_p)), (served[:3], expected_p[:3])

    # CSV rows in, CSV out through output_fn.
    answer = runtime.invoke_endpoint(EndpointName=name, Body=csv_body(rows), ContentType="text/csv", Accept="text/csv")
    assert answer["ContentType"] == "text/csv"
    lines = answer["Body"].read().decode().splitlines()
    assert [line.split(",")[0] for line in lines] == expected_labels
    assert all(abs(float(line.split(",")[1]) - p) < 1e-6 for line, p in zip(lines, expected_p))

    # JSON with named features in, JSON out.
    instances = [dict(zip(columns, row)) for row in rows[:5]]
    answer = runtime.invoke_endpoint(EndpointName=name, Body=json.dumps({"instances": instances}), ContentType="application/json", Accept="application/json")
    assert answer["ContentType"] == "application/json"
    predictions = json.loads(answer["Body"].read())["predictions"]
    assert [p["label"] for p in predictions] == expected_labels[:5]

    # Every request went through the same capture path as any model's.
    records = capture_records(s3, f"capture/{name}/AllTraffic/", 3)
    assert len(records) == 3, len(records)
    by_type = {r["captureData"]["endpointInput"]["observedContentType"]: r["captureData"] for r in records}
    assert set(by_type) == {"application/x-npy", "text/csv", "application/json"}, set(by_type)
    assert by_type["text/csv"]["endpointInput"]["encoding"] == "CSV" and by_type["text/csv"]["endpointInput"]["data"] == csv_body(rows)
    assert by_type["text/csv"]["endpointOutput"]["data"].splitlines()[0].split(",")[0] == expected_labels[0]
    assert by_type["application/json"]["endpointInput"]["encoding"] == "JSON"
    assert json.loads(by_type["application/json"]["endpointOutput"]["data"])["predictions"][0]["label"] == expected_labels[0]
    assert by_type["application/x-npy"]["endpointInput"]["encoding"] == "BASE64"

    # The same model in a batch transform: CSV lines in mini-batches, output_fn's lines out.
    s3.put_object(Bucket=BUCKET, Key=f"transform-in/{name}/rows.csv", Body=csv_body(rows).encode())
    sm.create_transform_job(
        TransformJobName=name, ModelName=model, BatchStrategy="MultiRecord", MaxPayloadInMB=1, MaxConcurrentTransforms=2,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/transform-in/{name}/"}}, "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{BUCKET}/transform-out/{name}", "Accept": "text/csv", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    sm.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 180})
    described = sm.describe_transform_job(TransformJobName=name)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    out = s3.get_object(Bucket=BUCKET, Key=f"transform-out/{name}/rows.csv.out")["Body"].read().decode().splitlines()
    assert [line.split(",")[0] for line in out] == expected_labels, out[:3]


def test_defaults_serve_a_model_with_only_model_fn(endpoint):
    """The SDK's repacked model: model.tar.gz holds model.joblib and code/inference.py; SAGEMAKER_SUBMIT_DIRECTORY is /opt/ml/model/code."""
    sm, runtime, s3 = client("sagemaker", endpoint), client("sagemaker-runtime", endpoint), client("s3", endpoint)
    job, _ = trained_sklearn(sm, s3)
    repacked = io.BytesIO()
    with tarfile.open(fileobj=repacked, mode="w:gz") as archive:
        for name, data in model_files(s3, job["ModelArtifacts"]["S3ModelArtifacts"]).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        archive.add(os.path.join(HERE, "framework", "defaults", "inference.py"), arcname="code/inference.py")
    key = f"repacked/{uuid.uuid4().hex[:8]}/model.tar.gz"
    s3.put_object(Bucket=BUCKET, Key=key, Body=repacked.getvalue())
    model = create_model(sm, {"Image": SKLEARN_IMAGE, "ModelDataUrl": f"s3://{BUCKET}/{key}", "Environment": {
        "SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
        "SAGEMAKER_CONTAINER_LOG_LEVEL": "20", "SAGEMAKER_REGION": REGION}})
    # A second copy of the model as a shadow variant: it gets a copy of each request; its answers are compared, never returned.
    container = sm.describe_model(ModelName=model)["PrimaryContainer"]
    shadow = create_model(sm, {k: container[k] for k in ("Image", "ModelDataUrl", "Environment")})
    name = deploy(sm, model, shadow=shadow)
    described = settle(sm, name)
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")

    _, rows, _ = rows_and_labels(20)
    expected = offline(s3, job, rows)["labels_float32"]
    # Default input_fn: CSV and JSON decoded to float32 arrays; default predict_fn: model.predict; default output_fn: the Accept type.
    answer = runtime.invoke_endpoint(EndpointName=name, Body=csv_body(rows), ContentType="text/csv", Accept="text/csv")
    assert answer["ContentType"] == "text/csv" and answer["Body"].read().decode().splitlines() == expected
    answer = runtime.invoke_endpoint(EndpointName=name, Body=json.dumps(rows), ContentType="application/json")
    assert answer["ContentType"] == "application/json" and json.loads(answer["Body"].read()) == expected, "no Accept: the default accept, JSON"
    answer = runtime.invoke_endpoint(EndpointName=name, Body=to_npy(rows), ContentType="application/x-npy", Accept="application/x-npy")
    assert from_npy(answer["Body"].read()) == expected
    # The shadow answered each of the three requests itself, byte for byte as production did.
    deadline = time.time() + 30
    while True:
        traffic = json.load(urllib.request.urlopen(f"{endpoint}/api/kiln/endpoints/{name}/traffic"))["traffic"]
        mirrored = next(v for v in traffic["variants"] if v["variantName"] == "shadow")
        if mirrored["invocations"] >= 3 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert mirrored["shadow"] and mirrored["invocations"] == 3 and mirrored["errors"] == 0 and mirrored["comparisons"] == 3 and mirrored["agreements"] == 3, mirrored

    # What the defaults do not take: the toolkit's 415 and 406, as ModelError.
    e = model_error(lambda: runtime.invoke_endpoint(EndpointName=name, Body=b"\x89PNG", ContentType="image/png"))
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 424 and e.response["OriginalStatusCode"] == 415, e.response
    assert "image/png" in e.response["OriginalMessage"]
    e = model_error(lambda: runtime.invoke_endpoint(EndpointName=name, Body=csv_body(rows), ContentType="text/csv", Accept="application/xml"))
    assert e.response["OriginalStatusCode"] == 406, e.response


def test_handler_errors_are_model_errors_and_a_killed_worker_is_replaced(endpoint):
    sm, runtime, s3 = client("sagemaker", endpoint), client("sagemaker-runtime", endpoint), client("s3", endpoint)
    job, source = trained_sklearn(sm, s3)
    model = create_model(sm, sdk_container(job, source))
    name = deploy(sm, model, count=2)
    assert settle(sm, name)["EndpointStatus"] == "InService"
    _, rows, _ = rows_and_labels(3)
    good = csv_body(rows)
    bad = csv_body([[-1.0] + row[1:] for row in rows])

    # input_fn raises: SageMaker's ModelError, 424, the container's 500 with the Python exception.
    e = model_error(lambda: runtime.invoke_endpoint(EndpointName=name, Body=bad, ContentType="text/csv", Accept="text/csv"))
    assert e.response["Error"]["Code"] == "ModelError" and e.response["ResponseMetadata"]["HTTPStatusCode"] == 424, e.response
    assert e.response["OriginalStatusCode"] == 500, e.response
    assert "ValueError: measurements cannot be negative" in e.response["OriginalMessage"], e.response["OriginalMessage"]
    assert "Received server error (500)" in e.response["Error"]["Message"]
    # predict_fn gets the wrong width: the scikit-learn error comes back the same way.
    e = model_error(lambda: runtime.invoke_endpoint(EndpointName=name, Body="1,2,3\n", ContentType="text/csv"))
    assert e.response["OriginalStatusCode"] == 500 and "ValueError" in e.response["OriginalMessage"], e.response
    # The workers survive their handlers' errors.
    before = workers_of(model)
    assert len(before) == 2, before
    for _ in range(4):
        assert runtime.invoke_endpoint(EndpointName=name, Body=good, ContentType="text/csv", Accept="text/csv")["Body"].read()
    assert workers_of(model) == before

    # A worker killed mid-life: Kiln starts another; the endpoint keeps answering on both replicas.
    os.kill(before[0], signal.SIGKILL)
    deadline = time.time() + 60
    while True:
        now = workers_of(model)
        if len(now) == 2 and before[0] not in now:
            break
        assert time.time() < deadline, f"no new worker (before {before}, now {now})"
        time.sleep(0.2)
    assert before[1] in now
    for _ in range(20):
        answer = runtime.invoke_endpoint(EndpointName=name, Body=good, ContentType="text/csv", Accept="text/csv")
        assert len(answer["Body"].read().decode().splitlines()) == 3
    assert workers_of(model) == now

    # Deleting the endpoint ends its workers.
    sm.delete_endpoint(EndpointName=name)
    deadline = time.time() + 30
    while workers_of(model):
        assert time.time() < deadline, workers_of(model)
        time.sleep(0.2)


SLOW_SCRIPT = b"""import time


def model_fn(model_dir):
    return "sleeper"


def input_fn(body, content_type):
    return float(body)


def predict_fn(seconds, model):
    time.sleep(seconds)
    return seconds


def output_fn(seconds, accept):
    return f"slept {seconds}", "text/plain"
"""


def sourcedir(s3, key, files):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    s3.put_object(Bucket=BUCKET, Key=key, Body=buffer.getvalue())
    return f"s3://{BUCKET}/{key}"


def test_a_request_over_the_timeout_is_a_model_error_and_its_worker_is_replaced(endpoint):
    sm, runtime, s3 = client("sagemaker", endpoint), client("sagemaker-runtime", endpoint), client("s3", endpoint)
    job, _ = trained_sklearn(sm, s3)
    code = sourcedir(s3, f"slow/{uuid.uuid4().hex[:8]}/sourcedir.tar.gz", {"slow.py": SLOW_SCRIPT})
    model = create_model(sm, {"Image": SKLEARN_IMAGE, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"], "Environment": {
        "SAGEMAKER_PROGRAM": "slow.py", "SAGEMAKER_SUBMIT_DIRECTORY": code, "SAGEMAKER_MODEL_SERVER_TIMEOUT": "1", "SAGEMAKER_REGION": REGION}})
    name = deploy(sm, model)
    assert settle(sm, name)["EndpointStatus"] == "InService"
    assert runtime.invoke_endpoint(EndpointName=name, Body="0.01", ContentType="text/csv")["Body"].read() == b"slept 0.01"
    before = workers_of(model)
    started = time.time()
    e = model_error(lambda: runtime.invoke_endpoint(EndpointName=name, Body="30", ContentType="text/csv"))
    assert time.time() - started < 10, "the timeout did not cut the request short"
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 424 and e.response["OriginalStatusCode"] == 0, e.response
    assert "timed out" in e.response["OriginalMessage"] and "Received server error (0)" in e.response["Error"]["Message"], e.response
    # The stuck worker was killed and another started; the endpoint answers again.
    assert runtime.invoke_endpoint(EndpointName=name, Body="0", ContentType="text/csv")["Body"].read() == b"slept 0.0"
    after = workers_of(model)
    assert len(after) == 1 and after != before, (before, after)


def test_models_that_cannot_serve_fail_the_endpoint_with_the_reason(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    job, source = trained_sklearn(sm, s3)
    container = sdk_container(job, source)
    no_model_fn = sourcedir(s3, "bad-code/sourcedir.tar.gz", {"serve.py": b"def predict_fn(data, model):\n    return data\n"})
    raises = sourcedir(s3, "raising-code/sourcedir.tar.gz", {"serve.py": b"def model_fn(model_dir):\n    raise RuntimeError('no weights here')\n"})
    cases = {
        "missing-script": ({"SAGEMAKER_PROGRAM": "nope.py"}, "nope.py"),
        "no-model-fn": ({"SAGEMAKER_PROGRAM": "serve.py", "SAGEMAKER_SUBMIT_DIRECTORY": no_model_fn}, "Please provide a model_fn implementation"),
        "model-fn-raises": ({"SAGEMAKER_PROGRAM": "serve.py", "SAGEMAKER_SUBMIT_DIRECTORY": raises}, "RuntimeError: no weights here"),
        "bad-submit-dir": ({"SAGEMAKER_SUBMIT_DIRECTORY": "ftp://somewhere/code.tar.gz"}, "SAGEMAKER_SUBMIT_DIRECTORY"),
        "missing-code": ({"SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{BUCKET}/nothing-here/sourcedir.tar.gz"}, "Could not find"),
        "bad-workers": ({"SAGEMAKER_MODEL_SERVER_WORKERS": "many"}, "SAGEMAKER_MODEL_SERVER_WORKERS"),
        "bad-timeout": ({"SAGEMAKER_MODEL_SERVER_TIMEOUT": "-5"}, "SAGEMAKER_MODEL_SERVER_TIMEOUT"),
    }
    names = {}
    for case, (environment, _) in cases.items():
        model = create_model(sm, dict(container, Environment=dict(container["Environment"], **environment)))
        names[case] = deploy(sm, model)
    for case, (_, expected) in cases.items():
        described = settle(sm, names[case])
        assert described["EndpointStatus"] == "Failed", (case, described["EndpointStatus"])
        assert expected in described["FailureReason"], (case, described["FailureReason"])


if __name__ == "__main__":
    main({name: fn for name, fn in globals().items() if name.startswith("test_")})
