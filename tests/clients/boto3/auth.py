"""A Kiln server started with --auth, driven by boto3 with real, wrong, unknown and skewed credentials.

Usage: python3 auth.py <endpoint_url> <test_name> <access_key_id> <secret_access_key>
"""
import datetime
import urllib.error
import urllib.request
from contextlib import contextmanager

import boto3
import botocore.auth
import botocore.exceptions
from botocore import UNSIGNED
from botocore.config import Config
from kiln_boto import main


def client(service, endpoint, key, secret, signature=None):
    # Presigned S3 URLs use SigV2 unless asked for s3v4 (botocore's default for a custom endpoint).
    signature = signature or ("s3v4" if service == "s3" else None)
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"}, signature_version=signature)
    return boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1").client(service, endpoint_url=endpoint, config=config)


def error_of(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"].get("Message", "")
    raise AssertionError("expected a ClientError")


@contextmanager
def clock_shifted(delta):
    """Signs as if the client's clock were off by delta (botocore reads the time through this function)."""
    real = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda remove_tzinfo=True: real(remove_tzinfo) + delta
    try:
        yield
    finally:
        botocore.auth.get_current_datetime = real


def http_get(url):
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_right_key_works(endpoint, key, secret):
    sm = client("sagemaker", endpoint, key, secret)
    runtime = client("sagemaker-runtime", endpoint, key, secret)
    s3 = client("s3", endpoint, key, secret)

    assert "TrainingJobSummaries" in sm.list_training_jobs()
    # Past authentication, the operation itself answers.
    code, status, _ = error_of(lambda: sm.describe_training_job(TrainingJobName="no-such-job"))
    assert (code, status) == ("ResourceNotFound", 400), (code, status)
    code, status, message = error_of(lambda: runtime.invoke_endpoint(EndpointName="no-such-endpoint", Body=b"1,2,3", ContentType="text/csv"))
    assert (code, status) == ("ValidationError", 400) and "no-such-endpoint" in message, (code, status, message)

    s3.create_bucket(Bucket="signed")
    keys = ["plain.txt", "dir/with space+plus=eq&amp.csv", "unicodé/ключ~(1).bin"]
    for i, name in enumerate(keys):
        s3.put_object(Bucket="signed", Key=name, Body=b"payload-%d" % i)
    for i, name in enumerate(keys):
        assert s3.get_object(Bucket="signed", Key=name)["Body"].read() == b"payload-%d" % i
    listed = s3.list_objects_v2(Bucket="signed", Prefix="dir/with space")["Contents"]
    assert [o["Key"] for o in listed] == [keys[1]], listed
    assert len(s3.list_objects_v2(Bucket="signed", MaxKeys=2)["Contents"]) == 2

    # Multipart: query parameters (uploads, uploadId, partNumber) are signed too.
    upload = s3.create_multipart_upload(Bucket="signed", Key="big.bin")
    part = s3.upload_part(Bucket="signed", Key="big.bin", UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * 1024)
    s3.complete_multipart_upload(Bucket="signed", Key="big.bin", UploadId=upload["UploadId"], MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]})
    assert s3.head_object(Bucket="signed", Key="big.bin")["ContentLength"] == 1024

    for name in [keys[0], keys[2]]:
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "signed", "Key": name}, ExpiresIn=300)
        status, body = http_get(url)
        assert status == 200 and body.startswith(b"payload-"), (status, body)

    # A presigned URL is for what it names: another key with the same signature is refused.
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "signed", "Key": "plain.txt"}, ExpiresIn=300)
    status, body = http_get(url.replace("plain.txt", "big.bin"))
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body, (status, body)

    with clock_shifted(datetime.timedelta(hours=-2)):
        expired = s3.generate_presigned_url("get_object", Params={"Bucket": "signed", "Key": "plain.txt"}, ExpiresIn=3600)
    status, body = http_get(expired)
    assert status == 403 and b"<Code>AccessDenied</Code>" in body and b"Request has expired" in body, (status, body)

    too_long = s3.generate_presigned_url("get_object", Params={"Bucket": "signed", "Key": "plain.txt"}, ExpiresIn=604801)
    status, body = http_get(too_long)
    assert status == 400 and b"<Code>AuthorizationQueryParametersError</Code>" in body, (status, body)


def test_body_changed_after_signing_is_refused(endpoint, key, secret):
    s3 = client("s3", endpoint, key, secret)
    sm = client("sagemaker", endpoint, key, secret)
    s3.create_bucket(Bucket="tampered")

    def swap_body(request, **kwargs):
        request.body = b"not what was signed"

    s3.meta.events.register("before-send.s3.PutObject", swap_body)
    code, status, _ = error_of(lambda: s3.put_object(Bucket="tampered", Key="k", Body=b"what was signed!!!!"))
    assert (code, status) == ("XAmzContentSHA256Mismatch", 400), (code, status)
    s3.meta.events.unregister("before-send.s3.PutObject", swap_body)
    assert error_of(lambda: s3.head_object(Bucket="tampered", Key="k"))[1] == 404

    def swap_json(request, **kwargs):
        request.body = b'{"MaxResults": 1}'

    sm.meta.events.register("before-send.sagemaker.ListTrainingJobs", swap_json)
    code, status, _ = error_of(lambda: sm.list_training_jobs(MaxResults=2))
    assert (code, status) == ("InvalidSignatureException", 403), (code, status)


def test_wrong_secret(endpoint, key, secret):
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert error_of(lambda: client("sagemaker", endpoint, key, wrong).list_training_jobs())[:2] == ("InvalidSignatureException", 403)
    assert error_of(lambda: client("sagemaker-runtime", endpoint, key, wrong).invoke_endpoint(EndpointName="e", Body=b"1"))[:2] == ("InvalidSignatureException", 403)
    s3 = client("s3", endpoint, key, wrong)
    assert error_of(lambda: s3.list_buckets())[:2] == ("SignatureDoesNotMatch", 403)
    assert error_of(lambda: s3.put_object(Bucket="any", Key="k", Body=b"v"))[:2] == ("SignatureDoesNotMatch", 403)
    status, body = http_get(s3.generate_presigned_url("get_object", Params={"Bucket": "any", "Key": "k"}))
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body, (status, body)


def test_unknown_key(endpoint, key, secret):
    unknown = "AKIAUNKNOWN000000000"
    assert error_of(lambda: client("sagemaker", endpoint, unknown, secret).list_training_jobs())[:2] == ("UnrecognizedClientException", 403)
    assert error_of(lambda: client("sagemaker-runtime", endpoint, unknown, secret).invoke_endpoint(EndpointName="e", Body=b"1"))[:2] == ("UnrecognizedClientException", 403)
    assert error_of(lambda: client("s3", endpoint, unknown, secret).list_buckets())[:2] == ("InvalidAccessKeyId", 403)


def test_skewed_clock(endpoint, key, secret):
    for delta in [datetime.timedelta(minutes=-20), datetime.timedelta(minutes=20)]:
        with clock_shifted(delta):
            code, status, message = error_of(lambda: client("sagemaker", endpoint, key, secret).list_training_jobs())
            assert (code, status) == ("InvalidSignatureException", 403) and message.startswith("Signature expired" if delta.total_seconds() < 0 else "Signature not yet current"), (code, status, message)
            assert error_of(lambda: client("s3", endpoint, key, secret).list_buckets())[:2] == ("RequestTimeTooSkewed", 403)
    # Within 15 minutes is fine.
    with clock_shifted(datetime.timedelta(minutes=-10)):
        client("sagemaker", endpoint, key, secret).list_training_jobs()
        client("s3", endpoint, key, secret).list_buckets()


def test_no_credentials(endpoint, key, secret):
    assert error_of(lambda: client("sagemaker", endpoint, key, secret, signature=UNSIGNED).list_training_jobs())[:2] == ("MissingAuthenticationTokenException", 403)
    assert error_of(lambda: client("s3", endpoint, key, secret, signature=UNSIGNED).list_buckets())[:2] == ("AccessDenied", 403)
    # A SigV2 presigned URL (older SDKs) is refused, not taken for anonymous.
    v2 = client("s3", endpoint, key, secret, signature="s3").generate_presigned_url("get_object", Params={"Bucket": "any", "Key": "k"})
    assert "AWSAccessKeyId=" in v2, v2
    status, body = http_get(v2)
    assert status == 400 and b"<Code>InvalidRequest</Code>" in body, (status, body)


def put_signed_chunks(endpoint, key, secret, path, chunks, tamper=False):
    """A PUT whose body is aws-chunked with per-chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), signed by hand
    as the AWS SDKs for Java and Go do (boto3 does not send this form)."""
    import hashlib
    import hmac
    from urllib.parse import urlsplit

    def sha(data):
        return hashlib.sha256(data).hexdigest()

    def mac(k, text):
        return hmac.new(k, text.encode(), hashlib.sha256).digest()

    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    host = urlsplit(endpoint).netloc
    decoded = sum(len(c) for c in chunks)
    headers = {
        "content-encoding": "aws-chunked",
        "host": host,
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "x-amz-date": amz_date,
        "x-amz-decoded-content-length": str(decoded),
    }
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["PUT", path, "", *[f"{k}:{headers[k]}" for k in sorted(headers)], "", signed, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"])
    signing_key = mac(mac(mac(mac(("AWS4" + secret).encode(), amz_date[:8]), "us-east-1"), "s3"), "aws4_request")
    seed = hmac.new(signing_key, "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, sha(canonical.encode())]).encode(), hashlib.sha256).hexdigest()

    body, previous = b"", seed
    for chunk in list(chunks) + [b""]:
        string_to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, sha(b""), sha(chunk)])
        signature = hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        sent = (chunk[:-1] + b"!") if tamper and chunk else chunk
        body += f"{len(chunk):x};chunk-signature={signature}\r\n".encode() + sent + b"\r\n"
        previous = signature

    request = urllib.request.Request(endpoint + path, data=body, method="PUT")
    for name, value in headers.items():
        if name != "host":
            request.add_header(name, value)
    request.add_header("Authorization", f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed}, Signature={seed}")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_signed_chunks(endpoint, key, secret):
    s3 = client("s3", endpoint, key, secret)
    s3.create_bucket(Bucket="chunked")
    chunks = [b"0123456789" * 6554, b"tail"]
    status, body = put_signed_chunks(endpoint, key, secret, "/chunked/streamed.bin", chunks)
    assert status == 200, (status, body)
    assert s3.get_object(Bucket="chunked", Key="streamed.bin")["Body"].read() == b"".join(chunks)

    status, body = put_signed_chunks(endpoint, key, secret, "/chunked/tampered.bin", chunks, tamper=True)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body, (status, body)
    assert error_of(lambda: s3.head_object(Bucket="chunked", Key="tampered.bin"))[1] == 404

    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    status, body = put_signed_chunks(endpoint, key, wrong, "/chunked/wrong.bin", chunks)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body, (status, body)


def test_key_accepted(endpoint, key, secret):
    """A key handed out by `kiln users create|rotate-key --server`: SageMaker and S3 accept it."""
    assert "TrainingJobSummaries" in client("sagemaker", endpoint, key, secret).list_training_jobs()
    assert "Buckets" in client("s3", endpoint, key, secret).list_buckets()


def test_key_refused(endpoint, key, secret):
    """A key rotated away or deleted: each service's unknown-key error."""
    code, status, _ = error_of(lambda: client("sagemaker", endpoint, key, secret).list_training_jobs())
    assert (code, status) == ("UnrecognizedClientException", 403), (code, status)
    code, status, _ = error_of(lambda: client("s3", endpoint, key, secret).list_buckets())
    assert (code, status) == ("InvalidAccessKeyId", 403), (code, status)


def test_secret_refused(endpoint, key, secret):
    """A secret replaced while the key id stays (MLflow's update-password): signatures made with the old one do not match."""
    code, status, _ = error_of(lambda: client("sagemaker", endpoint, key, secret).list_training_jobs())
    assert (code, status) == ("InvalidSignatureException", 403), (code, status)
    code, status, _ = error_of(lambda: client("s3", endpoint, key, secret).list_buckets())
    assert (code, status) == ("SignatureDoesNotMatch", 403), (code, status)


TESTS = {name: fn for name, fn in globals().items() if name.startswith("test_")}

if __name__ == "__main__":
    main(TESTS, pass_arguments=True)
