"""Kiln's tuning job (boto3) over bench/tuning/space.json on the prepared churn split, the built-in xgboost, 100 rounds.

Usage: python3 kiln_tune.py <endpoint> <churn folder> <strategy> <seed> <trials> <parallel>
  ->  JSON: the validation AUC of each trial in launch order, and the tuning job's wall time.
"""
import json
import os
import sys
import time
import uuid

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
POLL_SECONDS = 0.5
XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def main(endpoint, folder, strategy, seed, trials, parallel):
    session = boto3.session.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
    config = Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})
    sm, s3 = session.client("sagemaker", endpoint_url=endpoint, config=config), session.client("s3", endpoint_url=endpoint, config=config)
    try:
        s3.create_bucket(Bucket="bench-tuning")
    except s3.exceptions.ClientError:
        pass
    for channel in ("train", "validation"):
        s3.upload_file(f"{folder}/{channel}/data.csv", "bench-tuning", f"churn/{channel}/data.csv")
    space = json.load(open(os.path.join(HERE, "space.json")))
    ranges = {
        "ContinuousParameterRanges": [{"Name": n, "MinValue": str(s["min"]), "MaxValue": str(s["max"]), "ScalingType": s.get("scaling", "Linear")} for n, s in space.items() if s["type"] == "continuous"],
        "IntegerParameterRanges": [{"Name": n, "MinValue": str(s["min"]), "MaxValue": str(s["max"])} for n, s in space.items() if s["type"] == "integer"],
    }
    name = f"{strategy[:4].lower()}-{seed}-{uuid.uuid4().hex[:6]}"
    channels = [{"ChannelName": c, "ContentType": "text/csv", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://bench-tuning/churn/{c}/"}}}
                for c in ("train", "validation")]
    started = time.perf_counter()
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig={"Strategy": strategy, "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
                                       "ResourceLimits": {"MaxNumberOfTrainingJobs": trials, "MaxParallelTrainingJobs": parallel},
                                       "ParameterRanges": ranges, "RandomSeed": seed},
        TrainingJobDefinition={"StaticHyperParameters": {"objective": "binary:logistic", "num_round": "100"},
                               "AlgorithmSpecification": {"TrainingImage": XGBOOST, "TrainingInputMode": "File"},
                               "RoleArn": "arn:aws:iam::123456789012:role/bench", "InputDataConfig": channels,
                               "OutputDataConfig": {"S3OutputPath": "s3://bench-tuning/output"}, "StoppingCondition": {"MaxRuntimeInSeconds": 3600}})
    while True:
        described = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if described["HyperParameterTuningJobStatus"] not in ("InProgress", "Stopping"):
            break
        time.sleep(POLL_SECONDS)
    client_seconds = time.perf_counter() - started
    # The job's own start and end times, so that the polling interval neither adds to the wall time nor competes
    # with the trials for the cores.
    seconds = (described["HyperParameterTuningEndTime"] - described["CreationTime"]).total_seconds()
    listed = sm.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName=name, MaxResults=100, SortBy="Name", SortOrder="Ascending")["TrainingJobSummaries"]
    values = [t.get("FinalHyperParameterTuningJobObjectiveMetric", {}).get("Value") for t in listed]
    print(json.dumps({"values": values, "seconds": seconds, "client_seconds": client_seconds, "status": described["HyperParameterTuningJobStatus"]}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
