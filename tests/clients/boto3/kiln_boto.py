"""boto3 clients pointed at a Kiln server: the same endpoint_url serves sagemaker, sagemaker-runtime and s3.

Usage from a test script:  from kiln_boto import clients;  sm, runtime, s3 = clients(sys.argv[1])
"""
import boto3
from botocore.config import Config


def session():
    return boto3.session.Session(
        aws_access_key_id="AKIAKILNTEST0000000",
        aws_secret_access_key="kiln-secret-key",
        region_name="us-east-1",
    )


def client(service, endpoint_url, **config):
    return session().client(
        service,
        endpoint_url=endpoint_url,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"}, **config),
    )


def signed_client(service, endpoint_url, key, secret, **config):
    """A client signing as one Kiln user (access key and secret), for servers started with --auth."""
    return boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1").client(
        service,
        endpoint_url=endpoint_url,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"}, **config),
    )


def clients(endpoint_url):
    return client("sagemaker", endpoint_url), client("sagemaker-runtime", endpoint_url), client("s3", endpoint_url)


def main(tests, pass_arguments=False):
    """Runs one test function: python3 script.py <endpoint_url> <test_name> [args...]. Exit code 0 means it passed.
    With pass_arguments the extra arguments (an access key and secret, for instance) follow the endpoint in the call;
    otherwise a script reads them from sys.argv itself."""
    import sys
    import traceback

    endpoint, name = sys.argv[1], sys.argv[2]
    try:
        tests[name](endpoint, *(sys.argv[3:] if pass_arguments else []))
    except Exception:  # noqa: BLE001 - report any failure to the C# side
        traceback.print_exc()
        print("RESULT failed")
        sys.exit(1)
    print("RESULT ok")
