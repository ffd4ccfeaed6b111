"""Model data that carries its own inference script (code/inference.py in model.tar.gz) is running code.

Usage: python3 model_code.py <endpoint_url> <test_name> <access_key_id> <secret_access_key>
"""
import io
import tarfile
import uuid

import botocore.exceptions
from kiln_boto import main
from kiln_boto import signed_client as client

ROLE = "arn:aws:iam::123456789012:role/KilnTraining"
SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def archive(files):
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tar:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return data.getvalue()


def upload(endpoint, key, secret):
    s3 = client("s3", endpoint, key, secret)
    bucket = "model-code-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="scripted/model.tar.gz", Body=archive({"model.joblib": b"x", "code/inference.py": b"def model_fn(d):\n    return None\n"}))
    s3.put_object(Bucket=bucket, Key="dotted/model.tar.gz", Body=archive({"./model.joblib": b"x", "./code/inference.py": b"import os\n"}))
    s3.put_object(Bucket=bucket, Key="plain/model.tar.gz", Body=archive({"model.joblib": b"x", "coded/readme.txt": b"not code/"}))
    return bucket


def create(sm, name, url):
    return sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": SKLEARN, "ModelDataUrl": url})


def test_refused_without_the_right(endpoint, key, secret):
    bucket = upload(endpoint, key, secret)
    sm = client("sagemaker", endpoint, key, secret)
    for prefix in ["scripted", "dotted"]:
        model = f"{prefix}-{uuid.uuid4().hex[:6]}"
        try:
            create(sm, model, f"s3://{bucket}/{prefix}/model.tar.gz")
        except botocore.exceptions.ClientError as e:
            error = e.response["Error"]
            assert error["Code"] == "AccessDeniedException" and "code/" in error["Message"], error
        else:
            raise AssertionError(f"{prefix}: a model with code/inference.py was created by a user without the code right")
        try:
            sm.describe_model(ModelName=model)
            raise AssertionError("the refused model was stored")
        except botocore.exceptions.ClientError:
            pass
    # Model data without a code/ folder needs no right.
    create(sm, "plain-" + uuid.uuid4().hex[:6], f"s3://{bucket}/plain/model.tar.gz")


def test_allowed_with_the_right(endpoint, key, secret):
    bucket = upload(endpoint, key, secret)
    create(client("sagemaker", endpoint, key, secret), "scripted-" + uuid.uuid4().hex[:6], f"s3://{bucket}/scripted/model.tar.gz")


TESTS = {name: fn for name, fn in globals().items() if name.startswith("test_")}

if __name__ == "__main__":
    main(TESTS, pass_arguments=True)
