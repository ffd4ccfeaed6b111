"""Point-in-time-correct training sets from Kiln's feature store: POST /api/kiln/feature-store/datasets joins labelled
events to feature values as of each event's time. Later values are planted for every event: any of them in the
output is a leak and fails the test."""
import csv
import io
import uuid

import requests

from kiln_boto import client, main
from sagemaker_feature_store import create_group, ensure_bucket, BUCKET

LEAK = 999  # every value put after an event's time carries this marker


def put(fs, group, values):
    fs.put_record(FeatureGroupName=group, Record=[{"FeatureName": k, "ValueAsString": str(v)} for k, v in values.items()])


def build(endpoint, **body):
    return requests.post(endpoint + "/api/kiln/feature-store/datasets", json=body, timeout=120)


def setup(endpoint):
    sm, fs, s3 = client("sagemaker", endpoint), client("sagemaker-featurestore-runtime", endpoint), client("s3", endpoint)
    ensure_bucket(s3)
    # Group 1: Fractional event time (epoch seconds).
    g1 = create_group(sm, s3, online=True)
    # Group 2: String event time (ISO-8601), its own record identifier name and a feature name shared with group 1.
    g2 = "risk-" + uuid.uuid4().hex[:8]
    sm.create_feature_group(
        FeatureGroupName=g2, RecordIdentifierFeatureName="customer_id", EventTimeFeatureName="ts",
        FeatureDefinitions=[{"FeatureName": "customer_id", "FeatureType": "String"}, {"FeatureName": "ts", "FeatureType": "String"},
                            {"FeatureName": "score", "FeatureType": "Fractional"}, {"FeatureName": "age", "FeatureType": "Integral"}],
        OnlineStoreConfig={"EnableOnlineStore": True}, OfflineStoreConfig={"S3StorageConfig": {"S3Uri": f"s3://{BUCKET}/offline"}})
    from sagemaker_feature_store import wait_created
    wait_created(sm, g2)

    t0 = 1700000000
    # c1: three versions, then a value from after every event.
    for dt, age, spend in [(0, 30, 1.0), (100, 31, 2.0), (200, 32, 3.0)]:
        put(fs, g1, {"customer_id": "c1", "event_time": t0 + dt, "age": age, "spend": spend, "city": f"v{dt}"})
    put(fs, g1, {"customer_id": "c1", "event_time": t0 + 10_000, "age": LEAK, "spend": LEAK, "city": "LEAK"})
    # Two writes with the same event time: the later write wins.
    put(fs, g1, {"customer_id": "c2", "event_time": t0 + 50, "age": 40, "spend": 5.0, "city": "first"})
    put(fs, g1, {"customer_id": "c2", "event_time": t0 + 50, "age": 41, "spend": 6.0, "city": "second"})
    put(fs, g1, {"customer_id": "c2", "event_time": t0 + 51, "age": LEAK, "spend": LEAK, "city": "LEAK"})
    # c3: a value, then a soft delete, then (later than the events) a value again.
    put(fs, g1, {"customer_id": "c3", "event_time": t0 + 10, "age": 50, "spend": 7.0, "city": "c3"})
    fs.delete_record(FeatureGroupName=g1, RecordIdentifierValueAsString="c3", EventTime=str(t0 + 150))
    put(fs, g1, {"customer_id": "c3", "event_time": t0 + 5000, "age": LEAK, "spend": LEAK, "city": "LEAK"})
    # Group 2 (ISO times).
    put(fs, g2, {"customer_id": "c1", "ts": "2023-11-14T22:13:20Z", "score": 0.5, "age": 7})     # = t0
    put(fs, g2, {"customer_id": "c1", "ts": "2023-11-14T22:16:40Z", "score": 0.75, "age": 8})    # = t0 + 200
    put(fs, g2, {"customer_id": "c1", "ts": "2023-11-14T22:16:41Z", "score": LEAK, "age": LEAK})  # = t0 + 201
    put(fs, g2, {"customer_id": "c2", "ts": "2023-11-15T01:00:00Z", "score": LEAK, "age": LEAK})  # after every event

    events = [
        ("c1", t0 - 1, 0),      # before any value: empty features
        ("c1", t0, 1),          # exactly at a value's event time: that value
        ("c1", t0 + 150, 0),    # between versions: the earlier one
        ("c1", t0 + 200, 1),    # at the third version (group 2's second too)
        ("c2", t0 + 50.5, 1),   # same-event-time tie: the later write
        ("c3", t0 + 100, 0),    # before the delete
        ("c3", t0 + 160, 1),    # after the delete: empty
        ("c9", t0 + 100, 0),    # unknown identifier: empty
    ]
    text = "customer_id,event_time,label\n" + "".join(f"{c},{t},{l}\n" for c, t, l in events)
    key = f"events/{uuid.uuid4().hex[:8]}/events.csv"
    s3.put_object(Bucket=BUCKET, Key=key, Body=text.encode())
    return sm, s3, g1, g2, f"s3://{BUCKET}/{key}"


def test_point_in_time_join_has_no_leakage(endpoint):
    sm, s3, g1, g2, events = setup(endpoint)
    prefix = f"datasets/{uuid.uuid4().hex[:8]}/"
    response = build(endpoint, events=events, event_time_column="event_time", record_id_column="customer_id",
                     feature_groups=[g1, g2], output=f"s3://{BUCKET}/{prefix}", format="csv")
    assert response.status_code == 201, response.text
    built = response.json()
    assert built["rows"] == 8 and built["file"] == f"s3://{BUCKET}/{prefix}dataset.csv", built
    assert built["columns"] == ["customer_id", "event_time", "label", "age", "spend", "city", "score", f"{g2}.age"], built["columns"]

    body = s3.get_object(Bucket=BUCKET, Key=prefix + "dataset.csv")["Body"].read().decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    leaked = [(r["customer_id"], k, v) for r in rows for k, v in r.items() if v in (str(LEAK), f"{LEAK}.0", "LEAK")]
    assert not leaked and "LEAK" not in body, leaked
    got = [(r["customer_id"], r["age"], r["spend"], r["city"], r["score"], r[f"{g2}.age"]) for r in rows]
    assert got == [
        ("c1", "", "", "", "", ""),
        ("c1", "30", "1.0", "v0", "0.5", "7"),
        ("c1", "31", "2.0", "v100", "0.5", "7"),
        ("c1", "32", "3.0", "v200", "0.75", "8"),
        ("c2", "41", "6.0", "second", "", ""),
        ("c3", "50", "7.0", "c3", "", ""),
        ("c3", "", "", "", "", ""),
        ("c9", "", "", "", "", ""),
    ], got
    assert [r["label"] for r in rows] == ["0", "1", "0", "1", "1", "0", "1", "0"]

    # Parquet too.
    pq = build(endpoint, events=events, event_time_column="event_time", record_id_column="customer_id",
               feature_groups=[g1], output=f"s3://{BUCKET}/{prefix}pq", format="parquet")
    assert pq.status_code == 201, pq.text
    data = s3.get_object(Bucket=BUCKET, Key=prefix + "pq/dataset.parquet")["Body"].read()
    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1" and pq.json()["rows"] == 8

    # Lineage: both groups (and the events) contributed to the dataset artifact.
    lineage = sm.query_lineage(StartArns=[built["artifact_arn"]], Direction="Ascendants", IncludeEdges=True, MaxDepth=1)
    sources = {v["Arn"]: v for v in lineage["Vertices"]}
    group_arns = {sm.describe_feature_group(FeatureGroupName=g)["FeatureGroupArn"] for g in (g1, g2)}
    found = set()
    for arn in sources:
        artifact = sm.describe_artifact(ArtifactArn=arn)
        if artifact["ArtifactType"] == "FeatureGroup":
            found.add(artifact["Source"]["SourceUri"])
    assert found == group_arns, (found, group_arns)
    dataset = sm.describe_artifact(ArtifactArn=built["artifact_arn"])
    assert dataset["Source"]["SourceUri"] == f"s3://{BUCKET}/{prefix}" and dataset["ArtifactType"] == "DataSet", dataset


def test_bad_dataset_requests_write_nothing(endpoint):
    sm, s3, g1, _, events = setup(endpoint)
    prefix = f"datasets/{uuid.uuid4().hex[:8]}/"
    base = dict(events=events, event_time_column="event_time", record_id_column="customer_id", feature_groups=[g1], output=f"s3://{BUCKET}/{prefix}")
    for change, status, needle in [
        ({"feature_groups": ["no-such-group-x"]}, 404, "no-such-group-x"),
        ({"events": f"s3://{BUCKET}/nope/events.csv"}, 404, "does not exist"),
        ({"event_time_column": "when"}, 400, "when"),
        ({"record_id_column": "who"}, 400, "who"),
        ({"format": "xlsx"}, 400, "xlsx"),
        ({"output": "/tmp/out"}, 400, "S3"),
        ({"output": "s3://no-such-bucket-kiln-ds/x/"}, 400, "bucket"),
        ({"feature_groups": []}, 400, "feature_groups"),
    ]:
        response = build(endpoint, **{**base, **change})
        assert response.status_code == status and needle in response.json()["message"], (change, response.status_code, response.text)
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("KeyCount", 0) == 0


def test_training_job_reading_a_dataset_extends_its_lineage(endpoint):
    """Feature group → point-in-time dataset → the training job whose channel reads it: QueryLineage and ListAssociations."""
    from sagemaker_training import ROLE, channel, wait
    sm, s3, g1, _, events = setup(endpoint)
    prefix = f"datasets/{uuid.uuid4().hex[:8]}/"
    built = build(endpoint, events=events, event_time_column="event_time", record_id_column="customer_id",
                  feature_groups=[g1], output=f"s3://{BUCKET}/{prefix}", format="csv")
    assert built.status_code == 201, built.text
    dataset_arn = built.json()["artifact_arn"]
    job = "fs-train-" + uuid.uuid4().hex[:8]
    # The job checks it sees the dataset (a header and 8 rows) and writes a model.
    script = 'set -e; test $(wc -l < "$SM_CHANNEL_TRAIN/dataset.csv") -eq 9; head -1 "$SM_CHANNEL_TRAIN/dataset.csv" > "$SM_MODEL_DIR/columns.txt"'
    sm.create_training_job(
        TrainingJobName=job, RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": "kiln/script", "TrainingInputMode": "File", "ContainerEntrypoint": ["bash", "-c", script]},
        InputDataConfig=[channel("train", f"s3://{BUCKET}/{prefix}")],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/models"},
        StoppingCondition={"MaxRuntimeInSeconds": 300})
    described = wait(sm, job)
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")

    # The dataset artifact the builder recorded is the one the job's channel contributed to (same URI, same content hash).
    to = sm.list_associations(SourceArn=dataset_arn)["AssociationSummaries"]
    jobs = [a for a in to if a["DestinationType"] == "SageMakerTrainingJob" or a.get("DestinationName") == job or job in a["DestinationArn"]]
    assert len(jobs) == 1 and jobs[0]["AssociationType"] == "ContributedTo", to
    job_component = jobs[0]["DestinationArn"]

    # From the feature group's artifact downstream: the dataset, then the training job.
    group_arn = sm.describe_feature_group(FeatureGroupName=g1)["FeatureGroupArn"]
    group_artifact = [a["ArtifactArn"] for a in sm.list_artifacts(SourceUri=group_arn)["ArtifactSummaries"]]
    assert len(group_artifact) == 1, group_artifact
    down = sm.query_lineage(StartArns=group_artifact, Direction="Descendants", IncludeEdges=True, MaxDepth=5)
    edges = {(e["SourceArn"], e["DestinationArn"]) for e in down["Edges"]}
    assert (group_artifact[0], dataset_arn) in edges and (dataset_arn, job_component) in edges, down["Edges"]
    # And back up from the job: the feature group is among its ancestors.
    up = sm.query_lineage(StartArns=[job_component], Direction="Ascendants", MaxDepth=5)
    assert group_artifact[0] in {v["Arn"] for v in up["Vertices"]} and dataset_arn in {v["Arn"] for v in up["Vertices"]}, up["Vertices"]


if __name__ == "__main__":
    main({name: fn for name, fn in globals().items() if name.startswith("test_")})
