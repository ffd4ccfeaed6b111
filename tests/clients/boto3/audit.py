"""Calls the audit log must record, made with boto3 against a Kiln server started with --auth.

Usage: python3 audit.py <endpoint_url> <test_name> <access_key_id> <secret_access_key>
"""

import botocore.exceptions
from kiln_boto import main
from kiln_boto import signed_client as client


def error_code(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("expected a ClientError")


def test_audited_calls(endpoint, key, secret):
    sm = client("sagemaker", endpoint, key, secret)
    s3 = client("s3", endpoint, key, secret)
    sm.list_training_jobs()  # a read: not audited
    sm.create_experiment(ExperimentName="audited-experiment")
    s3.create_bucket(Bucket="audited")
    s3.put_object(Bucket="audited", Key="data/train.csv", Body=b"1,2,3")

    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert error_code(lambda: client("sagemaker", endpoint, key, wrong).list_models()) == "InvalidSignatureException"
    assert error_code(lambda: client("s3", endpoint, key, wrong).put_object(Bucket="audited", Key="x", Body=b"x")) == "SignatureDoesNotMatch"


TESTS = {name: fn for name, fn in globals().items() if name.startswith("test_")}

if __name__ == "__main__":
    main(TESTS, pass_arguments=True)
