"""Kiln's S3-compatible endpoint, driven by boto3 exactly as users drive S3."""
import base64
import hashlib
import os
import struct
import tempfile
import uuid
import zlib

import botocore.exceptions
from boto3.s3.transfer import TransferConfig

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


MB = 1024 * 1024


def crc32_of(data):
    return base64.b64encode(struct.pack(">I", zlib.crc32(data))).decode()


def test_managed_copy_and_download_are_byte_equal(endpoint):
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket="managed")
    multipart = TransferConfig(multipart_threshold=8 * MB, multipart_chunksize=8 * MB, max_concurrency=4)
    with tempfile.TemporaryDirectory() as folder:
        source = os.path.join(folder, "big.bin")
        original = os.urandom(20 * MB + 17)
        with open(source, "wb") as f:
            f.write(original)
        s3.upload_file(source, "managed", "big.bin", Config=multipart)
        # s3.copy above the threshold is CreateMultipartUpload + UploadPartCopy with ranges + Complete.
        s3.copy({"Bucket": "managed", "Key": "big.bin"}, "managed", "copies/big.bin", Config=multipart)
        assert s3.head_object(Bucket="managed", Key="copies/big.bin")["ETag"].endswith('-3"')
        # Below the threshold it is one CopyObject.
        s3.copy({"Bucket": "managed", "Key": "big.bin"}, "managed", "copies/single.bin", Config=TransferConfig(multipart_threshold=64 * MB))
        assert "-" not in s3.head_object(Bucket="managed", Key="copies/single.bin")["ETag"]
        for key in ["big.bin", "copies/big.bin", "copies/single.bin"]:
            target = os.path.join(folder, key.replace("/", "_") + ".back")
            s3.download_file("managed", key, target, Config=multipart)  # ranged GETs on four threads
            with open(target, "rb") as f:
                assert f.read() == original, key


def test_upload_part_copy_ranges_and_errors(endpoint):
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket="partcopy")
    data = os.urandom(6 * MB)
    s3.put_object(Bucket="partcopy", Key="src", Body=data)
    upload = s3.create_multipart_upload(Bucket="partcopy", Key="dst")["UploadId"]
    source = {"Bucket": "partcopy", "Key": "src"}

    def copy(**kwargs):
        args = {"Bucket": "partcopy", "Key": "dst", "UploadId": upload, "PartNumber": 1, "CopySource": source}
        args.update(kwargs)
        return s3.upload_part_copy(**args)

    assert code_of(lambda: copy(CopySourceRange="bytes=0-")) == ("InvalidArgument", 400)
    assert code_of(lambda: copy(CopySourceRange="0-10")) == ("InvalidArgument", 400)
    assert code_of(lambda: copy(CopySourceRange="bytes=10-5")) == ("InvalidArgument", 400)
    assert code_of(lambda: copy(CopySourceRange=f"bytes=0-{len(data)}")) == ("InvalidArgument", 400)
    assert code_of(lambda: copy(CopySource={"Bucket": "partcopy", "Key": "missing"})) == ("NoSuchKey", 404)
    assert code_of(lambda: copy(CopySource={"Bucket": "no-such-bucket-here", "Key": "src"})) == ("NoSuchBucket", 404)
    assert code_of(lambda: copy(UploadId="0" * 32)) == ("NoSuchUpload", 404)
    assert code_of(lambda: copy(PartNumber=10001))[0] == "InvalidArgument"
    assert s3.list_parts(Bucket="partcopy", Key="dst", UploadId=upload).get("Parts", []) == []
    first = copy(CopySourceRange=f"bytes=0-{5 * MB - 1}")["CopyPartResult"]
    second = copy(PartNumber=2, CopySourceRange=f"bytes={5 * MB}-{len(data) - 1}")["CopyPartResult"]
    assert first["ETag"] == '"%s"' % hashlib.md5(data[:5 * MB]).hexdigest(), first
    parts = [{"PartNumber": 1, "ETag": first["ETag"]}, {"PartNumber": 2, "ETag": second["ETag"]}]
    s3.complete_multipart_upload(Bucket="partcopy", Key="dst", UploadId=upload, MultipartUpload={"Parts": parts})
    assert s3.get_object(Bucket="partcopy", Key="dst")["Body"].read() == data


def test_list_multipart_uploads_and_pages(endpoint):
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket="inflight")
    started = []
    for key in ["a/1", "a/2", "a/1", "b", "c/d/e"]:
        started.append((key, s3.create_multipart_upload(Bucket="inflight", Key=key)["UploadId"]))
    listed = s3.list_multipart_uploads(Bucket="inflight")
    assert not listed["IsTruncated"]
    assert sorted((u["Key"], u["UploadId"]) for u in listed["Uploads"]) == sorted(started), listed
    assert [u["Key"] for u in listed["Uploads"]] == ["a/1", "a/1", "a/2", "b", "c/d/e"]
    # Two uploads of a/1 come in the order they were started.
    assert [u["UploadId"] for u in listed["Uploads"][:2]] == [started[0][1], started[2][1]]

    seen, marker = [], {}
    while True:
        page = s3.list_multipart_uploads(Bucket="inflight", MaxUploads=2, **marker)
        assert len(page.get("Uploads", [])) <= 2 and page["MaxUploads"] == 2
        seen += [(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]
        if not page["IsTruncated"]:
            break
        marker = {"KeyMarker": page["NextKeyMarker"], "UploadIdMarker": page["NextUploadIdMarker"]}
    assert seen == [(u["Key"], u["UploadId"]) for u in listed["Uploads"]], seen

    paginated = [u["UploadId"] for p in s3.get_paginator("list_multipart_uploads").paginate(Bucket="inflight", PaginationConfig={"PageSize": 1}) for u in p.get("Uploads", [])]
    assert paginated == [u["UploadId"] for u in listed["Uploads"]]

    after_a1 = s3.list_multipart_uploads(Bucket="inflight", KeyMarker="a/1")
    assert [u["Key"] for u in after_a1["Uploads"]] == ["a/2", "b", "c/d/e"]
    top = s3.list_multipart_uploads(Bucket="inflight", Delimiter="/")
    assert [u["Key"] for u in top["Uploads"]] == ["b"] and [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "c/"], top
    under_c = s3.list_multipart_uploads(Bucket="inflight", Prefix="c/", Delimiter="/")
    assert under_c.get("Uploads", []) == [] and [p["Prefix"] for p in under_c["CommonPrefixes"]] == ["c/d/"]

    s3.abort_multipart_upload(Bucket="inflight", Key="b", UploadId=started[3][1])
    assert "b" not in [u["Key"] for u in s3.list_multipart_uploads(Bucket="inflight")["Uploads"]]
    assert code_of(lambda: s3.list_multipart_uploads(Bucket="no-such-bucket-here")) == ("NoSuchBucket", 404)


def test_checksums_are_verified_and_stored(endpoint):
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket="sums")
    body = b"the first version"
    put = s3.put_object(Bucket="sums", Key="k", Body=body)  # botocore sends x-amz-checksum-crc32 by default
    assert put["ChecksumCRC32"] == crc32_of(body), put
    assert "ChecksumCRC32" not in s3.head_object(Bucket="sums", Key="k")
    assert s3.head_object(Bucket="sums", Key="k", ChecksumMode="ENABLED")["ChecksumCRC32"] == crc32_of(body)
    got = s3.get_object(Bucket="sums", Key="k", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == crc32_of(body) and got["Body"].read() == body

    wrong = {
        "ChecksumCRC32": crc32_of(b"something else"),
        "ChecksumCRC32C": "AAAAAA==",
        "ChecksumSHA1": base64.b64encode(hashlib.sha1(b"something else").digest()).decode(),
        "ChecksumSHA256": base64.b64encode(hashlib.sha256(b"something else").digest()).decode(),
    }
    for member, value in wrong.items():
        assert code_of(lambda: s3.put_object(Bucket="sums", Key="k", Body=b"a second version", **{member: value})) == ("BadDigest", 400), member
        assert code_of(lambda: s3.put_object(Bucket="sums", Key="new", Body=b"a second version", **{member: value})) == ("BadDigest", 400), member
    assert code_of(lambda: s3.put_object(Bucket="sums", Key="k", Body=b"x", ContentMD5=base64.b64encode(hashlib.md5(b"y").digest()).decode()))[0] == "BadDigest"
    assert s3.get_object(Bucket="sums", Key="k")["Body"].read() == body
    assert code_of(lambda: s3.head_object(Bucket="sums", Key="new"))[1] == 404
    assert code_of(lambda: s3.put_object(Bucket="sums", Key="k", Body=b"x", ChecksumCRC32="not base64!"))[0] == "InvalidRequest"

    sha = base64.b64encode(hashlib.sha256(b"second").digest()).decode()
    assert s3.put_object(Bucket="sums", Key="k", Body=b"second", ChecksumSHA256=sha)["ChecksumSHA256"] == sha
    assert s3.head_object(Bucket="sums", Key="k", ChecksumMode="ENABLED")["ChecksumSHA256"] == sha
    assert s3.list_objects_v2(Bucket="sums")["Contents"][0]["ChecksumAlgorithm"] == ["SHA256"]


def test_multipart_checksums_compose(endpoint):
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket="composed")
    data = os.urandom(17 * MB)
    with tempfile.TemporaryDirectory() as folder:
        source = os.path.join(folder, "model.bin")
        with open(source, "wb") as f:
            f.write(data)
        s3.upload_file(source, "composed", "model.bin", Config=TransferConfig(multipart_threshold=8 * MB, multipart_chunksize=8 * MB))
    parts = [data[i:i + 8 * MB] for i in range(0, len(data), 8 * MB)]
    composite = b"".join(struct.pack(">I", zlib.crc32(p)) for p in parts)
    expected = f"{crc32_of(composite)}-{len(parts)}"
    head = s3.head_object(Bucket="composed", Key="model.bin", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == expected and head.get("ChecksumType") == "COMPOSITE", head

    upload = s3.create_multipart_upload(Bucket="composed", Key="parts", ChecksumAlgorithm="SHA256")["UploadId"]
    wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    assert code_of(lambda: s3.upload_part(Bucket="composed", Key="parts", UploadId=upload, PartNumber=1, Body=b"part", ChecksumSHA256=wrong)) == ("BadDigest", 400)
    assert code_of(lambda: s3.upload_part(Bucket="composed", Key="parts", UploadId=upload, PartNumber=1, Body=b"part", ChecksumCRC32=crc32_of(b"part")))[0] == "InvalidRequest"
    assert s3.list_parts(Bucket="composed", Key="parts", UploadId=upload).get("Parts", []) == []
    part = s3.upload_part(Bucket="composed", Key="parts", UploadId=upload, PartNumber=1, Body=b"part", ChecksumAlgorithm="SHA256")
    digest = hashlib.sha256(b"part").digest()
    assert part["ChecksumSHA256"] == base64.b64encode(digest).decode()
    listed = {"PartNumber": 1, "ETag": part["ETag"]}
    assert code_of(lambda: s3.complete_multipart_upload(Bucket="composed", Key="parts", UploadId=upload, MultipartUpload={"Parts": [listed]}))[0] == "InvalidRequest"
    done = s3.complete_multipart_upload(Bucket="composed", Key="parts", UploadId=upload, MultipartUpload={"Parts": [dict(listed, ChecksumSHA256=part["ChecksumSHA256"])]})
    assert done["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(digest).digest()).decode() + "-1", done


DIGESTS = {
    "CRC32": lambda data: struct.pack(">I", zlib.crc32(data)),
    "SHA1": lambda data: hashlib.sha1(data).digest(),
    "SHA256": lambda data: hashlib.sha256(data).digest(),
}  # CRC32C needs awscrt in botocore; the raw-HTTP tests cover it against its published check value.


def b64(digest):
    return base64.b64encode(digest).decode()


def test_each_checksum_algorithm_boto3_computes_is_verified(endpoint):
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket="algorithms")
    body = b"the bytes every algorithm sums"
    for algorithm, digest in DIGESTS.items():
        member, header = f"Checksum{algorithm}", f"x-amz-checksum-{algorithm.lower()}"
        put = s3.put_object(Bucket="algorithms", Key=algorithm, Body=body, ChecksumAlgorithm=algorithm)
        assert put[member] == b64(digest(body)), (algorithm, put)
        assert s3.head_object(Bucket="algorithms", Key=algorithm, ChecksumMode="ENABLED")[member] == b64(digest(body))

        # boto3 computes the right checksum; a hook swaps in a well-formed wrong one after signing.
        def tamper(request, **kwargs):
            request.headers[header] = b64(digest(b"tampered"))

        s3.meta.events.register("before-send.s3.PutObject", tamper)
        try:
            assert code_of(lambda: s3.put_object(Bucket="algorithms", Key=algorithm, Body=b"a replacement", ChecksumAlgorithm=algorithm)) == ("BadDigest", 400), algorithm
        finally:
            s3.meta.events.unregister("before-send.s3.PutObject", tamper)
        got = s3.get_object(Bucket="algorithms", Key=algorithm, ChecksumMode="ENABLED")
        assert got["Body"].read() == body and got[member] == b64(digest(body)), algorithm


def test_multipart_with_each_checksum_algorithm(endpoint):
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket="multisums")
    pieces = [os.urandom(5 * MB), os.urandom(1234)]
    for algorithm, digest in DIGESTS.items():
        member = f"Checksum{algorithm}"
        upload = s3.create_multipart_upload(Bucket="multisums", Key=algorithm, ChecksumAlgorithm=algorithm)["UploadId"]
        wrong = b64(digest(b"not this part"))
        assert code_of(lambda: s3.upload_part(Bucket="multisums", Key=algorithm, UploadId=upload, PartNumber=1, Body=pieces[0], **{member: wrong})) == ("BadDigest", 400), algorithm
        done = []
        for number, piece in enumerate(pieces, start=1):
            part = s3.upload_part(Bucket="multisums", Key=algorithm, UploadId=upload, PartNumber=number, Body=piece, ChecksumAlgorithm=algorithm)
            assert part[member] == b64(digest(piece)), (algorithm, number)
            done.append({"PartNumber": number, "ETag": part["ETag"], member: part[member]})
        s3.complete_multipart_upload(Bucket="multisums", Key=algorithm, UploadId=upload, MultipartUpload={"Parts": done})
        composite = b64(digest(b"".join(digest(piece) for piece in pieces))) + "-2"
        head = s3.head_object(Bucket="multisums", Key=algorithm, ChecksumMode="ENABLED")
        assert head[member] == composite and head["ContentLength"] == sum(map(len, pieces)), (algorithm, head)


if __name__ == "__main__":
    main({name: fn for name, fn in globals().items() if name.startswith("test_")})
