"""Real-time endpoints and batch transform through boto3: train on churn, deploy two variants, invoke, capture, update."""
import collections
import csv
import datetime
import io
import json
import os
import random
import subprocess
import tarfile
import tempfile
import threading
import time
import urllib.request
import uuid

import botocore.exceptions

from kiln_boto import client, main

ROLE = "arn:aws:iam::123456789012:role/KilnHosting"
XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "samples", "data")
BUCKET = "kiln-hosting"


def churn_split():
    """Churn with its header, 80/20 with a fixed seed: the training job reads it with target_column=churn."""
    with open(os.path.join(DATA, "churn.csv")) as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    random.Random(11).shuffle(rows)
    cut = int(len(rows) * 0.8)
    return header, rows[:cut], rows[cut:]


def to_csv(rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def ensure_bucket(s3, bucket=BUCKET):
    try:
        s3.create_bucket(Bucket=bucket)
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise


def trained_churn_model(sm, s3, job_name="churn-xgb"):
    """Trains xgboost on churn once per server (later tests reuse the job); returns the job description."""
    try:
        job = sm.describe_training_job(TrainingJobName=job_name)
    except botocore.exceptions.ClientError:
        ensure_bucket(s3)
        header, train, validation = churn_split()
        s3.put_object(Bucket=BUCKET, Key="churn/train/train.csv", Body=to_csv([header] + train))
        s3.put_object(Bucket=BUCKET, Key="churn/validation/validation.csv", Body=to_csv([header] + validation))
        channels = [{"ChannelName": name, "ContentType": "text/csv;header=present",
                     "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/churn/{name}/"}}}
                    for name in ("train", "validation")]
        try:
            sm.create_training_job(
                TrainingJobName=job_name, RoleArn=ROLE,
                AlgorithmSpecification={"TrainingImage": XGBOOST, "TrainingInputMode": "File"},
                HyperParameters={"objective": "binary:logistic", "num_round": "80", "max_depth": "5", "eta": "0.2", "eval_metric": "auc", "target_column": "churn"},
                InputDataConfig=channels, OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
                ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
                StoppingCondition={"MaxRuntimeInSeconds": 600})
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] != "ResourceInUse":
                raise
    sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=job_name, WaiterConfig={"Delay": 1, "MaxAttempts": 300})
    job = sm.describe_training_job(TrainingJobName=job_name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    return job


def create_model(sm, job, name=None):
    name = name or "churn-" + uuid.uuid4().hex[:8]
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]})
    return name


def variant(name, model, weight=1.0, count=1):
    return {"VariantName": name, "ModelName": model, "InitialInstanceCount": count, "InstanceType": "ml.m5.large", "InitialVariantWeight": weight}


def deploy(sm, variants, capture=None, shadows=None, tags=None, name=None):
    name = name or "ep-" + uuid.uuid4().hex[:8]
    config = dict(EndpointConfigName=name + "-config", ProductionVariants=variants)
    if capture:
        config["DataCaptureConfig"] = capture
    if shadows:
        config["ShadowProductionVariants"] = shadows
    if tags:
        config["Tags"] = tags
    sm.create_endpoint_config(**config)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name + "-config")
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    return name


def feature_rows(rows, header):
    """Rows as an endpoint takes them: the features only, without the churn column."""
    target = header.index("churn")
    return [[cell for i, cell in enumerate(row) if i != target] for row in rows]


def csv_line(cells):
    return to_csv([cells]).decode().strip()


def auc(scores, labels):
    positives = [s for s, y in zip(scores, labels) if y]
    negatives = [s for s, y in zip(scores, labels) if not y]
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def capture_lines(s3, prefix):
    keys = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=BUCKET, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    lines = []
    for key in keys:
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
        lines += [(key, json.loads(line)) for line in body.splitlines() if line.strip()]
    return lines


def wait_in_service(sm, name, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        described = sm.describe_endpoint(EndpointName=name)
        if described["EndpointStatus"] not in ("Creating", "Updating", "RollingBack"):
            return described
        time.sleep(0.25)
    raise AssertionError(f"{name} still {described['EndpointStatus']}")


def test_two_variants_split_traffic_capture_and_match_offline_predictions(endpoint):
    sm, runtime, s3 = client("sagemaker", endpoint), client("sagemaker-runtime", endpoint), client("s3", endpoint)
    job = trained_churn_model(sm, s3)
    model_a, model_b = create_model(sm, job), create_model(sm, job)
    name = "ab-" + uuid.uuid4().hex[:8]
    capture = {"EnableCapture": True, "InitialSamplingPercentage": 100, "DestinationS3Uri": f"s3://{BUCKET}/capture",
               "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
               "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}}
    deploy(sm, [variant("A", model_a, 1.0), variant("B", model_b, 1.0, count=2)], capture=capture, name=name)

    described = sm.describe_endpoint(EndpointName=name)
    assert described["EndpointStatus"] == "InService"
    assert [(v["VariantName"], v["CurrentWeight"], v["CurrentInstanceCount"]) for v in described["ProductionVariants"]] == [("A", 1.0, 1), ("B", 1.0, 2)], described
    assert described["DataCaptureConfig"]["CaptureStatus"] == "Started"

    header, _, validation = churn_split()
    rows = feature_rows(validation, header)
    labels = [row[header.index("churn")] == "yes" for row in validation]
    counts = collections.Counter()
    scores = {}
    for i in range(1000):
        r = i % len(rows)
        response = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Accept="text/csv", Body=csv_line(rows[r]))
        counts[response["InvokedProductionVariant"]] += 1
        assert response["ContentType"] == "text/csv"
        score = float(response["Body"].read().decode().strip())
        assert r not in scores or abs(scores[r] - score) < 1e-9, "the same row scored differently"
        scores[r] = score

    # 1,000 draws of a fair coin: each variant within 4 standard deviations (±63) of 500.
    assert set(counts) == {"A", "B"} and abs(counts["A"] - 500) <= 63, counts
    # B's two replicas both served: InitialInstanceCount is that many loaded copies of the model.
    traffic = json.load(urllib.request.urlopen(f"{endpoint}/api/kiln/endpoints/{name}/traffic"))["traffic"]
    replicas = {v["variantName"]: v["replicaInvocations"] for v in traffic["variants"]}
    assert len(replicas["A"]) == 1 and len(replicas["B"]) == 2 and min(replicas["B"]) > 100 and sum(replicas["B"]) == counts["B"], replicas

    # The endpoint's scores are the trained model's: their AUC on the validation rows is the job's validation:auc.
    served = [scores[r] for r in range(len(rows))]
    job_auc = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}["validation:auc"]
    assert abs(auc(served, labels) - job_auc) < 0.002, (auc(served, labels), job_auc)

    # Offline predictions from batch transform on the same rows match the endpoint's, row for row.
    s3.put_object(Bucket=BUCKET, Key=f"transform-in/{name}/rows.csv", Body=to_csv(rows))
    transform = "bt-" + uuid.uuid4().hex[:8]
    sm.create_transform_job(
        TransformJobName=transform, ModelName=model_a, BatchStrategy="MultiRecord", MaxPayloadInMB=1,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/transform-in/{name}/"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{BUCKET}/transform-out/{name}", "AssembleWith": "Line", "Accept": "text/csv"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    sm.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName=transform, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    described = sm.describe_transform_job(TransformJobName=transform)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    offline = s3.get_object(Bucket=BUCKET, Key=f"transform-out/{name}/rows.csv.out")["Body"].read().decode().splitlines()
    assert len(offline) == len(rows)
    assert all(abs(float(o) - s) < 1e-9 for o, s in zip(offline, served)), "batch transform and the endpoint disagree"

    # Every invocation was captured, in SageMaker's format, under {destination}/{endpoint}/{variant}/yyyy/mm/dd/hh/.
    deadline = time.time() + 20
    while True:
        lines = capture_lines(s3, f"capture/{name}/")
        if len(lines) >= 1000 or time.time() > deadline:
            break
        time.sleep(0.5)
    assert len(lines) == 1000, len(lines)
    per_variant = collections.Counter(key.split("/")[2] for key, _ in lines)
    assert per_variant == counts, (per_variant, counts)
    key, record = lines[0]
    parts = key.split("/")
    assert len(parts) == 8 and parts[3].isdigit() and len(parts[3]) == 4 and parts[7].endswith(".jsonl"), key
    data = record["captureData"]
    assert data["endpointInput"]["observedContentType"] == "text/csv" and data["endpointInput"]["mode"] == "INPUT" and data["endpointInput"]["encoding"] == "CSV"
    assert data["endpointOutput"]["mode"] == "OUTPUT" and float(data["endpointOutput"]["data"]) >= 0
    assert set(record["eventMetadata"]) >= {"eventId", "inferenceId", "inferenceTime"}
    # inferenceTime is ISO 8601 UTC with milliseconds, and the record sits in the folder of its own hour.
    inferred = datetime.datetime.strptime(record["eventMetadata"]["inferenceTime"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert len(record["eventMetadata"]["inferenceTime"]) == 24
    assert parts[3:7] == [f"{inferred.year:04d}", f"{inferred.month:02d}", f"{inferred.day:02d}", f"{inferred.hour:02d}"], (key, inferred)
    assert abs((datetime.datetime.utcnow() - inferred).total_seconds()) < 600

    listed = sm.list_endpoints(NameContains=name)["Endpoints"]
    assert [e["EndpointName"] for e in listed] == [name] and listed[0]["EndpointStatus"] == "InService"
    sm.delete_endpoint(EndpointName=name)
    sm.get_waiter("endpoint_deleted").wait(EndpointName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})


def test_weights_move_traffic_and_canary_update_drops_no_request(endpoint):
    sm, runtime, s3 = client("sagemaker", endpoint), client("sagemaker-runtime", endpoint), client("s3", endpoint)
    job = trained_churn_model(sm, s3)
    model = create_model(sm, job)
    name = deploy(sm, [variant("A", model), variant("B", model)])
    header, _, validation = churn_split()
    body = csv_line(feature_rows(validation, header)[0])

    sm.update_endpoint_weights_and_capacities(EndpointName=name, DesiredWeightsAndCapacities=[
        {"VariantName": "A", "DesiredWeight": 0.0}, {"VariantName": "B", "DesiredWeight": 1.0}])
    described = wait_in_service(sm, name)
    assert [(v["VariantName"], v["CurrentWeight"]) for v in described["ProductionVariants"]] == [("A", 0.0), ("B", 1.0)], described
    seen = collections.Counter(runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=body)["InvokedProductionVariant"] for _ in range(200))
    assert seen == {"B": 200}, seen

    # Blue/green with a canary: a client keeps invoking while traffic moves to the new config; nothing fails.
    new_config = name + "-green"
    sm.create_endpoint_config(EndpointConfigName=new_config, ProductionVariants=[variant("green", model, count=2)])
    results, errors, stop = [], [], threading.Event()

    def keep_invoking():
        own = client("sagemaker-runtime", endpoint)
        while not stop.is_set():
            try:
                results.append((time.time(), own.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=body)["InvokedProductionVariant"]))
            except Exception as e:  # noqa: BLE001 - any failure is the assertion
                errors.append(repr(e))

    workers = [threading.Thread(target=keep_invoking) for _ in range(2)]
    for w in workers:
        w.start()
    time.sleep(0.3)
    sm.update_endpoint(EndpointName=name, EndpointConfigName=new_config, DeploymentConfig={"BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {"Type": "CANARY", "WaitIntervalInSeconds": 2, "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 25}},
        "TerminationWaitInSeconds": 0}})
    during = sm.describe_endpoint(EndpointName=name)
    assert during["EndpointStatus"] == "Updating" and during["PendingDeploymentSummary"]["EndpointConfigName"] == new_config, during
    final = wait_in_service(sm, name, timeout=60)
    time.sleep(0.5)
    stop.set()
    for w in workers:
        w.join()
    assert not errors, errors[:5]
    assert final["EndpointConfigName"] == new_config and [v["VariantName"] for v in final["ProductionVariants"]] == ["green"], final
    assert final["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == "CANARY"
    variants = [v for _, v in results]
    assert "B" in variants and "green" in variants, collections.Counter(variants)
    # While the canary baked, both fleets served; after the update only the new one does.
    first_green = variants.index("green")
    assert "B" in variants[first_green:], "the canary step was skipped"
    assert variants[-20:] == ["green"] * 20, variants[-20:]


def test_failed_update_rolls_back_to_the_old_fleet(endpoint):
    sm, runtime, s3 = client("sagemaker", endpoint), client("sagemaker-runtime", endpoint), client("s3", endpoint)
    job = trained_churn_model(sm, s3)
    model = create_model(sm, job)
    name = deploy(sm, [variant("blue", model)])
    ensure_bucket(s3)
    s3.put_object(Bucket=BUCKET, Key="broken/model.tar.gz", Body=b"this is not a model archive")
    broken = "broken-" + uuid.uuid4().hex[:8]
    sm.create_model(ModelName=broken, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": f"s3://{BUCKET}/broken/model.tar.gz"})
    sm.create_endpoint_config(EndpointConfigName=name + "-broken", ProductionVariants=[variant("green", broken)])
    sm.update_endpoint(EndpointName=name, EndpointConfigName=name + "-broken")
    final = wait_in_service(sm, name)
    assert final["EndpointStatus"] == "InService" and final["EndpointConfigName"] == name + "-config", final
    assert "could not be brought up" in final["FailureReason"], final["FailureReason"]
    header, _, validation = churn_split()
    response = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_line(feature_rows(validation, header)[0]))
    assert response["InvokedProductionVariant"] == "blue"


def test_shadow_variant_gets_a_copy_and_is_never_returned(endpoint):
    sm, runtime, s3 = client("sagemaker", endpoint), client("sagemaker-runtime", endpoint), client("s3", endpoint)
    job = trained_churn_model(sm, s3)
    model = create_model(sm, job)
    capture = {"EnableCapture": True, "InitialSamplingPercentage": 100, "DestinationS3Uri": f"s3://{BUCKET}/shadow-capture",
               "CaptureOptions": [{"CaptureMode": "InputAndOutput"}]}
    name = deploy(sm, [variant("prod", model)], capture=capture, shadows=[variant("shadow", model)])
    header, _, validation = churn_split()
    rows = feature_rows(validation, header)
    for row in rows[:50]:
        response = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_line(row))
        assert response["InvokedProductionVariant"] == "prod"
    deadline = time.time() + 20
    while True:
        traffic = json.load(urllib.request.urlopen(f"{endpoint}/api/kiln/endpoints/{name}/traffic"))["traffic"]
        shadow = next(v for v in traffic["variants"] if v["variantName"] == "shadow")
        if shadow["invocations"] >= 50 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert shadow["shadow"] and shadow["invocations"] == 50 and shadow["comparisons"] == 50 and shadow["agreements"] == 50, shadow
    described = sm.describe_endpoint(EndpointName=name)
    assert [v["VariantName"] for v in described["ShadowProductionVariants"]] == ["shadow"]
    deadline = time.time() + 20
    while True:
        variants = collections.Counter(key.split("/")[2] for key, _ in capture_lines(s3, f"shadow-capture/{name}/"))
        if variants.get("shadow", 0) >= 50 or time.time() > deadline:
            break
        time.sleep(0.5)
    assert variants == {"prod": 50, "shadow": 50}, variants


def test_batch_transform_filters_and_joins(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    job = trained_churn_model(sm, s3)
    model = create_model(sm, job)
    header, _, validation = churn_split()
    rows = feature_rows(validation, header)[:40]
    # An id column first: the input filter drops it for the model, the join brings it back beside the score.
    with_ids = [[f"id-{i}"] + row for i, row in enumerate(rows)]
    s3.put_object(Bucket=BUCKET, Key="joined-in/part-1.csv", Body=to_csv(with_ids[:25]))
    s3.put_object(Bucket=BUCKET, Key="joined-in/part-2.csv", Body=to_csv(with_ids[25:]))
    name = "bt-join-" + uuid.uuid4().hex[:8]
    sm.create_transform_job(
        TransformJobName=name, ModelName=model, BatchStrategy="SingleRecord", MaxConcurrentTransforms=2,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/joined-in/"}}, "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{BUCKET}/joined-out/{name}", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"})
    try:
        sm.create_transform_job(
            TransformJobName=name, ModelName=model,
            TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/joined-in/"}}},
            TransformOutput={"S3OutputPath": f"s3://{BUCKET}/joined-out/{name}"}, TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
        raise AssertionError("a duplicate transform job was accepted")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceInUse", e.response
    sm.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    described = sm.describe_transform_job(TransformJobName=name)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    assert described["DataProcessing"] == {"InputFilter": "$[1:]", "OutputFilter": "$[0,-1]", "JoinSource": "Input"}
    out = []
    for part in ("part-1.csv", "part-2.csv"):
        out += s3.get_object(Bucket=BUCKET, Key=f"joined-out/{name}/{part}.out")["Body"].read().decode().splitlines()
    assert [line.split(",")[0] for line in out] == [f"id-{i}" for i in range(40)], out[:3]
    assert all(0 <= float(line.split(",")[1]) <= 1 for line in out)
    progress = json.load(urllib.request.urlopen(f"{endpoint}/api/kiln/transform-jobs/{name}/progress"))["progress"]
    assert progress == {"filesTotal": 2, "filesDone": 2, "recordsTotal": 40, "recordsDone": 40}, progress
    listed = sm.list_transform_jobs(NameContains=name, StatusEquals="Completed")["TransformJobSummaries"]
    assert [j["TransformJobName"] for j in listed] == [name]


def test_onnx_model_built_elsewhere_serves_correct_outputs(endpoint):
    """An ONNX model made outside Kiln (the onnx package, as Debian ships it) serves with no code: a bare .onnx and one inside model.tar.gz."""
    sm, runtime, s3 = client("sagemaker", endpoint), client("sagemaker-runtime", endpoint), client("s3", endpoint)
    ensure_bucket(s3)
    folder = tempfile.mkdtemp()
    python = os.environ.get("KILN_ONNX_PYTHON", "/usr/bin/python3")
    subprocess.run([python, os.path.join(HERE, "build_onnx.py"), folder], check=True)
    expected = json.load(open(os.path.join(folder, "expected.json")))
    s3.upload_file(os.path.join(folder, "logistic.onnx"), BUCKET, "onnx/logistic.onnx")
    archive = os.path.join(folder, "model.tar.gz")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(os.path.join(folder, "softmax.onnx"), arcname="softmax.onnx")
    s3.upload_file(archive, BUCKET, "onnx/softmax/model.tar.gz")

    suffix = uuid.uuid4().hex[:6]
    sm.create_model(ModelName="logistic-" + suffix, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "kiln/onnx", "ModelDataUrl": f"s3://{BUCKET}/onnx/logistic.onnx"})
    sm.create_model(ModelName="softmax-" + suffix, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "kiln/onnx", "ModelDataUrl": f"s3://{BUCKET}/onnx/softmax/model.tar.gz"})
    name = deploy(sm, [variant("logistic", "logistic-" + suffix), variant("softmax", "softmax-" + suffix)])

    rows = expected["rows"]
    body = "\n".join(",".join(repr(v) for v in row) for row in rows)
    response = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=body, TargetVariant="logistic")
    scores = [float(line) for line in response["Body"].read().decode().splitlines()]
    assert len(scores) == 20 and all(abs(a - b) < 1e-5 for a, b in zip(scores, expected["logistic"])), (scores[:3], expected["logistic"][:3])

    response = runtime.invoke_endpoint(EndpointName=name, ContentType="application/json", Accept="application/json",
                                       Body=json.dumps({"instances": rows}), TargetVariant="softmax")
    predictions = json.loads(response["Body"].read())["predictions"]
    assert len(predictions) == 20
    for prediction, probabilities in zip(predictions, expected["softmax"]):
        assert all(abs(a - b) < 1e-5 for a, b in zip(prediction["vector"], probabilities)), (prediction, probabilities)

    error = expect_error(lambda: runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body="1,2,3", TargetVariant="logistic"), "ModelError", 424, "Expected 4 features")
    assert error["OriginalStatusCode"] == 400


def expect_error(call, code, status, mentioned=None):
    response = error_of(call, code, status, mentioned)
    if response is None:
        raise AssertionError(f"expected {code}")
    return response


def padded_model_data(s3, job):
    """The job's model.tar.gz with a 32 MB file of random bytes added, uploaded once; returns its key."""
    bucket, key = job["ModelArtifacts"]["S3ModelArtifacts"][len("s3://"):].split("/", 1)
    original = tarfile.open(fileobj=io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()), mode="r:gz")
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz", compresslevel=1) as archive:
        for member in original.getmembers():
            archive.addfile(member, original.extractfile(member) if member.isfile() else None)
        padding = os.urandom(32 * 1024 * 1024)
        info = tarfile.TarInfo("padding.bin")
        info.size = len(padding)
        archive.addfile(info, io.BytesIO(padding))
    s3.put_object(Bucket=BUCKET, Key="padded/model.tar.gz", Body=packed.getvalue())
    return "padded/model.tar.gz"


def error_of(call, code, status, mentioned=None):
    """The error response of call, checked to be code/status (mentioning `mentioned`); None when the call succeeds."""
    try:
        call()
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == code, e.response
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == status, e.response
        if mentioned:
            assert mentioned in e.response["Error"]["Message"], (mentioned, e.response["Error"]["Message"])
        return e.response
    return None


def test_bad_invocations_get_sagemaker_errors_and_the_endpoint_keeps_serving(endpoint):
    sm, runtime, s3 = client("sagemaker", endpoint), client("sagemaker-runtime", endpoint), client("s3", endpoint)
    job = trained_churn_model(sm, s3)
    model = create_model(sm, job)
    name = deploy(sm, [variant("A", model)])
    header, _, validation = churn_split()
    good = csv_line(feature_rows(validation, header)[0])

    def invoke(body, content_type="text/csv", **extra):
        return lambda: runtime.invoke_endpoint(EndpointName=name, ContentType=content_type, Body=body, **extra)

    error = expect_error(invoke('KS,"unclosed,1,2'), "ModelError", 424, "not closed")
    assert error["OriginalStatusCode"] == 400, error
    error = expect_error(invoke("1,2,3"), "ModelError", 424, "Expected")
    assert error["OriginalStatusCode"] == 400
    error = expect_error(invoke(good, content_type="application/x-recordio-protobuf"), "ModelError", 424, "not supported")
    assert error["OriginalStatusCode"] == 415
    expect_error(invoke(b"1" * (6 * 1024 * 1024 + 1)), "413", 413, "6291456")
    expect_error(invoke(good, TargetVariant="C"), "ValidationError", 400, "variant C")
    expect_error(lambda: runtime.invoke_endpoint(EndpointName="no-such-endpoint", ContentType="text/csv", Body=good), "ValidationError", 400, "not found")
    expect_error(invoke("[[1, 2", content_type="application/json"), "ModelError", 424, "JSON")

    # An endpoint still Creating refuses invocations with ValidationError. Its model data is the trained model with 32 MB
    # of incompressible padding, copied to a fresh key each attempt (nodes cache model data by URL), so downloading and
    # unpacking it keeps the endpoint Creating while the invocation sent right after CreateEndpoint arrives; when the
    # load still won the race, the endpoint must already be InService (it never answers before), and a fresh one is tried.
    padded = padded_model_data(s3, job)
    for _ in range(5):
        slow = "slow-" + uuid.uuid4().hex[:8]
        s3.copy_object(Bucket=BUCKET, Key=f"padded/{slow}/model.tar.gz", CopySource={"Bucket": BUCKET, "Key": padded})
        sm.create_model(ModelName=slow, ExecutionRoleArn=ROLE,
                        PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": f"s3://{BUCKET}/padded/{slow}/model.tar.gz"})
        sm.create_endpoint_config(EndpointConfigName=slow + "-config", ProductionVariants=[variant("A", slow, count=16)])
        sm.create_endpoint(EndpointName=slow, EndpointConfigName=slow + "-config")
        if error_of(lambda: runtime.invoke_endpoint(EndpointName=slow, ContentType="text/csv", Body=good), "ValidationError", 400, "Creating"):
            break
        assert sm.describe_endpoint(EndpointName=slow)["EndpointStatus"] == "InService"
    else:
        raise AssertionError("five endpoints came into service before an invocation could reach one while Creating")

    response = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=good, TargetVariant="A", InferenceId="my-id-1")
    assert response["InvokedProductionVariant"] == "A"
    json_response = runtime.invoke_endpoint(EndpointName=name, ContentType="application/json", Accept="application/json",
                                            Body=json.dumps({"instances": [feature_rows(validation, header)[0]]}))
    prediction = json.loads(json_response["Body"].read())["predictions"][0]
    assert prediction["predicted_label"] in ("yes", "no") and len(prediction["probabilities"]) == 2
    assert abs(float(response["Body"].read()) - prediction["score"]) < 1e-9
    sm.get_waiter("endpoint_in_service").wait(EndpointName=slow, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    assert sm.describe_endpoint(EndpointName=slow)["ProductionVariants"][0]["CurrentInstanceCount"] == 16


def test_control_plane_validation(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    job = trained_churn_model(sm, s3)
    model = create_model(sm, job)
    expect_error(lambda: sm.describe_endpoint(EndpointName="missing-endpoint"), "ValidationException", 400, "Could not find endpoint")
    expect_error(lambda: sm.describe_model(ModelName="missing-model"), "ValidationException", 400, "Could not find model")
    expect_error(lambda: sm.describe_endpoint_config(EndpointConfigName="missing-config"), "ValidationException", 400, "Could not find endpoint configuration")
    expect_error(lambda: sm.create_model(ModelName=model, PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]}),
                 "ValidationException", 400, "already existing model")
    expect_error(lambda: sm.create_model(ModelName="no-data-" + uuid.uuid4().hex[:6], PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": f"s3://{BUCKET}/nothing/here.tar.gz"}),
                 "ValidationException", 400, "Could not find model data")
    expect_error(lambda: sm.create_model(ModelName="bad_name!", PrimaryContainer={"Image": XGBOOST}), "ValidationException", 400, "modelName")
    config = "cfg-" + uuid.uuid4().hex[:8]
    expect_error(lambda: sm.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[variant("A", "missing-model")]), "ValidationException", 400, "Could not find model")
    expect_error(lambda: sm.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[variant("A", model), variant("A", model)]), "ValidationException", 400, "unique")
    expect_error(lambda: sm.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[variant("A", model, count=100)]), "ResourceLimitExceeded", 400)
    expect_error(lambda: sm.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[{"VariantName": "A", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}]),
                 "ValidationException", 400, "productionVariants.1.member.modelName")
    expect_error(lambda: sm.create_endpoint(EndpointName="ep-" + uuid.uuid4().hex[:6], EndpointConfigName="missing-config"), "ValidationException", 400, "Could not find endpoint configuration")
    expect_error(lambda: sm.describe_endpoint_config(EndpointConfigName=config), "ValidationException", 400)  # nothing was stored

    name = deploy(sm, [variant("A", model)])
    expect_error(lambda: sm.create_endpoint(EndpointName=name, EndpointConfigName=name + "-config"), "ValidationException", 400, "already existing endpoint")
    expect_error(lambda: sm.update_endpoint_weights_and_capacities(EndpointName=name, DesiredWeightsAndCapacities=[{"VariantName": "Z", "DesiredWeight": 1.0}]),
                 "ValidationException", 400, "Z")
    expect_error(lambda: sm.update_endpoint(EndpointName=name, EndpointConfigName="missing-config"), "ValidationException", 400, "Could not find endpoint configuration")
    expect_error(lambda: sm.create_transform_job(
        TransformJobName="bt-" + uuid.uuid4().hex[:6], ModelName="missing-model",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/x/"}}},
        TransformOutput={"S3OutputPath": f"s3://{BUCKET}/y"}, TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1}),
        "ValidationException", 400, "Could not find model")
    expect_error(lambda: sm.create_transform_job(
        TransformJobName="bt-" + uuid.uuid4().hex[:6], ModelName=model,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/x/"}}},
        TransformOutput={"S3OutputPath": f"s3://{BUCKET}/y"}, TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        DataProcessing={"InputFilter": "$[1:"}), "ValidationException", 400, "JSONPath")
    expect_error(lambda: sm.describe_transform_job(TransformJobName="missing-transform"), "ResourceNotFound", 400)
    # The endpoint is untouched by all of the above.
    assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"
    models = sm.list_models(NameContains=model)["Models"]
    assert [m["ModelName"] for m in models] == [model]
    sm.delete_model(ModelName=model)
    expect_error(lambda: sm.delete_model(ModelName=model), "ValidationException", 400, "Could not find model")


if __name__ == "__main__":
    main({name: fn for name, fn in globals().items() if name.startswith("test_")})
