"""Job logs through the CloudWatch Logs API on Kiln's endpoint, read the way the SageMaker Python SDK reads them."""
import collections
import re
import time
import uuid

import botocore.exceptions
from botocore.config import Config

from kiln_boto import client, main, session
from sagemaker_training import ROLE, XGBOOST, channel, upload_breast_cancer, wait, xgboost_job

TRAINING, PROCESSING, TRANSFORM = "/aws/sagemaker/TrainingJobs", "/aws/sagemaker/ProcessingJobs", "/aws/sagemaker/TransformJobs"
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


if __name__ == "__main__":
    main({name: fn for name, fn in globals().items() if name.startswith("test_")})
