"""SageMaker Feature Store through boto3: the control plane (sagemaker) and the records
(sagemaker-featurestore-runtime), with SageMaker's event-time rules, TTL, soft and hard deletes, and errors."""
import sys
import time
import uuid
from datetime import datetime, timezone

import botocore.exceptions

from kiln_boto import client, main

ACCOUNT = "000000000000"
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/KilnFeatureStore"
BUCKET = "kiln-feature-store"


def ensure_bucket(s3):
    try:
        s3.create_bucket(Bucket=BUCKET)
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise


def error_of(call, **kwargs):
    try:
        call(**kwargs)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError(f"{call.__name__} succeeded but should have failed: {kwargs}")


DEFINITIONS = [
    {"FeatureName": "customer_id", "FeatureType": "String"},
    {"FeatureName": "event_time", "FeatureType": "Fractional"},
    {"FeatureName": "age", "FeatureType": "Integral"},
    {"FeatureName": "spend", "FeatureType": "Fractional"},
    {"FeatureName": "city", "FeatureType": "String"},
]


def create_group(sm, s3, name=None, online=True, offline=True, definitions=DEFINITIONS, event_time="event_time", **extra):
    name = name or "customers-" + uuid.uuid4().hex[:8]
    args = dict(FeatureGroupName=name, RecordIdentifierFeatureName="customer_id", EventTimeFeatureName=event_time,
                FeatureDefinitions=definitions, RoleArn=ROLE, Description="customer features", **extra)
    if online:
        args["OnlineStoreConfig"] = {"EnableOnlineStore": True, **({"TtlDuration": online} if isinstance(online, dict) else {})}
    if offline:
        ensure_bucket(s3)
        args["OfflineStoreConfig"] = {"S3StorageConfig": {"S3Uri": f"s3://{BUCKET}/offline"}}
    arn = sm.create_feature_group(**args)["FeatureGroupArn"]
    assert arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:feature-group/{name.lower()}", arn
    wait_created(sm, name)
    return name


def wait_created(sm, name):
    for _ in range(100):
        status = sm.describe_feature_group(FeatureGroupName=name)["FeatureGroupStatus"]
        if status != "Creating":
            assert status == "Created", status
            return
        time.sleep(0.1)
    raise AssertionError(f"{name} stayed Creating")


def record(customer, event_time, **values):
    return [{"FeatureName": "customer_id", "ValueAsString": customer}, {"FeatureName": "event_time", "ValueAsString": str(event_time)}] + [
        {"FeatureName": k, "ValueAsString": str(v)} for k, v in values.items()]


def as_dict(rec):
    return {v["FeatureName"]: v["ValueAsString"] for v in rec}


def test_control_plane(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    name = create_group(sm, s3, Tags=[{"Key": "team", "Value": "growth"}])
    d = sm.describe_feature_group(FeatureGroupName=name)
    assert d["FeatureGroupName"] == name and d["RecordIdentifierFeatureName"] == "customer_id" and d["EventTimeFeatureName"] == "event_time", d
    assert d["FeatureDefinitions"] == DEFINITIONS, d["FeatureDefinitions"]
    assert d["OnlineStoreConfig"]["EnableOnlineStore"] is True and d["RoleArn"] == ROLE and d["Description"] == "customer features", d
    assert d["OfflineStoreStatus"] == {"Status": "Active"}, d
    created = int(d["CreationTime"].timestamp())
    s3config = d["OfflineStoreConfig"]["S3StorageConfig"]
    assert s3config["S3Uri"] == f"s3://{BUCKET}/offline", s3config
    assert s3config["ResolvedOutputS3Uri"] == f"s3://{BUCKET}/offline/{ACCOUNT}/sagemaker/{REGION}/offline-store/{name}-{created}/data", s3config
    catalog = d["OfflineStoreConfig"]["DataCatalogConfig"]
    assert catalog == {"TableName": f"{name.replace('-', '_')}_{created}", "Catalog": "AwsDataCatalog", "Database": "sagemaker_featurestore"}, catalog
    assert d["ThroughputConfig"]["ThroughputMode"] == "OnDemand", d
    # Describe by ARN too.
    assert sm.describe_feature_group(FeatureGroupName=d["FeatureGroupArn"])["FeatureGroupName"] == name

    # The same name again (in any case) is in use.
    code, message, status = error_of(sm.create_feature_group, FeatureGroupName=name.upper(), RecordIdentifierFeatureName="customer_id",
                                     EventTimeFeatureName="event_time", FeatureDefinitions=DEFINITIONS, OnlineStoreConfig={"EnableOnlineStore": True})
    assert code == "ResourceInUse" and status == 400, (code, message)

    # List: name filter, sort and paging.
    other = create_group(sm, s3, name=name + "-b", offline=False)
    listed = sm.list_feature_groups(NameContains=name, SortBy="Name", SortOrder="Ascending")["FeatureGroupSummaries"]
    assert [g["FeatureGroupName"] for g in listed] == [name, other], listed
    assert listed[0]["FeatureGroupStatus"] == "Created" and listed[0]["OfflineStoreStatus"]["Status"] == "Active" and "OfflineStoreStatus" not in listed[1], listed
    page = sm.list_feature_groups(NameContains=name, MaxResults=1, SortBy="CreationTime", SortOrder="Descending")
    assert len(page["FeatureGroupSummaries"]) == 1 and page["NextToken"], page
    rest = sm.list_feature_groups(NameContains=name, MaxResults=1, SortBy="CreationTime", SortOrder="Descending", NextToken=page["NextToken"])
    assert {page["FeatureGroupSummaries"][0]["FeatureGroupName"], rest["FeatureGroupSummaries"][0]["FeatureGroupName"]} == {name, other}
    only_offline = sm.list_feature_groups(NameContains=name, OfflineStoreStatusEquals="Active")["FeatureGroupSummaries"]
    assert [g["FeatureGroupName"] for g in only_offline] == [name], only_offline

    # Update: add features, TTL, throughput.
    sm.update_feature_group(FeatureGroupName=name, FeatureAdditions=[{"FeatureName": "segment", "FeatureType": "String"}],
                            OnlineStoreConfig={"TtlDuration": {"Unit": "Days", "Value": 30}},
                            ThroughputConfig={"ThroughputMode": "Provisioned", "ProvisionedReadCapacityUnits": 5, "ProvisionedWriteCapacityUnits": 7})
    d = sm.describe_feature_group(FeatureGroupName=name)
    assert d["FeatureDefinitions"][-1] == {"FeatureName": "segment", "FeatureType": "String"} and len(d["FeatureDefinitions"]) == 6, d
    assert d["OnlineStoreConfig"]["TtlDuration"] == {"Unit": "Days", "Value": 30}, d["OnlineStoreConfig"]
    assert d["ThroughputConfig"] == {"ThroughputMode": "Provisioned", "ProvisionedReadCapacityUnits": 5, "ProvisionedWriteCapacityUnits": 7}, d["ThroughputConfig"]
    assert d["LastUpdateStatus"]["Status"] == "Successful", d
    code, message, _ = error_of(sm.update_feature_group, FeatureGroupName=name, FeatureAdditions=[{"FeatureName": "age", "FeatureType": "Integral"}])
    assert code == "ValidationException" and "age" in message, message
    assert error_of(sm.update_feature_group, FeatureGroupName=other + "x", FeatureAdditions=[{"FeatureName": "z", "FeatureType": "String"}])[0] == "ResourceNotFound"

    # Feature metadata.
    m = sm.describe_feature_metadata(FeatureGroupName=name, FeatureName="spend")
    assert m["FeatureType"] == "Fractional" and m["FeatureGroupArn"] == d["FeatureGroupArn"] and "Description" not in m and m.get("Parameters", []) == [], m
    sm.update_feature_metadata(FeatureGroupName=name, FeatureName="spend", Description="30-day spend in EUR",
                               ParameterAdditions=[{"Key": "unit", "Value": "EUR"}, {"Key": "owner", "Value": "finance"}])
    sm.update_feature_metadata(FeatureGroupName=name, FeatureName="spend", ParameterAdditions=[{"Key": "unit", "Value": "USD"}], ParameterRemovals=["owner"])
    m = sm.describe_feature_metadata(FeatureGroupName=name, FeatureName="spend")
    assert m["Description"] == "30-day spend in EUR" and m["Parameters"] == [{"Key": "unit", "Value": "USD"}], m
    assert m["LastModifiedTime"] >= m["CreationTime"], m
    assert error_of(sm.describe_feature_metadata, FeatureGroupName=name, FeatureName="nope")[0] == "ResourceNotFound"

    # Delete: gone from describe and list; a second delete is not found.
    sm.delete_feature_group(FeatureGroupName=other)
    code, message, status = error_of(sm.describe_feature_group, FeatureGroupName=other)
    assert code == "ResourceNotFound" and other in message, (code, message)
    assert [g["FeatureGroupName"] for g in sm.list_feature_groups(NameContains=name)["FeatureGroupSummaries"]] == [name]
    assert error_of(sm.delete_feature_group, FeatureGroupName=other)[0] == "ResourceNotFound"
    # A deleted name can be created again.
    create_group(sm, s3, name=other, offline=False)


def test_create_errors(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    base = dict(RecordIdentifierFeatureName="customer_id", EventTimeFeatureName="event_time", OnlineStoreConfig={"EnableOnlineStore": True})

    def fails(expect, **kwargs):
        name = "bad-" + uuid.uuid4().hex[:8]
        code, message, status = error_of(sm.create_feature_group, **{"FeatureGroupName": name, "FeatureDefinitions": DEFINITIONS, **base, **kwargs})
        assert code == "ValidationException" and status == 400 and expect in message, (code, message)
        assert error_of(sm.describe_feature_group, FeatureGroupName=name)[0] == "ResourceNotFound"

    fails("RecordIdentifierFeatureName", RecordIdentifierFeatureName="missing_id")
    fails("EventTimeFeatureName", EventTimeFeatureName="missing_time")
    fails("Fractional or String", EventTimeFeatureName="age")
    fails("pattern", FeatureDefinitions=DEFINITIONS + [{"FeatureName": "bad name", "FeatureType": "String"}])
    fails("reserved", FeatureDefinitions=DEFINITIONS + [{"FeatureName": "is_deleted", "FeatureType": "String"}])
    fails("unique", FeatureDefinitions=DEFINITIONS + [{"FeatureName": "AGE", "FeatureType": "Integral"}])
    fails("2500", FeatureDefinitions=DEFINITIONS + [{"FeatureName": f"f{i}", "FeatureType": "String"} for i in range(2500)])
    fails("OfflineStoreConfig", OnlineStoreConfig={"EnableOnlineStore": False})
    fails("Integral, Fractional, String", FeatureDefinitions=DEFINITIONS + [{"FeatureName": "x", "FeatureType": "Boolean"}])
    code, _, _ = error_of(sm.create_feature_group, FeatureGroupName="bad name!", FeatureDefinitions=DEFINITIONS, **base)
    assert code == "ValidationException"

    # An offline store in a bucket that does not exist: the group is CreateFailed with the reason, as SageMaker reports it.
    name = "nobucket-" + uuid.uuid4().hex[:8]
    sm.create_feature_group(FeatureGroupName=name, FeatureDefinitions=DEFINITIONS, RecordIdentifierFeatureName="customer_id", EventTimeFeatureName="event_time",
                            OfflineStoreConfig={"S3StorageConfig": {"S3Uri": "s3://no-such-bucket-kiln/x"}})
    d = sm.describe_feature_group(FeatureGroupName=name)
    assert d["FeatureGroupStatus"] == "CreateFailed" and "no-such-bucket-kiln" in d["FailureReason"], d
    sm.delete_feature_group(FeatureGroupName=name)


def test_put_get_and_event_time_rules(endpoint):
    sm, s3, fs = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-featurestore-runtime", endpoint)
    name = create_group(sm, s3)
    fs.put_record(FeatureGroupName=name, Record=record("c1", 1700000000.5, age=41, spend=12.5, city="Lyon"))
    got = fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="c1")
    assert as_dict(got["Record"]) == {"customer_id": "c1", "event_time": "1700000000.5", "age": "41", "spend": "12.5", "city": "Lyon"}, got
    assert "ExpiresAt" not in got

    # FeatureNames narrows the answer.
    got = fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="c1", FeatureNames=["age", "city"])
    assert as_dict(got["Record"]) == {"age": "41", "city": "Lyon"}, got

    # An older event never replaces a newer one.
    fs.put_record(FeatureGroupName=name, Record=record("c1", 1699999999, age=40, spend=1, city="Paris"))
    assert as_dict(fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="c1")["Record"])["city"] == "Lyon"
    # An equal event time replaces; a newer one replaces.
    fs.put_record(FeatureGroupName=name, Record=record("c1", 1700000000.5, age=42, city="Nice"))
    assert as_dict(fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="c1")["Record"]) == {
        "customer_id": "c1", "event_time": "1700000000.5", "age": "42", "city": "Nice"}
    fs.put_record(FeatureGroupName=name, Record=record("c1", 1700000100, age=43, spend=99.0, city="Brest"))
    assert as_dict(fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="c1")["Record"])["city"] == "Brest"

    # A missing record is an empty answer; a missing group is ResourceNotFound.
    assert "Record" not in fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="nobody")
    code, _, status = error_of(fs.get_record, FeatureGroupName="no-such-group", RecordIdentifierValueAsString="c1")
    assert code == "ResourceNotFound" and status == 404, (code, status)
    code, _, _ = error_of(fs.get_record, FeatureGroupName=name, RecordIdentifierValueAsString="c1", FeatureNames=["nope"])
    assert code == "ValidationError"

    # ISO-8601 event times on a String event time feature.
    iso = create_group(sm, s3, definitions=[{"FeatureName": "customer_id", "FeatureType": "String"}, {"FeatureName": "ts", "FeatureType": "String"},
                                             {"FeatureName": "score", "FeatureType": "Fractional"}], event_time="ts", offline=False)
    put = lambda ts, score: fs.put_record(FeatureGroupName=iso, Record=[{"FeatureName": "customer_id", "ValueAsString": "c9"},
                                                                       {"FeatureName": "ts", "ValueAsString": ts}, {"FeatureName": "score", "ValueAsString": str(score)}])
    put("2024-05-01T10:00:00Z", 1)
    put("2024-05-01T09:59:59.999Z", 2)  # older: kept out
    assert as_dict(fs.get_record(FeatureGroupName=iso, RecordIdentifierValueAsString="c9")["Record"])["score"] == "1"
    put("2024-05-01T10:00:00.001Z", 3)
    assert as_dict(fs.get_record(FeatureGroupName=iso, RecordIdentifierValueAsString="c9")["Record"])["score"] == "3"
    code, message, _ = error_of(put, ts="1714557600", score=4)  # Unix seconds on a String event time feature
    assert code == "ValidationError" and "ISO-8601" in message, message


def test_bad_records_store_nothing(endpoint):
    sm, s3, fs = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-featurestore-runtime", endpoint)
    name = create_group(sm, s3)

    def refused(rec, expect, **extra):
        code, message, status = error_of(fs.put_record, FeatureGroupName=name, Record=rec, **extra)
        assert code == "ValidationError" and status == 400 and expect in message, (code, message)
        assert "Record" not in fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="bad"), "a refused record was stored"

    refused(record("bad", 1700000000, colour="red"), "colour")
    refused(record("bad", 1700000000, age="forty"), "Integral")
    refused(record("bad", 1700000000, age="4.5"), "Integral")
    refused(record("bad", 1700000000, spend="lots"), "Fractional")
    refused([{"FeatureName": "event_time", "ValueAsString": "1700000000"}, {"FeatureName": "customer_id", "ValueAsString": ""}], "customer_id")
    refused([{"FeatureName": "customer_id", "ValueAsString": "bad"}, {"FeatureName": "age", "ValueAsString": "3"}], "event_time")
    refused(record("bad", "yesterday"), "event_time")
    refused(record("bad", "2024-05-01T10:00:00Z"), "Unix")  # ISO on a Fractional event time feature
    refused(record("bad", 1700000000, city="x" * 360000), "bytes")
    code, _, _ = error_of(fs.put_record, FeatureGroupName=name, Record=record("bad", 1700000000), TargetStores=["Nowhere"])
    assert code == "ValidationError"
    code, _, status = error_of(fs.put_record, FeatureGroupName="no-such-group", Record=record("bad", 1700000000))
    assert code == "ResourceNotFound" and status == 404, code
    online_only = create_group(sm, s3, offline=False)
    code, message, _ = error_of(fs.put_record, FeatureGroupName=online_only, Record=record("bad", 1700000000), TargetStores=["OfflineStore"])
    assert code == "ValidationError" and "OfflineStore" in message, message


def test_batch_get_record(endpoint):
    sm, s3, fs = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-featurestore-runtime", endpoint)
    a, b = create_group(sm, s3), create_group(sm, s3, offline=False)
    for i in range(3):
        fs.put_record(FeatureGroupName=a, Record=record(f"a{i}", 1700000000 + i, age=i))
    now = round(time.time(), 3)
    fs.put_record(FeatureGroupName=b, Record=record("b0", now, city="Oslo"), TtlDuration={"Unit": "Hours", "Value": 1})
    answer = fs.batch_get_record(Identifiers=[
        {"FeatureGroupName": a, "RecordIdentifiersValueAsString": ["a0", "a2", "missing"], "FeatureNames": ["customer_id", "age"]},
        {"FeatureGroupName": b, "RecordIdentifiersValueAsString": ["b0"]},
        {"FeatureGroupName": "no-such-group", "RecordIdentifiersValueAsString": ["x"]},
    ], ExpirationTimeResponse="Enabled")
    got = {(r["FeatureGroupName"], r["RecordIdentifierValueAsString"]): r for r in answer["Records"]}
    assert set(got) == {(a, "a0"), (a, "a2"), (b, "b0")}, answer
    assert as_dict(got[(a, "a2")]["Record"]) == {"customer_id": "a2", "age": "2"}, got
    assert "ExpiresAt" not in got[(a, "a0")] and got[(b, "b0")]["ExpiresAt"] == datetime.fromtimestamp(now + 3600, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", got[(b, "b0")]
    assert answer["Errors"] == [{"FeatureGroupName": "no-such-group", "RecordIdentifierValueAsString": "x", "ErrorCode": "ResourceNotFound",
                                 "ErrorMessage": answer["Errors"][0]["ErrorMessage"]}], answer["Errors"]
    assert answer["UnprocessedIdentifiers"] == [], answer


def test_ttl_expiry(endpoint):
    sm, s3, fs = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-featurestore-runtime", endpoint)
    name = create_group(sm, s3, online={"Unit": "Minutes", "Value": 10})
    now = time.time()
    # The group's TTL: expires 10 minutes after the event time, and says so when asked.
    fs.put_record(FeatureGroupName=name, Record=record("fresh", round(now, 3), age=1))
    got = fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="fresh", ExpirationTimeResponse="Enabled")
    expires = datetime.strptime(got["ExpiresAt"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
    assert abs(expires - (round(now, 3) + 600)) < 0.002, (got["ExpiresAt"], now)
    assert "ExpiresAt" not in fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="fresh")
    # An event 11 minutes old is already past the group's TTL: not returned.
    fs.put_record(FeatureGroupName=name, Record=record("stale", round(now - 660, 3), age=2))
    assert "Record" not in fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="stale")
    # A put's own TtlDuration overrides the group's: 2 seconds, then gone.
    fs.put_record(FeatureGroupName=name, Record=record("short", round(now, 3), age=3), TtlDuration={"Unit": "Seconds", "Value": 2})
    assert as_dict(fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="short")["Record"])["age"] == "3"
    time.sleep(max(0, now + 2.2 - time.time()))
    assert "Record" not in fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="short")
    # An expired record does not keep out an older event: it is as if absent.
    fs.put_record(FeatureGroupName=name, Record=record("short", round(now - 1, 3), age=4), TtlDuration={"Unit": "Hours", "Value": 1})
    assert as_dict(fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="short")["Record"])["age"] == "4"
    code, _, _ = error_of(fs.put_record, FeatureGroupName=name, Record=record("x", now), TtlDuration={"Unit": "Years", "Value": 1})
    assert code == "ValidationError"


def test_soft_and_hard_delete(endpoint):
    sm, s3, fs = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-featurestore-runtime", endpoint)
    name = create_group(sm, s3)
    get = lambda rid: fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString=rid).get("Record")

    # Soft delete: gone, and its marker keeps older puts out; a newer put brings the record back.
    fs.put_record(FeatureGroupName=name, Record=record("s", 1000, age=1))
    fs.delete_record(FeatureGroupName=name, RecordIdentifierValueAsString="s", EventTime="2000")
    assert get("s") is None
    fs.put_record(FeatureGroupName=name, Record=record("s", 1500, age=2))
    assert get("s") is None, "an older put came back after a soft delete"
    fs.put_record(FeatureGroupName=name, Record=record("s", 2500, age=3))
    assert as_dict(get("s"))["age"] == "3"
    # A soft delete older than the record leaves it.
    fs.delete_record(FeatureGroupName=name, RecordIdentifierValueAsString="s", EventTime="2400", DeletionMode="SoftDelete")
    assert as_dict(get("s"))["age"] == "3"

    # Hard delete: gone without a marker, so an older put is accepted afterwards.
    fs.put_record(FeatureGroupName=name, Record=record("h", 1000, age=1))
    fs.delete_record(FeatureGroupName=name, RecordIdentifierValueAsString="h", EventTime="2000", DeletionMode="HardDelete")
    assert get("h") is None
    fs.put_record(FeatureGroupName=name, Record=record("h", 1500, age=2))
    assert as_dict(get("h"))["age"] == "2"
    # A hard delete older than the record is refused, and the record stays.
    code, message, status = error_of(fs.delete_record, FeatureGroupName=name, RecordIdentifierValueAsString="h", EventTime="1400", DeletionMode="HardDelete")
    assert code == "ValidationError" and status == 400 and "older" in message, message
    assert as_dict(get("h"))["age"] == "2"

    for bad in (dict(EventTime="not-a-time"), dict(EventTime="2000", DeletionMode="Obliterate")):
        code, _, _ = error_of(fs.delete_record, FeatureGroupName=name, RecordIdentifierValueAsString="h", **bad)
        assert code == "ValidationError", (bad, code)
    assert as_dict(get("h"))["age"] == "2"

    # Deleting the group removes its records: a new group of the same name starts empty.
    sm.delete_feature_group(FeatureGroupName=name)
    create_group(sm, s3, name=name, offline=False)
    assert get("h") is None


def test_two_nodes_share_records(endpoint):
    """Cluster mode: sys.argv[3] is a second server on the same metadata and online stores. A record put through one
    is read through the other, an older event put through the other is kept out, and a hard delete is seen by both."""
    sm, s3, fs = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-featurestore-runtime", endpoint)
    other = client("sagemaker-featurestore-runtime", sys.argv[3])
    name = create_group(sm, s3, offline=False)
    fs.put_record(FeatureGroupName=name, Record=record("c1", 1700000000.5, age=41, spend=12.5, city="Lyon"))
    assert as_dict(other.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="c1")["Record"])["city"] == "Lyon"
    other.put_record(FeatureGroupName=name, Record=record("c1", 1699999999, age=40, spend=1, city="Paris"))
    assert as_dict(fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="c1")["Record"])["city"] == "Lyon"
    other.put_record(FeatureGroupName=name, Record=record("c2", 1700000001, age=30, spend=2, city="Nice"))
    got = fs.batch_get_record(Identifiers=[{"FeatureGroupName": name, "RecordIdentifiersValueAsString": ["c1", "c2"]}])["Records"]
    assert sorted(as_dict(r["Record"])["city"] for r in got) == ["Lyon", "Nice"], got
    other.delete_record(FeatureGroupName=name, RecordIdentifierValueAsString="c1", EventTime="1700000002", DeletionMode="HardDelete")
    assert "Record" not in fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="c1")
    sm.delete_feature_group(FeatureGroupName=name)


def test_fill_group(endpoint):
    """Group sys.argv[3] with live, expiring and soft-deleted records (the caller then looks at the online store)."""
    sm, s3, fs = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-featurestore-runtime", endpoint)
    name = create_group(sm, s3, name=sys.argv[3], online={"Unit": "Hours", "Value": 1}, offline=False)
    now = round(time.time(), 3)
    for i in range(3):
        fs.put_record(FeatureGroupName=name, Record=record(f"c{i}", now + i, age=i))
    fs.put_record(FeatureGroupName=name, Record=record("c0", now - 5, age=99))  # older: kept out
    fs.delete_record(FeatureGroupName=name, RecordIdentifierValueAsString="c2", EventTime=str(now + 10))
    got = fs.batch_get_record(Identifiers=[{"FeatureGroupName": name, "RecordIdentifiersValueAsString": ["c0", "c1", "c2"]}])["Records"]
    assert sorted((r["RecordIdentifierValueAsString"], as_dict(r["Record"])["age"]) for r in got) == [("c0", "0"), ("c1", "1")], got


def test_delete_group(endpoint):
    """Deletes group sys.argv[3]; a new group of the same name starts with no records."""
    sm, s3, fs = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-featurestore-runtime", endpoint)
    name = sys.argv[3]
    sm.delete_feature_group(FeatureGroupName=name)
    create_group(sm, s3, name=name, offline=False)
    assert "Record" not in fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="c0")
    sm.delete_feature_group(FeatureGroupName=name)


def test_offline_store_files(endpoint):
    """Puts and deletes records, waits for the offline store's Parquet files in SageMaker's layout, and downloads them
    (the C# side reads them back with Parquet.Net)."""
    import os
    import sys
    download_to = sys.argv[3]
    sm, s3, fs = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-featurestore-runtime", endpoint)
    name = create_group(sm, s3)
    d = sm.describe_feature_group(FeatureGroupName=name)
    resolved = d["OfflineStoreConfig"]["S3StorageConfig"]["ResolvedOutputS3Uri"]
    prefix = resolved[len(f"s3://{BUCKET}/"):]
    # 2023-11-14T22:13:20Z and an hour later: two hour partitions.
    fs.put_record(FeatureGroupName=name, Record=record("c1", 1700000000, age=41, spend=12.5, city="Lyon"))
    fs.put_record(FeatureGroupName=name, Record=record("c1", 1699999999, age=40))  # older: online keeps the first, offline gets both
    fs.put_record(FeatureGroupName=name, Record=record("c2", 1700003600.25, city="Oslo"))
    fs.delete_record(FeatureGroupName=name, RecordIdentifierValueAsString="c2", EventTime="1700003700")
    fs.put_record(FeatureGroupName=name, Record=record("online-only", 1700000000, age=1), TargetStores=["OnlineStore"])
    code, _, _ = error_of(fs.put_record, FeatureGroupName=name, Record=record("refused", 1700000000, age="x"))
    assert code == "ValidationError"

    listed = lambda: [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/").get("Contents", [])]
    for _ in range(150):  # the store flushes every second
        if len({k.rsplit("/", 1)[0] for k in listed()}) >= 2:
            break
        time.sleep(0.2)
    time.sleep(2.5)  # every write above was buffered before the first flush; let any later flush land too
    keys = listed()
    hours = sorted({k[len(prefix) + 1:].rsplit("/", 1)[0] for k in keys})
    assert hours == ["year=2023/month=11/day=14/hour=22", "year=2023/month=11/day=14/hour=23"], keys
    assert all(k.endswith(".parquet") for k in keys), keys
    os.makedirs(download_to, exist_ok=True)
    for i, key in enumerate(sorted(keys)):
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert body[:4] == b"PAR1" and body[-4:] == b"PAR1", key
        with open(os.path.join(download_to, f"{i}-" + key.rsplit("/", 2)[-2] + ".parquet"), "wb") as f:
            f.write(body)


def test_feature_group_tags(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    name = create_group(sm, s3, offline=False, Tags=[{"Key": "team", "Value": "growth"}])
    arn = sm.describe_feature_group(FeatureGroupName=name)["FeatureGroupArn"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "growth"}]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "risk"}, {"Key": "pii", "Value": "no"}])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "risk"}, {"Key": "pii", "Value": "no"}]
    sm.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "pii", "Value": "no"}]
    # The ARN in upper case names the same group (SageMaker lower-cases names in ARNs).
    assert sm.list_tags(ResourceArn=arn.replace(name.lower(), name.upper()))["Tags"] == [{"Key": "pii", "Value": "no"}]
    missing = arn + "-gone"
    code, message, _ = error_of(sm.list_tags, ResourceArn=missing)
    assert code == "ValidationException" and "not found" in message, (code, message)
    code, _, _ = error_of(sm.add_tags, ResourceArn=missing, Tags=[{"Key": "a", "Value": "b"}])
    assert code == "ValidationException"


def test_search_feature_groups_and_metadata(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    token = uuid.uuid4().hex[:8]
    a = create_group(sm, s3, name=f"srch-{token}-a", Tags=[{"Key": "team", "Value": "growth"}])
    b = create_group(sm, s3, name=f"srch-{token}-b", offline=False, Tags=[{"Key": "team", "Value": "risk"}],
                     definitions=DEFINITIONS + [{"FeatureName": "segment", "FeatureType": "String"}])
    mine = {"Name": "FeatureGroupName", "Operator": "Contains", "Value": f"srch-{token}"}

    def groups(**kwargs):
        out = sm.search(Resource="FeatureGroup", **kwargs)["Results"]
        return [r["FeatureGroup"]["FeatureGroupName"] for r in out]

    # The record is the group as Describe shows it, with its tags.
    found = sm.search(Resource="FeatureGroup", SearchExpression={"Filters": [mine, {"Name": "FeatureGroupName", "Operator": "Equals", "Value": a}]})["Results"]
    assert len(found) == 1, found
    record = found[0]["FeatureGroup"]
    described = sm.describe_feature_group(FeatureGroupName=a)
    assert record["FeatureGroupArn"] == described["FeatureGroupArn"] and record["FeatureDefinitions"] == DEFINITIONS, record
    assert record["OfflineStoreConfig"]["S3StorageConfig"]["ResolvedOutputS3Uri"] == described["OfflineStoreConfig"]["S3StorageConfig"]["ResolvedOutputS3Uri"]
    assert record["Tags"] == [{"Key": "team", "Value": "growth"}] and record["FeatureGroupStatus"] == "Created", record

    # Sort and filters on tags, nested properties and sub-expressions.
    assert groups(SearchExpression={"Filters": [mine]}, SortBy="FeatureGroupName", SortOrder="Ascending") == [a, b]
    assert groups(SearchExpression={"Filters": [mine]}, SortBy="CreationTime", SortOrder="Descending") == [b, a]
    assert groups(SearchExpression={"Filters": [mine, {"Name": "Tags.team", "Operator": "Equals", "Value": "risk"}]}) == [b]
    assert groups(SearchExpression={"Filters": [mine, {"Name": "OfflineStoreConfig.S3StorageConfig.S3Uri", "Operator": "Exists"}]}) == [a]
    assert groups(SearchExpression={"Filters": [mine, {"Name": "OfflineStoreConfig", "Operator": "NotExists"}]}) == [b]
    nested = {"NestedPropertyName": "FeatureDefinitions", "Filters": [
        {"Name": "FeatureDefinitions.FeatureName", "Operator": "Equals", "Value": "segment"},
        {"Name": "FeatureDefinitions.FeatureType", "Operator": "Equals", "Value": "String"}]}
    assert groups(SearchExpression={"Filters": [mine], "NestedFilters": [nested]}) == [b]
    wrong_type = {"NestedPropertyName": "FeatureDefinitions", "Filters": [
        {"Name": "FeatureDefinitions.FeatureName", "Operator": "Equals", "Value": "segment"},
        {"Name": "FeatureDefinitions.FeatureType", "Operator": "Equals", "Value": "Integral"}]}
    assert groups(SearchExpression={"Filters": [mine], "NestedFilters": [wrong_type]}) == []
    either = {"Operator": "Or", "SubExpressions": [
        {"Filters": [{"Name": "Tags.team", "Operator": "Equals", "Value": "growth"}]},
        {"Filters": [{"Name": "FeatureGroupName", "Operator": "Equals", "Value": b}]}]}
    assert groups(SearchExpression={"Filters": [mine], "SubExpressions": [either]}, SortBy="FeatureGroupName", SortOrder="Ascending") == [a, b]
    assert groups(SearchExpression={"Filters": [mine, {"Name": "CreationTime", "Operator": "GreaterThan", "Value": "2100-01-01T00:00:00Z"}]}) == []

    # Paging.
    first = sm.search(Resource="FeatureGroup", SearchExpression={"Filters": [mine]}, SortBy="FeatureGroupName", SortOrder="Ascending", MaxResults=1)
    assert [r["FeatureGroup"]["FeatureGroupName"] for r in first["Results"]] == [a] and first["NextToken"], first
    second = sm.search(Resource="FeatureGroup", SearchExpression={"Filters": [mine]}, SortBy="FeatureGroupName", SortOrder="Ascending", MaxResults=1,
                       NextToken=first["NextToken"])
    assert [r["FeatureGroup"]["FeatureGroupName"] for r in second["Results"]] == [b] and "NextToken" not in second, second

    # Feature metadata: one record per feature, with its description and parameters.
    sm.update_feature_metadata(FeatureGroupName=b, FeatureName="segment", Description="marketing segment",
                               ParameterAdditions=[{"Key": "owner", "Value": "growth"}])
    group_filter = {"Name": "FeatureGroupName", "Operator": "Contains", "Value": f"srch-{token}"}

    def features(*filters, **kwargs):
        out = sm.search(Resource="FeatureMetadata", SearchExpression={"Filters": [group_filter, *filters]}, **kwargs)["Results"]
        return [(r["FeatureMetadata"]["FeatureGroupName"], r["FeatureMetadata"]["FeatureName"]) for r in out]

    assert len(features(MaxResults=20)) == 11
    assert features({"Name": "FeatureType", "Operator": "Equals", "Value": "Integral"}, SortBy="FeatureGroupName", SortOrder="Ascending") == [(a, "age"), (b, "age")]
    assert features({"Name": "FeatureName", "Operator": "In", "Value": "spend,city"}, {"Name": "FeatureGroupName", "Operator": "Equals", "Value": a},
                    SortBy="FeatureName", SortOrder="Ascending") == [(a, "city"), (a, "spend")]
    hit = sm.search(Resource="FeatureMetadata", SearchExpression={"Filters": [group_filter, {"Name": "Parameters.owner", "Operator": "Equals", "Value": "growth"}]})["Results"]
    assert len(hit) == 1, hit
    meta = hit[0]["FeatureMetadata"]
    assert meta["FeatureName"] == "segment" and meta["Description"] == "marketing segment" and meta["FeatureType"] == "String", meta
    assert meta["FeatureGroupArn"] == sm.describe_feature_group(FeatureGroupName=b)["FeatureGroupArn"] and meta["Parameters"] == [{"Key": "owner", "Value": "growth"}], meta
    assert features({"Name": "Description", "Operator": "Contains", "Value": "segment"}) == [(b, "segment")]

    # Bad input: SageMaker's ValidationException.
    for resource, expression in [
        ("FeatureGroup", {"Filters": [{"Name": "CreationTime", "Operator": "GreaterThan", "Value": "yesterday"}]}),
        ("FeatureGroup", {"Filters": [{"Name": "FeatureGroupName", "Operator": "Equals"}]}),
        ("FeatureMetadata", {"NestedFilters": [{"NestedPropertyName": "Parameters", "Filters": [{"Name": "FeatureName", "Operator": "Equals", "Value": "x"}]}]}),
    ]:
        code, message, status = error_of(sm.search, Resource=resource, SearchExpression=expression)
        assert code == "ValidationException" and status == 400, (code, message)
    code, message, status = error_of(sm.search, Resource="FeatureGroup", NextToken="not-a-token")
    assert code == "ValidationException" and status == 400, (code, message)


if __name__ == "__main__":
    main({name: fn for name, fn in globals().items() if name.startswith("test_")})
