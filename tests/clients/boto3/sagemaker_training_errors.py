"""SageMaker training API error paths, driven by boto3 against a Kiln server."""
import botocore.exceptions

from kiln_boto import client, main

ROLE = "arn:aws:iam::123456789012:role/KilnTraining"
XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def error_of(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("expected a ClientError")


def test_unknown_job_is_resource_not_found(endpoint):
    sm = client("sagemaker", endpoint)
    code, message, status = error_of(lambda: sm.describe_training_job(TrainingJobName="no-such-job"))
    assert code == "ResourceNotFound", code
    assert status == 400
    code, _, _ = error_of(lambda: sm.stop_training_job(TrainingJobName="no-such-job"))
    assert code == "ResourceNotFound", code


def test_bad_name_and_role_are_validation_exceptions(endpoint):
    sm = client("sagemaker", endpoint)
    code, message, status = error_of(lambda: sm.create_training_job(
        TrainingJobName="bad_name!", RoleArn="not-an-arn-but-long-enough",
        AlgorithmSpecification={"TrainingImage": XGBOOST, "TrainingInputMode": "File"},
        OutputDataConfig={"S3OutputPath": "s3://kiln-tests/out"}))
    assert code == "ValidationException", code
    assert status == 400
    assert message.startswith("2 validation errors detected"), message
    assert "trainingJobName" in message and "roleArn" in message, message


def test_unknown_algorithm_is_a_validation_exception(endpoint):
    sm = client("sagemaker", endpoint)
    code, message, _ = error_of(lambda: sm.create_training_job(
        TrainingJobName="unknown-algorithm", RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": "123.dkr.ecr.us-east-1.amazonaws.com/not-an-algorithm:1", "TrainingInputMode": "File"},
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://kiln-tests/train"}}}],
        OutputDataConfig={"S3OutputPath": "s3://kiln-tests/out"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        StoppingCondition={"MaxRuntimeInSeconds": 600}))
    assert code == "ValidationException", code
    assert "not-an-algorithm" in message, message
    code, _, _ = error_of(lambda: sm.describe_training_job(TrainingJobName="unknown-algorithm"))
    assert code == "ResourceNotFound", "nothing was created"


def test_list_is_empty_and_pages(endpoint):
    sm = client("sagemaker", endpoint)
    response = sm.list_training_jobs(MaxResults=5, SortBy="CreationTime", SortOrder="Descending", NameContains="nothing-matches-this")
    assert response["TrainingJobSummaries"] == [], response
    code, _, _ = error_of(lambda: sm.list_training_jobs(MaxResults=5, SortBy="Size"))
    assert code == "ValidationException", code


if __name__ == "__main__":
    main({name: fn for name, fn in globals().items() if name.startswith("test_")})
