"""Jobs per minute on a running Kiln: submits JOBS short built-in XGBoost training jobs at once through boto3 and
waits for all of them. Usage: python3 jobs.py ENDPOINT JOBS LABEL RESULT_JSON

The data (samples/data/breast_cancer.csv) is uploaded through Kiln's S3 API first. Two warm-up jobs run and finish
before the timed batch (the first job on each node pays for loading the trainer). Prints one JSON line and appends
it to RESULT_JSON."""
import json
import statistics
import sys
import time
from pathlib import Path

import boto3
from botocore.config import Config

endpoint, jobs, label, result_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
session = boto3.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
config = Config(retries={"max_attempts": 10, "mode": "standard"})
sm = session.client("sagemaker", endpoint_url=endpoint, config=config)
s3 = session.client("s3", endpoint_url=endpoint, config=config)

root = Path(__file__).resolve().parents[2]
try:
    s3.create_bucket(Bucket="bench")
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
s3.upload_file(str(root / "samples" / "data" / "breast_cancer.csv"), "bench", "breast-cancer/train.csv")


def create(name):
    sm.create_training_job(
        TrainingJobName=name,
        RoleArn="arn:aws:iam::123456789012:role/Bench",
        AlgorithmSpecification={"TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", "TrainingInputMode": "File"},
        HyperParameters={"objective": "binary:logistic", "num_round": "20", "target_column": "diagnosis"},
        InputDataConfig=[{"ChannelName": "train", "ContentType": "text/csv;header=present",
                          "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bench/breast-cancer/"}}}],
        OutputDataConfig={"S3OutputPath": "s3://bench/models"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )


def wait(names):
    done = {}
    while len(done) < len(names):
        for name in names:
            if name in done:
                continue
            job = sm.describe_training_job(TrainingJobName=name)
            if job["TrainingJobStatus"] not in ("InProgress", "Stopping"):
                done[name] = job
        time.sleep(0.25)
    return done


stamp = time.strftime("%H%M%S")
warm = [f"warm-{label}-{stamp}-{i}" for i in range(2)]
for name in warm:
    create(name)
wait(warm)

names = [f"bench-{label}-{stamp}-{i}" for i in range(jobs)]
started = time.monotonic()
for name in names:
    create(name)
finished = wait(names)
elapsed = time.monotonic() - started

failed = [name for name, job in finished.items() if job["TrainingJobStatus"] != "Completed"]
durations = [(job["TrainingEndTime"] - job["TrainingStartTime"]).total_seconds() for job in finished.values() if "TrainingEndTime" in job and "TrainingStartTime" in job]
result = {
    "label": label,
    "jobs": jobs,
    "failed": len(failed),
    "seconds": round(elapsed, 2),
    "jobs_per_minute": round(jobs * 60 / elapsed, 1),
    "median_job_seconds": round(statistics.median(durations), 2) if durations else None,
}
print(json.dumps(result))
with open(result_path, "a") as out:
    out.write(json.dumps(result) + "\n")
if failed:
    print("failed jobs: " + ", ".join(f"{n}: {finished[n].get('FailureReason')}" for n in failed), file=sys.stderr)
    sys.exit(1)
