"""Kiln's S3-compatible endpoint, driven by boto3 exactly as users drive S3."""
import hashlib
import os
import tempfile
import uuid

import botocore.exceptions

from kiln_boto import client, main


def code_of(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("expected a ClientError")


def test_buckets(endpoint):
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket="bucket-one")
    s3.create_bucket(Bucket="bucket-two")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert {"bucket-one", "bucket-two"} <= set(names), names
    s3.head_bucket(Bucket="bucket-one")
    assert code_of(lambda: s3.create_bucket(Bucket="bucket-one")) == ("BucketAlreadyOwnedByYou", 409)
    assert code_of(lambda: s3.create_bucket(Bucket="Not_Valid")) == ("InvalidBucketName", 400)
    s3.put_object(Bucket="bucket-two", Key="k", Body=b"v")
    assert code_of(lambda: s3.delete_bucket(Bucket="bucket-two")) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket="bucket-two", Key="k")
    s3.delete_bucket(Bucket="bucket-two")
    assert code_of(lambda: s3.head_bucket(Bucket="bucket-two"))[1] == 404


def test_objects_metadata_ranges_and_errors(endpoint):
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket="objects")
    put = s3.put_object(Bucket="objects", Key="data/rows.csv", Body=b"0123456789", ContentType="text/csv", Metadata={"owner": "ana"})
    assert put["ETag"] == '"%s"' % hashlib.md5(b"0123456789").hexdigest()
    head = s3.head_object(Bucket="objects", Key="data/rows.csv")
    assert head["ContentLength"] == 10 and head["ContentType"] == "text/csv" and head["Metadata"] == {"owner": "ana"}, head
    assert s3.get_object(Bucket="objects", Key="data/rows.csv", Range="bytes=2-4")["Body"].read() == b"234"
    assert s3.get_object(Bucket="objects", Key="data/rows.csv", Range="bytes=7-")["Body"].read() == b"789"
    assert s3.get_object(Bucket="objects", Key="data/rows.csv", Range="bytes=-3")["Body"].read() == b"789"
    assert code_of(lambda: s3.get_object(Bucket="objects", Key="data/rows.csv", Range="bytes=50-60")) == ("InvalidRange", 416)
    assert code_of(lambda: s3.get_object(Bucket="objects", Key="missing")) == ("NoSuchKey", 404)
    assert code_of(lambda: s3.get_object(Bucket="no-such-bucket", Key="x")) == ("NoSuchBucket", 404)
    s3.copy_object(Bucket="objects", Key="data/copy.csv", CopySource={"Bucket": "objects", "Key": "data/rows.csv"})
    assert s3.get_object(Bucket="objects", Key="data/copy.csv")["Body"].read() == b"0123456789"
    s3.delete_object(Bucket="objects", Key="data/rows.csv")
    s3.delete_object(Bucket="objects", Key="data/rows.csv")  # deleting twice is fine, as in S3
    assert code_of(lambda: s3.head_object(Bucket="objects", Key="data/rows.csv"))[1] == 404


def test_multipart_upload_and_download_match(endpoint):
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket="large")
    with tempfile.TemporaryDirectory() as folder:
        source = os.path.join(folder, "model.bin")
        with open(source, "wb") as f:
            f.write(os.urandom(17 * 1024 * 1024 + 123))
        s3.upload_file(source, "large", "models/model.bin")  # the transfer manager goes multipart above 8 MiB
        head = s3.head_object(Bucket="large", Key="models/model.bin")
        assert head["ETag"].endswith('-3"'), head["ETag"]
        target = os.path.join(folder, "back.bin")
        s3.download_file("large", "models/model.bin", target)
        assert hashlib.sha256(open(source, "rb").read()).digest() == hashlib.sha256(open(target, "rb").read()).digest()


def test_multipart_errors(endpoint):
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket="parts")
    upload = s3.create_multipart_upload(Bucket="parts", Key="k")["UploadId"]
    first = s3.upload_part(Bucket="parts", Key="k", UploadId=upload, PartNumber=1, Body=b"small")
    second = s3.upload_part(Bucket="parts", Key="k", UploadId=upload, PartNumber=2, Body=b"also small")
    parts = [{"PartNumber": 1, "ETag": first["ETag"]}, {"PartNumber": 2, "ETag": second["ETag"]}]
    assert code_of(lambda: s3.complete_multipart_upload(Bucket="parts", Key="k", UploadId=upload, MultipartUpload={"Parts": parts}))[0] == "EntityTooSmall"
    assert code_of(lambda: s3.complete_multipart_upload(Bucket="parts", Key="k", UploadId=upload, MultipartUpload={"Parts": parts[::-1]}))[0] == "InvalidPartOrder"
    assert code_of(lambda: s3.complete_multipart_upload(Bucket="parts", Key="k", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"00"'}]}))[0] == "InvalidPart"
    listed = s3.list_parts(Bucket="parts", Key="k", UploadId=upload)["Parts"]
    assert [p["PartNumber"] for p in listed] == [1, 2]
    done = s3.complete_multipart_upload(Bucket="parts", Key="k", UploadId=upload, MultipartUpload={"Parts": parts[:1]})
    assert done["ETag"].endswith('-1"')
    assert s3.get_object(Bucket="parts", Key="k")["Body"].read() == b"small"
    assert code_of(lambda: s3.abort_multipart_upload(Bucket="parts", Key="k", UploadId=upload))[0] == "NoSuchUpload"


def test_listing_prefixes_delimiters_and_pages(endpoint):
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket="listing")
    keys = [f"runs/{i:03d}/metrics.json" for i in range(25)] + ["readme.txt", "runs/index.html", "zeta/a b+c.txt"]
    for key in keys:
        s3.put_object(Bucket="listing", Key=key, Body=key.encode())
    paginator = s3.get_paginator("list_objects_v2")
    seen = [o["Key"] for page in paginator.paginate(Bucket="listing", PaginationConfig={"PageSize": 7}) for o in page.get("Contents", [])]
    assert seen == sorted(keys), seen
    top = s3.list_objects_v2(Bucket="listing", Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["runs/", "zeta/"], top
    assert [o["Key"] for o in top["Contents"]] == ["readme.txt"]
    runs = s3.list_objects_v2(Bucket="listing", Prefix="runs/", Delimiter="/", MaxKeys=10)
    assert runs["IsTruncated"] and runs["KeyCount"] == 10, runs
    after = s3.list_objects_v2(Bucket="listing", Prefix="runs/0", StartAfter="runs/020/metrics.json")
    assert [o["Key"] for o in after["Contents"]] == [f"runs/{i:03d}/metrics.json" for i in range(21, 25)]
    assert s3.get_object(Bucket="listing", Key="zeta/a b+c.txt")["Body"].read() == b"zeta/a b+c.txt"
    deleted = s3.delete_objects(Bucket="listing", Delete={"Objects": [{"Key": "readme.txt"}, {"Key": "runs/index.html"}]})
    assert sorted(d["Key"] for d in deleted["Deleted"]) == ["readme.txt", "runs/index.html"]


def test_keys_that_escape_are_refused(endpoint):
    s3 = client("s3", endpoint)
    bucket = "safe-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    for key in ["a/../../escape.txt", "../escape.txt", "a/./b", "a//b"]:
        code, status = code_of(lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"x"))
        assert (code, status) == ("InvalidArgument", 400), (key, code, status)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


if __name__ == "__main__":
    main({name: fn for name, fn in globals().items() if name.startswith("test_")})
