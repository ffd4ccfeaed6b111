"""Kiln's side of one AutoML benchmark cell, as a user drives it with boto3: upload the training CSV to Kiln's S3,
CreateAutoMLJobV2 (quick = 8 candidates, standard = 32, mode AUTO, as `kiln automl --build`), wait, deploy the best
candidate's inference containers behind an endpoint and send it the held-out rows (without their target).

    python3 kiln_automl.py '<json spec>'    # spec: url, name, seed, build, candidates, target, classifier, text, train, test

Prints one JSON object: the build's wall time, the job, its best candidate, and the endpoint's answer for every
held-out row. Needs only boto3 (a botocore that knows CreateAutoMLJobV2).
"""
import csv
import io
import json
import sys
import time
import uuid

import boto3
from botocore.config import Config

ROLE = "arn:aws:iam::000000000000:role/kiln-bench"
BUCKET = "kiln-automl-bench"


def aws(service, url):
    session = boto3.session.Session(aws_access_key_id="AKIAKILNBENCH000000", aws_secret_access_key="kiln-bench", region_name="us-east-1")
    return session.client(service, endpoint_url=url,
                          config=Config(retries={"max_attempts": 3, "mode": "standard"}, s3={"addressing_style": "path"}, read_timeout=600))


def csv_text(rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def main():
    spec = json.loads(sys.argv[1])
    url, target, text, classifier = spec["url"], spec["target"], spec["text"], spec["classifier"]
    sm, s3, runtime = aws("sagemaker", url), aws("s3", url), aws("sagemaker-runtime", url)
    try:
        s3.create_bucket(Bucket=BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    job = f"{spec['name'].replace('_', '-')}-{spec['build']}-{spec['seed']}-{uuid.uuid4().hex[:6]}"
    with open(spec["train"], "rb") as f:
        s3.put_object(Bucket=BUCKET, Key=f"{job}/train.csv", Body=f.read())
    criteria = {"MaxCandidates": spec["candidates"]}
    request = dict(AutoMLJobName=job, RoleArn=ROLE, OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/{job}/output"},
                   AutoMLJobInputDataConfig=[{"ChannelType": "training", "ContentType": "text/csv;header=present", "CompressionType": "None",
                                              "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/{job}/train.csv"}}}])
    if text:
        # SageMaker's text classification optimises accuracy only; it takes no objective.
        request["AutoMLProblemTypeConfig"] = {"TextClassificationJobConfig": {"ContentColumn": text, "TargetLabelColumn": target, "CompletionCriteria": criteria}}
    else:
        request["AutoMLProblemTypeConfig"] = {"TabularJobConfig": {"TargetAttributeName": target, "CompletionCriteria": criteria, "Mode": "AUTO"}}
        request["AutoMLJobObjective"] = {"MetricName": "AUC" if classifier else "RMSE"}
    started = time.time()
    sm.create_auto_ml_job_v2(**request)
    while True:
        described = sm.describe_auto_ml_job_v2(AutoMLJobName=job)
        if described["AutoMLJobStatus"] not in ("InProgress", "Stopping"):
            break
        time.sleep(0.5)
    seconds = time.time() - started
    if described["AutoMLJobStatus"] != "Completed":
        raise SystemExit(f"{job}: {described['AutoMLJobStatus']} {described.get('FailureReason')}")
    best = described["BestCandidate"]

    # Deployed as a user would; a classifier is asked for its probabilities and labels as well as the predicted label.
    containers = []
    for container in best["InferenceContainers"]:
        container = dict(container)
        if classifier:
            container["Environment"] = {**container.get("Environment", {}), "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label,probabilities,labels"}
        containers.append(container)
    sm.create_model(ModelName=job, ExecutionRoleArn=ROLE, Containers=containers)
    sm.create_endpoint_config(EndpointConfigName=job, ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": job, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large", "InitialVariantWeight": 1}])
    sm.create_endpoint(EndpointName=job, EndpointConfigName=job)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=job, WaiterConfig={"Delay": 1, "MaxAttempts": 600})
    with open(spec["test"], newline="") as f:
        header, *rows = list(csv.reader(f))
    t = header.index(target)
    predictions = []
    try:
        chunk = 200 if text else 1000
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            if text:
                body, content_type = json.dumps({"instances": [row[header.index(text)] for row in part]}), "application/json"
            else:
                body, content_type = csv_text([[c for i, c in enumerate(row) if i != t] for row in part]), "text/csv"
            response = runtime.invoke_endpoint(EndpointName=job, ContentType=content_type, Accept="application/json", Body=body)
            predictions += json.loads(response["Body"].read())["predictions"]
    finally:
        sm.delete_endpoint(EndpointName=job)
    candidates = sm.list_candidates_for_auto_ml_job(AutoMLJobName=job, MaxResults=100)["Candidates"]
    json.dump({"seconds": seconds, "job": job, "best_candidate": best["CandidateName"], "candidates": len(candidates),
               "validation_objective": best.get("FinalAutoMLJobObjectiveMetric", {}).get("Value"), "predictions": predictions}, sys.stdout)


if __name__ == "__main__":
    main()
