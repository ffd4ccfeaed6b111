"""Training and processing settings Kiln keeps but does not act on: stored, echoed, and said so; or refused where running without them would mislead."""
import json
import urllib.error
import urllib.request
import uuid

import botocore.exceptions
from botocore.config import Config

from kiln_boto import client, main, session
from sagemaker_logs import PROCESSING, expect_error
from sagemaker_training import ROLE, upload_breast_cancer, wait, xgboost_job

DEBUG_HOOK = {"S3OutputPath": "s3://kiln-settings/debug", "CollectionConfigurations": [{"CollectionName": "losses", "CollectionParameters": {"save_interval": "10"}}]}
DEBUG_RULES = [{"RuleConfigurationName": "LossNotDecreasing", "RuleEvaluatorImage": "503895931360.dkr.ecr.us-east-1.amazonaws.com/sagemaker-debugger-rules:latest",
                "RuleParameters": {"rule_to_invoke": "LossNotDecreasing"}}]
PROFILER = {"S3OutputPath": "s3://kiln-settings/profiler", "ProfilingIntervalInMilliseconds": 500}
PROFILER_RULES = [{"RuleConfigurationName": "ProfilerReport", "RuleEvaluatorImage": "503895931360.dkr.ecr.us-east-1.amazonaws.com/sagemaker-debugger-rules:latest"}]
TENSORBOARD = {"S3OutputPath": "s3://kiln-settings/tensorboard", "LocalPath": "/opt/ml/output/tensorboard"}
CHECKPOINT = {"S3Uri": "s3://kiln-settings/checkpoints", "LocalPath": "/opt/ml/checkpoints"}


def starting_message(job):
    return job["SecondaryStatusTransitions"][0]["StatusMessage"]


def test_settings_not_acted_on_are_stored_echoed_and_reported(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    prefix = upload_breast_cancer(s3, "kiln-settings")
    name = "settings-" + uuid.uuid4().hex[:8]
    request = xgboost_job(name, prefix)
    request["ResourceConfig"]["InstanceCount"] = 2  # a built-in algorithm: trains on one, and says so
    sm.create_training_job(
        **request, DebugHookConfig=DEBUG_HOOK, DebugRuleConfigurations=DEBUG_RULES, ProfilerConfig=PROFILER,
        ProfilerRuleConfigurations=PROFILER_RULES, TensorBoardOutputConfig=TENSORBOARD, CheckpointConfig=CHECKPOINT,
        RetryStrategy={"MaximumRetryAttempts": 3}, EnableManagedSpotTraining=True, EnableInterContainerTrafficEncryption=True,
        EnableNetworkIsolation=True)
    job = wait(sm, name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["DebugHookConfig"] == DEBUG_HOOK and job["DebugRuleConfigurations"] == DEBUG_RULES, job
    assert job["ProfilerConfig"] == PROFILER and job["ProfilerRuleConfigurations"] == PROFILER_RULES
    assert job["TensorBoardOutputConfig"] == TENSORBOARD and job["CheckpointConfig"] == CHECKPOINT
    assert job["RetryStrategy"] == {"MaximumRetryAttempts": 3} and job["ResourceConfig"]["InstanceCount"] == 2
    assert job["EnableManagedSpotTraining"] is True and job["EnableInterContainerTrafficEncryption"] is True and job["EnableNetworkIsolation"] is True
    message = starting_message(job)
    assert job["SecondaryStatusTransitions"][0]["Status"] == "Starting"
    for said in ["Kiln does not run Debugger hooks or rules; DebugHookConfig and DebugRuleConfigurations stored but not acted on.",
                 "Kiln does not run the Profiler; ProfilerConfig stored but not acted on.",
                 "ProfilerRuleConfigurations stored but not acted on.", "TensorBoardOutputConfig stored but not acted on.",
                 "CheckpointConfig stored but not acted on.", "RetryStrategy stored but not acted on.",
                 "EnableManagedSpotTraining stored but not acted on.", "EnableInterContainerTrafficEncryption stored but not acted on.",
                 "EnableNetworkIsolation stored but not acted on.", "Kiln trains on one instance: ResourceConfig.InstanceCount 2 stored"]:
        assert said in message, (said, message)

    # The SDK's defaults (ProfilerConfig with the profiler off, InstanceCount 1, switches false): nothing to report.
    plain = "plain-" + uuid.uuid4().hex[:8]
    sm.create_training_job(**xgboost_job(plain, prefix), ProfilerConfig={"S3OutputPath": "s3://kiln-settings/p", "DisableProfiler": True},
                           EnableManagedSpotTraining=False, EnableNetworkIsolation=False)
    described = sm.describe_training_job(TrainingJobName=plain)
    assert starting_message(described) == "Launching requested ML instances", described["SecondaryStatusTransitions"]
    assert described["ProfilerConfig"] == {"S3OutputPath": "s3://kiln-settings/p", "DisableProfiler": True}
    assert "DebugHookConfig" not in described and "CheckpointConfig" not in described and described["EnableManagedSpotTraining"] is False
    assert wait(sm, plain)["TrainingJobStatus"] == "Completed"


def test_bad_settings_are_validation_exceptions(endpoint):
    raw = session().client("sagemaker", endpoint_url=endpoint, config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    base = dict(RoleArn=ROLE, AlgorithmSpecification={"TrainingImage": "kiln/script", "TrainingInputMode": "File", "ContainerEntrypoint": ["true"]},
                OutputDataConfig={"S3OutputPath": "s3://kiln-logs/output"}, StoppingCondition={"MaxRuntimeInSeconds": 60})
    for extra, mentioned in [
        ({"RetryStrategy": {"MaximumRetryAttempts": 0}}, "MaximumRetryAttempts"),
        ({"RetryStrategy": {"MaximumRetryAttempts": 31}}, "MaximumRetryAttempts"),
        ({"CheckpointConfig": {"LocalPath": "/opt/ml/checkpoints"}}, "S3Uri"),
    ]:
        expect_error("ValidationException", mentioned, raw.create_training_job, TrainingJobName="bad-" + uuid.uuid4().hex[:8], **base, **extra)
    # Wrong JSON types botocore cannot even serialize: raw AWS JSON 1.1 requests.
    for extra, mentioned in [
        ({"DebugHookConfig": "on"}, "DebugHookConfig must be a structure"),
        ({"DebugRuleConfigurations": {"RuleConfigurationName": "x"}}, "DebugRuleConfigurations must be a list"),
        ({"TensorBoardOutputConfig": ["s3://x"]}, "TensorBoardOutputConfig must be a structure"),
    ]:
        name = "bad-" + uuid.uuid4().hex[:8]
        request = urllib.request.Request(endpoint + "/", data=json.dumps(dict(TrainingJobName=name, **base, **extra)).encode(), method="POST",
                                         headers={"X-Amz-Target": "SageMaker.CreateTrainingJob", "Content-Type": "application/x-amz-json-1.1"})
        try:
            urllib.request.urlopen(request)
            raise AssertionError(f"accepted {extra}")
        except urllib.error.HTTPError as e:
            error = json.loads(e.read())
            assert e.code == 400 and error["__type"] == "ValidationException" and mentioned in error["message"], error


def test_processing_settings(endpoint):
    sm, logs = client("sagemaker", endpoint), client("logs", endpoint)
    app = {"ImageUri": "kiln/script", "ContainerEntrypoint": ["bash", "-c", "echo processed"]}
    expect_error("ValidationException", "Kiln processes on one instance", sm.create_processing_job,
                 ProcessingJobName="proc-multi-" + uuid.uuid4().hex[:6], RoleArn=ROLE, AppSpecification=app,
                 ProcessingResources={"ClusterConfig": {"InstanceCount": 3, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5}})
    network = {"EnableInterContainerTrafficEncryption": True, "EnableNetworkIsolation": True,
               "VpcConfig": {"SecurityGroupIds": ["sg-0123456789abcdef0"], "Subnets": ["subnet-0123456789abcdef0"]}}
    name = "proc-net-" + uuid.uuid4().hex[:6]
    sm.create_processing_job(ProcessingJobName=name, RoleArn=ROLE, AppSpecification=app, NetworkConfig=network,
                             ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5}})
    sm.get_waiter("processing_job_completed_or_stopped").wait(ProcessingJobName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    described = sm.describe_processing_job(ProcessingJobName=name)
    assert described["ProcessingJobStatus"] == "Completed" and described["NetworkConfig"] == network, described
    stream = logs.describe_log_streams(logGroupName=PROCESSING, logStreamNamePrefix=name + "/")["logStreams"][0]["logStreamName"]
    lines = [e["message"] for e in logs.get_log_events(logGroupName=PROCESSING, logStreamName=stream, startFromHead=True)["events"]]
    assert "NetworkConfig (network isolation, traffic encryption, VPC) stored but not acted on" in lines[0] and "processed" in lines, lines


if __name__ == "__main__":
    main({name: fn for name, fn in globals().items() if name.startswith("test_")})
