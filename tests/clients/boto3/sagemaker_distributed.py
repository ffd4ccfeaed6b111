"""Distributed training through boto3: ResourceConfig.InstanceCount hosts, SageMaker's contract on each, one log stream per host."""
import json
import os
import re
import uuid

from kiln_boto import client, main
from sagemaker_logs import script_job
from sagemaker_script_mode import ROOT, bucket, model_files, source_dir_tarball
from sagemaker_training import ROLE, channel, wait

TRAINING = "/aws/sagemaker/TrainingJobs"
PYTORCH_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:1.13.1-cpu-py39"


def streams_by_host(logs, name):
    """The job's streams, {job}/algo-N-{epoch seconds}, as host -> messages."""
    found = logs.describe_log_streams(logGroupName=TRAINING, logStreamNamePrefix=name + "/")["logStreams"]
    result = {}
    for stream in found:
        match = re.fullmatch(re.escape(name) + r"/(algo-\d+)-\d{10}", stream["logStreamName"])
        assert match, stream["logStreamName"]
        events = logs.get_log_events(logGroupName=TRAINING, logStreamName=stream["logStreamName"], startFromHead=True)["events"]
        result[match.group(1)] = [e["message"] for e in events]
    return result


def with_instances(sm, name, count, command):
    """script_job's request on several instances."""
    original = sm.create_training_job

    def create(**request):
        request["ResourceConfig"] = {"InstanceType": "ml.m5.large", "InstanceCount": count, "VolumeSizeInGB": 5}
        return original(**request)

    sm.create_training_job = create
    try:
        script_job(sm, client("s3", sm.meta.endpoint_url), name, command)
    finally:
        sm.create_training_job = original


def test_each_host_gets_the_contract_and_its_own_log_stream(endpoint):
    sm, s3, logs = client("sagemaker", endpoint), client("s3", endpoint), client("logs", endpoint)
    name = "dist-" + uuid.uuid4().hex[:8]
    command = ('echo "host=$SM_CURRENT_HOST hosts=$SM_HOSTS rank=$RANK world=$WORLD_SIZE master=$MASTER_ADDR:$MASTER_PORT"; '
               'cat "$SM_INPUT_CONFIG_DIR/resourceconfig.json"; echo; ls "$SM_CHANNEL_TRAIN"; '
               'echo "$SM_CURRENT_HOST" > "$SM_MODEL_DIR/written-by"')
    with_instances(sm, name, 3, command)
    job = wait(sm, name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["ResourceConfig"]["InstanceCount"] == 3
    assert "Kiln trains on one instance" not in job["SecondaryStatusTransitions"][0]["StatusMessage"]

    hosts = streams_by_host(logs, name)
    assert sorted(hosts) == ["algo-1", "algo-2", "algo-3"], hosts.keys()
    masters = set()
    for rank, host in enumerate(["algo-1", "algo-2", "algo-3"]):
        line = next(m for m in hosts[host] if m.startswith("host="))
        fields = dict(part.split("=", 1) for part in line.split(" "))
        assert fields["host"] == host and json.loads(fields["hosts"]) == ["algo-1", "algo-2", "algo-3"], line
        assert fields["rank"] == str(rank) and fields["world"] == "3", line
        masters.add(fields["master"])
        config = json.loads(next(m for m in hosts[host] if m.startswith("{")))
        assert config["current_host"] == host and config["hosts"] == ["algo-1", "algo-2", "algo-3"], config
        assert "a.csv" in hosts[host], hosts[host]  # every host has its own copy of the channel
    assert len(masters) == 1 and re.fullmatch(r"[0-9.]+:\d+", masters.pop()), "one master address for all hosts"
    # algo-1's model is the job's.
    assert model_files(s3, job["ModelArtifacts"]["S3ModelArtifacts"]) == {"written-by": b"algo-1\n"}


def test_a_failing_host_fails_the_job_and_stops_the_others(endpoint):
    sm = client("sagemaker", endpoint)
    name = "dist-fail-" + uuid.uuid4().hex[:8]
    with_instances(sm, name, 2, 'if [ "$SM_CURRENT_HOST" = algo-2 ]; then echo broken >&2; exit 3; fi; sleep 120')
    job = wait(sm, name)
    assert job["TrainingJobStatus"] == "Failed", job["TrainingJobStatus"]
    assert "algo-2" in job["FailureReason"] and "exited with code 3" in job["FailureReason"], job["FailureReason"]
    seconds = (job["TrainingEndTime"] - job["TrainingStartTime"]).total_seconds()
    assert seconds < 60, f"algo-1 was not stopped when algo-2 failed ({seconds} s)"


def test_pytorch_gloo_trains_across_two_hosts(endpoint):
    sm, s3, logs = client("sagemaker", endpoint), client("s3", endpoint), client("logs", endpoint)
    b = bucket(s3)
    s3.put_object(Bucket=b, Key="ddp/sourcedir.tar.gz", Body=source_dir_tarball(os.path.join(ROOT, "samples", "scripts", "pytorch-ddp")))
    with open(os.path.join(ROOT, "samples", "data", "breast_cancer.csv"), "rb") as f:
        s3.put_object(Bucket=b, Key="ddp/train/breast_cancer.csv", Body=f.read())
    name = "ddp-" + uuid.uuid4().hex[:8]
    # As the SageMaker Python SDK's PyTorch estimator sends it, with instance_count=2.
    sm.create_training_job(
        TrainingJobName=name, RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": PYTORCH_IMAGE, "TrainingInputMode": "File",
                                "MetricDefinitions": [{"Name": "train:accuracy", "Regex": "train-accuracy: ([0-9\\.]+)"}]},
        HyperParameters={"epochs": "30", "sagemaker_program": '"train.py"',
                         "sagemaker_submit_directory": json.dumps(f"s3://{b}/ddp/sourcedir.tar.gz")},
        InputDataConfig=[channel("train", f"s3://{b}/ddp/train/")],
        OutputDataConfig={"S3OutputPath": f"s3://{b}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 2, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 600})
    job = wait(sm, name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    hosts = streams_by_host(logs, name)
    assert any(m.startswith("algo-1: rank 0 of 2 joined") for m in hosts["algo-1"]), hosts["algo-1"]
    assert any(m.startswith("algo-2: rank 1 of 2 joined") for m in hosts["algo-2"]), hosts["algo-2"]
    # all_reduce summed both shards: both hosts report the same accuracy over all the rows.
    accuracy = [next(m for m in hosts[h] if "train-accuracy" in m).split(": ")[1] for h in ("algo-1", "algo-2")]
    assert accuracy[0] == accuracy[1] and float(accuracy[0]) > 0.9, accuracy
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert abs(metrics["train:accuracy"] - float(accuracy[0])) < 1e-3, metrics
    assert "model.pth" in model_files(s3, job["ModelArtifacts"]["S3ModelArtifacts"])


if __name__ == "__main__":
    main({name: fn for name, fn in globals().items() if name.startswith("test_")})
