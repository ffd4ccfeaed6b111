"""Deploys the benchmark's framework model on a Kiln server through boto3, as SKLearnModel(...).deploy() does
for a repacked model: the scikit-learn image, model.tar.gz with code/, SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code.

Usage: python3 deploy.py <kiln url> <model.tar.gz> <endpoint name> <instances>
"""
import sys

import boto3
from botocore.config import Config

url, archive, name, instances = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
session = boto3.session.Session(aws_access_key_id="AKIAKILNBENCH000000", aws_secret_access_key="bench", region_name="us-east-1")
config = Config(s3={"addressing_style": "path"})
s3, sm = session.client("s3", endpoint_url=url, config=config), session.client("sagemaker", endpoint_url=url, config=config)
s3.create_bucket(Bucket="bench-framework")
s3.upload_file(archive, "bench-framework", "model/model.tar.gz")
sm.create_model(ModelName=name, ExecutionRoleArn="arn:aws:iam::123456789012:role/Bench", PrimaryContainer={
    "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
    "ModelDataUrl": "s3://bench-framework/model/model.tar.gz",
    "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                    "SAGEMAKER_CONTAINER_LOG_LEVEL": "20", "SAGEMAKER_REGION": "us-east-1"}})
sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
    {"VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": instances, "InstanceType": "ml.m5.large"}])
sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 300})
