"""Job logs through the CloudWatch Logs API on Kiln's endpoint, read the way the SageMaker Python SDK reads them."""
import collections
import io
import os
import re
import signal
import tarfile
import time
import uuid

import botocore.exceptions
from botocore.config import Config

from kiln_boto import client, main, session
from sagemaker_framework_models import BUCKET, SKLEARN_IMAGE, csv_body, model_error, rows_and_labels, settle, trained_sklearn, workers_of
from sagemaker_script_mode import model_files
from sagemaker_training import ROLE, XGBOOST, channel, upload_breast_cancer, wait, xgboost_job

TRAINING, PROCESSING, TRANSFORM = "/aws/sagemaker/TrainingJobs", "/aws/sagemaker/ProcessingJobs", "/aws/sagemaker/TransformJobs"
ENDPOINTS = "/aws/sagemaker/Endpoints/"
Position = collections.namedtuple("Position", ["timestamp", "skip"])


def log_stream(logs, group, stream, start_time, skip):
    """The SDK's sagemaker.logs.log_stream: pages forward from start_time until a page comes back empty."""
    token = None
    while True:
        response = logs.get_log_events(logGroupName=group, logStreamName=stream, startTime=start_time, startFromHead=True,
                                       **({"nextToken": token} if token else {}))
        token = response["nextForwardToken"]
        events = response["events"]
        if not events:
            return
        if len(events) > skip:
            events, skip = events[skip:], 0
        else:
            events, skip = [], skip - len(events)
        yield from events


def follow(logs, group, job_name, status, poll=0.3, timeout=120):
    """Session.logs_for_job(wait=True) as the SDK runs it: find the job's streams by prefix, read each from its
    position (last timestamp, events already seen at it), describe the job, once more after it ends.
    Returns (stream names, [(message, job status when it arrived)])."""
    streams, positions, seen = [], {}, []
    finished, deadline = False, time.time() + timeout
    while True:
        if len(streams) < 1:
            try:
                found = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=job_name + "/", orderBy="LogStreamName", limit=1)
                assert "nextToken" not in found, found  # the SDK loops on nextToken: one job, one stream, no token
                streams = [s["logStreamName"] for s in found["logStreams"]]
                positions.update((s, Position(0, 0)) for s in streams if s not in positions)
            except botocore.exceptions.ClientError as e:
                if e.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
        current = status()
        for stream in streams:
            for event in log_stream(logs, group, stream, positions[stream].timestamp, positions[stream].skip):
                seen.append((event["message"], current))
                ts, count = positions[stream]
                positions[stream] = Position(ts, count + 1) if event["timestamp"] == ts else Position(event["timestamp"], 1)
        if finished:
            return streams, seen
        if current not in ("InProgress", "Stopping"):
            finished = True  # one more flush after the job ends, as the SDK does
        assert time.time() < deadline, "the job did not finish"
        time.sleep(poll)


def expect_error(code, message, call, **kwargs):
    try:
        call(**kwargs)
    except botocore.exceptions.ClientError as e:
        error = e.response["Error"]
        assert error["Code"] == code and message.lower() in error["Message"].lower(), (kwargs, error)
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, e.response["ResponseMetadata"]
        return
    raise AssertionError(f"accepted {kwargs}")


def script_job(sm, s3, name, command):
    try:
        s3.create_bucket(Bucket="kiln-logs")
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise
    s3.put_object(Bucket="kiln-logs", Key="train/a.csv", Body=b"1\n")
    sm.create_training_job(
        TrainingJobName=name, RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": "kiln/script", "TrainingInputMode": "File", "ContainerEntrypoint": ["bash", "-c", command]},
        InputDataConfig=[channel("train", "s3://kiln-logs/train/")],
        OutputDataConfig={"S3OutputPath": "s3://kiln-logs/output"}, StoppingCondition={"MaxRuntimeInSeconds": 600})


def test_training_logs_arrive_live_as_the_sdk_reads_them(endpoint):
    sm, s3, logs = client("sagemaker", endpoint), client("s3", endpoint), client("logs", endpoint)
    name = "logs-" + uuid.uuid4().hex[:8]
    script_job(sm, s3, name, "for i in 1 2 3 4 5 6; do echo kiln-line-$i; sleep 0.7; done")
    streams, seen = follow(logs, TRAINING, name, lambda: sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"])
    assert len(streams) == 1 and re.fullmatch(re.escape(name) + r"/algo-1-\d{10}", streams[0]), streams
    lines = [m for m, _ in seen if m.startswith("kiln-line-")]
    assert lines == [f"kiln-line-{i}" for i in range(1, 7)], lines  # each once, in order: positions and skips work
    assert any(state == "InProgress" for m, state in seen if m.startswith("kiln-line-")), seen  # lines came while it ran
    assert sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] == "Completed"
    stream = streams[0]

    # Caught up: the forward token comes back unchanged while nothing is newer.
    everything = logs.get_log_events(logGroupName=TRAINING, logStreamName=stream, startFromHead=True)
    events = everything["events"]
    assert [e["message"] for e in events if e["message"].startswith("kiln-line-")] == lines
    assert all(isinstance(e["timestamp"], int) and e["ingestionTime"] >= e["timestamp"] for e in events)
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    assert abs(events[0]["timestamp"] / 1000 - int(stream.rsplit("-", 1)[1])) < 1, (events[0], stream)
    token = everything["nextForwardToken"]
    assert token.startswith("f/") and everything["nextBackwardToken"].startswith("b/")
    again = logs.get_log_events(logGroupName=TRAINING, logStreamName=stream, nextToken=token, startFromHead=True)
    assert again["events"] == [] and again["nextForwardToken"] == token, again

    # Paging forward two at a time, then backward from the end (the default without startFromHead).
    paged, token = [], None
    while True:
        page = logs.get_log_events(logGroupName=TRAINING, logStreamName=stream, limit=2, startFromHead=True, **({"nextToken": token} if token else {}))
        assert len(page["events"]) <= 2
        if not page["events"]:
            assert page["nextForwardToken"] == token
            break
        paged += page["events"]
        token = page["nextForwardToken"]
    assert paged == events
    tail = logs.get_log_events(logGroupName=TRAINING, logStreamName=stream, limit=3)
    assert tail["events"] == events[-3:], tail
    before = logs.get_log_events(logGroupName=TRAINING, logStreamName=stream, limit=3, nextToken=tail["nextBackwardToken"])
    assert before["events"] == events[-6:-3], before

    # Time windows: startTime inclusive, endTime exclusive.
    third = next(e for e in events if e["message"] == "kiln-line-3")
    window = logs.get_log_events(logGroupName=TRAINING, logStreamName=stream, startFromHead=True, startTime=third["timestamp"], endTime=third["timestamp"] + 1)
    assert [e["message"] for e in window["events"]] == [e["message"] for e in events if e["timestamp"] == third["timestamp"]], window

    # DescribeLogStreams the way the console and CLI list a group, and DescribeLogGroups.
    listed = logs.describe_log_streams(logGroupName=TRAINING, logStreamNamePrefix=name)["logStreams"]
    assert [s["logStreamName"] for s in listed] == [stream]
    assert listed[0]["firstEventTimestamp"] == events[0]["timestamp"] and listed[0]["lastEventTimestamp"] == events[-1]["timestamp"], listed
    assert listed[0]["arn"].endswith(f":log-group:{TRAINING}:log-stream:{stream}"), listed[0]["arn"]
    newest = logs.describe_log_streams(logGroupName=TRAINING, orderBy="LastEventTime", descending=True, limit=1)["logStreams"]
    assert newest[0]["lastEventTimestamp"] >= listed[0]["lastEventTimestamp"]
    by_group = logs.describe_log_groups(logGroupNamePrefix="/aws/sagemaker/")["logGroups"]
    assert {TRAINING, PROCESSING, TRANSFORM} <= {g["logGroupName"] for g in by_group}, by_group
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePattern="trainingjobs")["logGroups"]] == [TRAINING]


def test_filter_log_events_as_the_cli_does(endpoint):
    sm, s3, logs = client("sagemaker", endpoint), client("s3", endpoint), client("logs", endpoint)
    name = "filter-" + uuid.uuid4().hex[:8]
    # Built from parts, so the command line Kiln logs ("Invoking script: …") matches none of the patterns below.
    script_job(sm, s3, name, "w=row; for i in 1 2 3 4 5; do echo \"kiln-$w-$i fine\"; done; echo \"ERR\"\"OR: kiln-$w broke\"")
    assert wait(sm, name)["TrainingJobStatus"] == "Completed"

    def messages(**kwargs):
        # `aws logs filter-log-events` pages with the paginator.
        pages = logs.get_paginator("filter_log_events").paginate(logGroupName=TRAINING, logStreamNamePrefix=name + "/", **kwargs)
        return [e["message"] for page in pages for e in page["events"]]

    assert messages(filterPattern="kiln-row") == [f"kiln-row-{i} fine" for i in range(1, 6)] + ["ERROR: kiln-row broke"]
    assert messages(filterPattern="?kiln-row-2 ?kiln-row-4") == ["kiln-row-2 fine", "kiln-row-4 fine"]
    assert messages(filterPattern="kiln-row -fine") == ["ERROR: kiln-row broke"]
    assert messages(filterPattern='"ERROR: kiln"') == ["ERROR: kiln-row broke"]
    assert messages(filterPattern="error") == []  # terms are case-sensitive, as in CloudWatch
    # Small pages: the paginator follows nextToken to the same answer.
    assert messages(filterPattern="kiln-row", PaginationConfig={"PageSize": 2}) == messages(filterPattern="kiln-row")
    first = logs.filter_log_events(logGroupName=TRAINING, logStreamNamePrefix=name + "/", filterPattern="kiln-row", limit=2)
    assert len(first["events"]) == 2 and "nextToken" in first, first
    stream = first["events"][0]["logStreamName"]
    assert first["searchedLogStreams"] == [{"logStreamName": stream, "searchedCompletely": False}], first["searchedLogStreams"]
    by_name = logs.filter_log_events(logGroupName=TRAINING, logStreamNames=[stream], filterPattern="ERROR")
    assert [e["message"] for e in by_name["events"]] == ["ERROR: kiln-row broke"] and "nextToken" not in by_name
    assert by_name["events"][0]["eventId"] and by_name["searchedLogStreams"][0]["searchedCompletely"] is True
    start = by_name["events"][0]["timestamp"]
    assert all(e["timestamp"] >= start for e in logs.filter_log_events(logGroupName=TRAINING, logStreamNames=[stream], startTime=start)["events"])


def test_processing_and_transform_logs(endpoint):
    sm, s3, logs = client("sagemaker", endpoint), client("s3", endpoint), client("logs", endpoint)
    processing = "proc-logs-" + uuid.uuid4().hex[:6]
    sm.create_processing_job(
        ProcessingJobName=processing, RoleArn=ROLE,
        ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5}},
        AppSpecification={"ImageUri": "kiln/script", "ContainerEntrypoint": ["bash", "-c", "echo processing-start; sleep 1; echo processing-end"]})
    streams, seen = follow(logs, PROCESSING, processing, lambda: sm.describe_processing_job(ProcessingJobName=processing)["ProcessingJobStatus"])
    assert len(streams) == 1 and streams[0].startswith(processing + "/algo-1-"), streams
    messages = [m for m, _ in seen]
    assert messages.index("processing-start") < messages.index("processing-end") and messages.count("processing-end") == 1, messages

    prefix = upload_breast_cancer(s3, "kiln-logs-bc")
    job_name = "logs-xgb-" + uuid.uuid4().hex[:6]
    sm.create_training_job(**xgboost_job(job_name, prefix))
    job = wait(sm, job_name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    model = "logs-model-" + uuid.uuid4().hex[:6]
    sm.create_model(ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]})
    s3.put_object(Bucket="kiln-logs-bc", Key="transform-in/rows.csv", Body=b"17.99,10.38,122.8,1001,0.1184,0.2776,0.3001,0.1471,0.2419,0.07871,1.095,0.9053,8.589,153.4,0.006399,0.04904,0.05373,0.01587,0.03003,0.006193,25.38,17.33,184.6,2019,0.1622,0.6656,0.7119,0.2654,0.4601,0.1189\n")
    transform = "logs-bt-" + uuid.uuid4().hex[:6]
    sm.create_transform_job(
        TransformJobName=transform, ModelName=model,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://kiln-logs-bc/transform-in/"}}, "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://kiln-logs-bc/transform-out/{transform}"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    streams, seen = follow(logs, TRANSFORM, transform, lambda: sm.describe_transform_job(TransformJobName=transform)["TransformJobStatus"])
    assert sm.describe_transform_job(TransformJobName=transform)["TransformJobStatus"] == "Completed"
    assert len(streams) == 1 and streams[0].startswith(transform + "/"), streams
    messages = [m for m, _ in seen]
    assert "Transforming rows.csv" in messages and messages[-1].startswith("Completed"), messages


def test_bad_input(endpoint):
    sm, s3, logs = client("sagemaker", endpoint), client("s3", endpoint), client("logs", endpoint)
    name = "bad-logs-" + uuid.uuid4().hex[:6]
    script_job(sm, s3, name, "echo one; echo two")
    assert wait(sm, name)["TrainingJobStatus"] == "Completed"
    stream = logs.describe_log_streams(logGroupName=TRAINING, logStreamNamePrefix=name + "/")["logStreams"][0]["logStreamName"]

    no_group, no_stream = "The specified log group does not exist.", "The specified log stream does not exist."
    expect_error("ResourceNotFoundException", no_group, logs.get_log_events, logGroupName="/aws/sagemaker/NoSuchJobs", logStreamName=stream)
    expect_error("ResourceNotFoundException", no_group, logs.describe_log_streams, logGroupName="/aws/lambda/x")
    expect_error("ResourceNotFoundException", no_group, logs.filter_log_events, logGroupName="/aws/lambda/x")
    expect_error("ResourceNotFoundException", no_stream, logs.get_log_events, logGroupName=TRAINING, logStreamName=name + "/algo-1-1")
    expect_error("ResourceNotFoundException", no_stream, logs.get_log_events, logGroupName=TRAINING, logStreamName="no-such-job/algo-1-1")
    expect_error("ResourceNotFoundException", no_stream, logs.get_log_events, logGroupName=TRAINING, logStreamName="../../etc/passwd")
    expect_error("ResourceNotFoundException", no_stream, logs.get_log_events, logGroupName=PROCESSING, logStreamName=stream)  # the wrong group
    expect_error("ResourceNotFoundException", no_stream, logs.filter_log_events, logGroupName=TRAINING, logStreamNames=[stream, "nope/algo-1-1"])
    assert logs.describe_log_streams(logGroupName=TRAINING, logStreamNamePrefix="no-such-job/")["logStreams"] == []

    for token in ["f/abc", "x", "f/99999999", "b/-1"]:
        expect_error("InvalidParameterException", "nextToken", logs.get_log_events, logGroupName=TRAINING, logStreamName=stream, nextToken=token)
    expect_error("InvalidParameterException", "nextToken", logs.filter_log_events, logGroupName=TRAINING, nextToken="not-a-token")
    expect_error("InvalidParameterException", "nextToken", logs.describe_log_streams, logGroupName=TRAINING, nextToken="not-a-token")
    expect_error("InvalidParameterException", "less than or equal to 10000", logs.get_log_events, logGroupName=TRAINING, logStreamName=stream, limit=10001)
    expect_error("InvalidParameterException", "less than or equal to 10000", logs.filter_log_events, logGroupName=TRAINING, limit=10001)
    expect_error("InvalidParameterException", "less than or equal to 50", logs.describe_log_streams, logGroupName=TRAINING, limit=51)
    expect_error("InvalidParameterException", "less than or equal to 50", logs.describe_log_groups, limit=51)
    # botocore checks minimums itself; without its check the server answers as CloudWatch does.
    raw = session().client("logs", endpoint_url=endpoint, config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    expect_error("InvalidParameterException", "greater than or equal to 1", raw.get_log_events, logGroupName=TRAINING, logStreamName=stream, limit=0)
    expect_error("InvalidParameterException", "logGroupName", raw.get_log_events, logStreamName=stream)
    expect_error("InvalidParameterException", "logStreamName", raw.get_log_events, logGroupName=TRAINING)
    expect_error("SerializationException", "limit", raw.get_log_events, logGroupName=TRAINING, logStreamName=stream, limit="many")
    expect_error("InvalidParameterException", "LastEventTime", logs.describe_log_streams, logGroupName=TRAINING, orderBy="LastEventTime", logStreamNamePrefix=name)
    expect_error("InvalidParameterException", "orderBy", raw.describe_log_streams, logGroupName=TRAINING, orderBy="Size")
    expect_error("InvalidParameterException", "logGroupName", logs.get_log_events, logGroupName=TRAINING, logGroupIdentifier=TRAINING, logStreamName=stream)
    expect_error("InvalidParameterException", "mutually exclusive", logs.filter_log_events, logGroupName=TRAINING, logStreamNames=[stream], logStreamNamePrefix=name)
    expect_error("InvalidParameterException", "plain term", logs.filter_log_events, logGroupName=TRAINING, filterPattern='{ $.level = "error" }')
    expect_error("InvalidParameterException", "not closed", logs.filter_log_events, logGroupName=TRAINING, filterPattern='"unclosed')
    expect_error("UnknownOperationException", "PutLogEvents", logs.put_log_events, logGroupName=TRAINING, logStreamName=stream, logEvents=[{"timestamp": 1, "message": "x"}])
    # An ARN identifier names the same group; the stream still reads.
    arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{TRAINING}:*"
    read = [e["message"] for e in logs.get_log_events(logGroupIdentifier=arn, logStreamName=stream, startFromHead=True)["events"]]
    assert read.index("one") < read.index("two"), read


def endpoint_config(sm, name, model, count):
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": count, "InstanceType": "ml.m5.large", "InitialVariantWeight": 1}])


def streams_of(logs, name, wanted, timeout=30):
    """The endpoint's streams once there are `wanted` of them (lines are written off the request path)."""
    deadline = time.time() + timeout
    while True:
        streams = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=ENDPOINTS + name)["logStreams"]]
        if len(streams) >= wanted or time.time() > deadline:
            return streams
        time.sleep(0.2)


def messages_of(logs, name, stream):
    return [e["message"] for e in logs.get_log_events(logGroupName=ENDPOINTS + name, logStreamName=stream, startFromHead=True)["events"]]


def until(condition, what, timeout=30):
    deadline = time.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.time() < deadline, what
        time.sleep(0.2)


def test_endpoint_replicas_log_their_model_loading(endpoint):
    sm, s3, logs = client("sagemaker", endpoint), client("s3", endpoint), client("logs", endpoint)
    prefix = upload_breast_cancer(s3, "kiln-logs-ep")
    job_name = "logs-ep-xgb-" + uuid.uuid4().hex[:6]
    sm.create_training_job(**xgboost_job(job_name, prefix))
    job = wait(sm, job_name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    data = job["ModelArtifacts"]["S3ModelArtifacts"]
    model = "logs-ep-model-" + uuid.uuid4().hex[:6]
    sm.create_model(ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": data})
    name = "logs-ep-" + uuid.uuid4().hex[:6]
    endpoint_config(sm, name, model, 2)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    assert settle(sm, name)["EndpointStatus"] == "InService"

    # Every endpoint has its group, listed by prefix, with one stream per replica: SageMaker's {variant}/{instance id}.
    groups = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=ENDPOINTS + name)["logGroups"]]
    assert groups == [ENDPOINTS + name], groups
    assert ENDPOINTS + name in [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePattern="logs-ep-", limit=50)["logGroups"]]
    first = until(lambda: (s := streams_of(logs, name, 2)) and len(s) == 2 and s, "two replica streams")
    assert len(set(first)) == 2 and all(re.fullmatch(r"AllTraffic/i-[0-9a-f]{17}", s) for s in first), first
    for stream in first:
        lines = until(lambda: (m := messages_of(logs, name, stream)) and any("ready" in x for x in m) and m, f"{stream} loaded")
        assert any(f"loading model {model} from {data}" in line for line in lines), lines
        assert any(line.startswith("Model kind: Kiln model (algorithm") for line in lines), lines
        assert any(f"replica {stream} is ready" in line for line in lines), lines

    # Successful invocations log nothing (the hot path stays quiet).
    before = {s: len(messages_of(logs, name, s)) for s in first}
    runtime = client("sagemaker-runtime", endpoint)
    row = "17.99,10.38,122.8,1001,0.1184,0.2776,0.3001,0.1471,0.2419,0.07871,1.095,0.9053,8.589,153.4,0.006399,0.04904,0.05373,0.01587,0.03003,0.006193,25.38,17.33,184.6,2019,0.1622,0.6656,0.7119,0.2654,0.4601,0.1189"
    for _ in range(10):
        runtime.invoke_endpoint(EndpointName=name, Body=row, ContentType="text/csv")["Body"].read()
    time.sleep(0.5)
    assert {s: len(messages_of(logs, name, s)) for s in first} == before

    # An update brings a new fleet with new streams; the old fleet's streams stay, with the deployment's steps and their stop.
    sm.create_endpoint_config(EndpointConfigName=name + "-b", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large", "InitialVariantWeight": 1}])
    sm.update_endpoint(EndpointName=name, EndpointConfigName=name + "-b")
    assert settle(sm, name)["EndpointStatus"] == "InService"
    streams = until(lambda: (s := streams_of(logs, name, 3)) and len(s) == 3 and s, "the new fleet's stream")
    assert set(first) < set(streams), (first, streams)
    for stream in first:
        lines = until(lambda: (m := messages_of(logs, name, stream)) and any(x.startswith("Stopping replica") for x in m) and m, f"{stream} stopped")
        assert any(f"endpoint config {name}-b takes over" in line for line in lines), lines
    (new,) = set(streams) - set(first)
    assert any(f"(endpoint config {name}-b)" in line for line in messages_of(logs, name, new))

    # An update whose model cannot load rolls back: its replica's stream says why, the serving replica's says it rolled back.
    s3.put_object(Bucket="kiln-logs-ep", Key="broken/model.tar.gz", Body=b"not a tarball")
    broken = model + "-broken"
    sm.create_model(ModelName=broken, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": "s3://kiln-logs-ep/broken/model.tar.gz"})
    endpoint_config(sm, name + "-c", broken, 1)
    sm.update_endpoint(EndpointName=name, EndpointConfigName=name + "-c")
    described = settle(sm, name)
    assert described["EndpointStatus"] == "InService" and described["EndpointConfigName"] == name + "-b", described
    after = until(lambda: (s := streams_of(logs, name, 4)) and len(s) == 4 and s, "the failed replica's stream")
    (failed,) = set(after) - set(streams)
    assert any(line.startswith("Model load failed: The model data at s3://kiln-logs-ep/broken/model.tar.gz") for line in messages_of(logs, name, failed))
    rolled = until(lambda: [x for x in messages_of(logs, name, new) if x.startswith("Blue/green deployment rolling back")], "the rollback line")
    assert "could not be brought up" in rolled[0], rolled
    streams = after

    # Deleting the endpoint keeps its logs, as CloudWatch keeps the group.
    sm.delete_endpoint(EndpointName=name)
    until(lambda: not [e for e in sm.list_endpoints(NameContains=name)["Endpoints"] if e["EndpointName"] == name], "the endpoint is deleted")
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=ENDPOINTS + name)["logGroups"]] == [ENDPOINTS + name]
    assert sorted(streams_of(logs, name, 4)) == sorted(streams)


FAILING_HANDLER = b"""import os

import joblib


def model_fn(model_dir):
    print("model_fn: loading model.joblib")
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def input_fn(body, content_type):
    text = body.decode() if isinstance(body, bytes) else body
    if text.startswith("explode"):
        print("input_fn saw the marked request: " + text.strip())
        raise RuntimeError("the marked request is refused: " + text.strip())
    import numpy
    return numpy.array([[float(v) for v in line.split(",")] for line in text.splitlines() if line.strip()])
"""


def test_framework_model_prints_and_tracebacks_reach_the_endpoint_log(endpoint):
    sm, s3, logs, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("logs", endpoint), client("sagemaker-runtime", endpoint)
    job, _ = trained_sklearn(sm, s3)
    repacked = io.BytesIO()
    with tarfile.open(fileobj=repacked, mode="w:gz") as archive:
        for file, data in list(model_files(s3, job["ModelArtifacts"]["S3ModelArtifacts"]).items()) + [("code/inference.py", FAILING_HANDLER)]:
            info = tarfile.TarInfo(file)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    key = f"logs/{uuid.uuid4().hex[:8]}/model.tar.gz"
    s3.put_object(Bucket=BUCKET, Key=key, Body=repacked.getvalue())
    model = "logs-fw-" + uuid.uuid4().hex[:6]
    sm.create_model(ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": SKLEARN_IMAGE, "ModelDataUrl": f"s3://{BUCKET}/{key}", "Environment": {
        "SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}})
    name = "logs-fw-" + uuid.uuid4().hex[:6]
    endpoint_config(sm, name, model, 1)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    described = settle(sm, name)
    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    _, rows, _ = rows_and_labels(2)
    assert runtime.invoke_endpoint(EndpointName=name, Body=csv_body(rows), ContentType="text/csv", Accept="text/csv")["Body"].read()

    marker = "explode-" + uuid.uuid4().hex[:8]
    e = model_error(lambda: runtime.invoke_endpoint(EndpointName=name, Body=marker, ContentType="text/csv"))
    assert e.response["Error"]["Code"] == "ModelError", e.response

    # FilterLogEvents finds the handler's print, as `aws logs filter-log-events --filter-pattern` would.
    found = until(lambda: logs.filter_log_events(logGroupName=ENDPOINTS + name, filterPattern=f'"saw the marked request: {marker}"')["events"], "the print")
    assert len(found) == 1 and re.fullmatch(r"AllTraffic/i-[0-9a-f]{17}", found[0]["logStreamName"]), found
    stream = found[0]["logStreamName"]
    lines = until(lambda: (m := messages_of(logs, name, stream)) and any("ModelError" in x for x in m) and m, "the ModelError line")
    assert any("Model kind: framework model (inference script inference.py" in line for line in lines), lines
    assert "model_fn: loading model.joblib" in lines, lines
    at = lines.index(f"input_fn saw the marked request: {marker}")
    after = lines[at:]
    assert "Traceback (most recent call last):" in after, after
    assert f"RuntimeError: the marked request is refused: {marker}" in after, after
    assert any(line.startswith("ModelError") and marker in line for line in after), after
    errors = logs.filter_log_events(logGroupName=ENDPOINTS + name, filterPattern="Traceback", logStreamNamePrefix="AllTraffic/")["events"]
    assert [x["message"] for x in errors] == ["Traceback (most recent call last):"], errors
    assert logs.filter_log_events(logGroupName=ENDPOINTS + name, filterPattern=marker + "-nope")["events"] == []

    # A worker that dies is started again, and the replica's log says so (and shows the new worker loading the model).
    (worker,) = workers_of(model)
    os.kill(worker, signal.SIGKILL)
    lines = until(lambda: (m := messages_of(logs, name, stream)) and m.count("model_fn: loading model.joblib") == 2 and m, "the restarted worker's lines")
    assert any(line.startswith("An inference worker ended") for line in lines), lines


def test_endpoint_log_bad_input(endpoint):
    sm, logs = client("sagemaker", endpoint), client("logs", endpoint)
    no_group, no_stream = "The specified log group does not exist.", "The specified log stream does not exist."
    for group in [ENDPOINTS + "no-such-endpoint", ENDPOINTS, ENDPOINTS + "../../etc", ENDPOINTS + "a/b", "/aws/sagemaker/Endpoints"]:
        expect_error("ResourceNotFoundException", no_group, logs.describe_log_streams, logGroupName=group)
        expect_error("ResourceNotFoundException", no_group, logs.filter_log_events, logGroupName=group)
        expect_error("ResourceNotFoundException", no_group, logs.get_log_events, logGroupName=group, logStreamName="AllTraffic/i-0123456789abcdef0")
    assert logs.describe_log_groups(logGroupNamePrefix=ENDPOINTS + "no-such-endpoint")["logGroups"] == []

    # A model whose data is not a tar.gz: the endpoint fails, and its replica's log says why.
    s3 = client("s3", endpoint)
    try:
        s3.create_bucket(Bucket="kiln-logs-bad")
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise
    s3.put_object(Bucket="kiln-logs-bad", Key="broken/model.tar.gz", Body=b"this is not a tarball")
    model = "logs-broken-" + uuid.uuid4().hex[:6]
    sm.create_model(ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": "s3://kiln-logs-bad/broken/model.tar.gz"})
    name = "logs-fail-" + uuid.uuid4().hex[:6]
    endpoint_config(sm, name, model, 1)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    described = settle(sm, name)
    assert described["EndpointStatus"] == "Failed", described
    (stream,) = until(lambda: streams_of(logs, name, 1), "the failed replica's stream")
    lines = until(lambda: (m := messages_of(logs, name, stream)) and any("load failed" in x for x in m) and m, "the failure line")
    assert any(line.startswith("Model load failed: The model data at s3://kiln-logs-bad/broken/model.tar.gz is not a readable tar.gz archive") for line in lines), lines
    assert described["FailureReason"] in [line[len("Model load failed: "):] for line in lines], (described, lines)

    group = ENDPOINTS + name
    for bad in ["AllTraffic/i-0123456789abcdef0", "AllTraffic", "../../../etc/passwd", "AllTraffic/../../x", stream + "x", "Other/" + stream.split("/")[1]]:
        expect_error("ResourceNotFoundException", no_stream, logs.get_log_events, logGroupName=group, logStreamName=bad)
    expect_error("ResourceNotFoundException", no_stream, logs.filter_log_events, logGroupName=group, logStreamNames=[stream, "AllTraffic/i-0123456789abcdef0"])
    assert logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="Other/")["logStreams"] == []
    expect_error("InvalidParameterException", "nextToken", logs.get_log_events, logGroupName=group, logStreamName=stream, nextToken="f/99999999")
    # The group's ARN names it too.
    arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{group}:*"
    assert [e["message"] for e in logs.get_log_events(logGroupIdentifier=arn, logStreamName=stream, startFromHead=True)["events"]] == lines


if __name__ == "__main__":
    main({name: fn for name, fn in globals().items() if name.startswith("test_")})
