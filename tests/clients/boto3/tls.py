"""boto3 against a Kiln server serving HTTPS with a certificate signed by a test CA, verified with verify=<ca file>.

Usage: python3 tls.py <endpoint_url> <test_name> <ca_file>
"""
import sys
import traceback

import boto3
import botocore.exceptions
from botocore.config import Config


def client(service, endpoint, verify):
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"})
    return boto3.session.Session(aws_access_key_id="AKIATEST", aws_secret_access_key="secret", region_name="us-east-1").client(
        service, endpoint_url=endpoint, config=config, verify=verify)


def test_verified_https(endpoint, ca_file):
    assert endpoint.startswith("https://"), endpoint
    assert "Models" in client("sagemaker", endpoint, ca_file).list_models()
    s3 = client("s3", endpoint, ca_file)
    s3.create_bucket(Bucket="over-tls")
    s3.put_object(Bucket="over-tls", Key="k", Body=b"secret bytes")
    assert s3.get_object(Bucket="over-tls", Key="k")["Body"].read() == b"secret bytes"
    # Without the CA the client refuses the server.
    try:
        client("sagemaker", endpoint, True).list_models()
    except botocore.exceptions.SSLError:
        pass
    else:
        raise AssertionError("an unverified certificate was accepted")


TESTS = {name: fn for name, fn in globals().items() if name.startswith("test_")}

if __name__ == "__main__":
    try:
        TESTS[sys.argv[2]](sys.argv[1], sys.argv[3])
    except Exception:  # noqa: BLE001 - report any failure to the C# side
        traceback.print_exc()
        print("RESULT failed")
        sys.exit(1)
    print("RESULT ok")
