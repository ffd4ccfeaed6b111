"""Feature store benchmark: GetRecord vs raw Redis HGETALL, PutRecord ingest, and a point-in-time join of N events x 10
features (Kiln's POST /api/kiln/feature-store/datasets, DuckDB ASOF JOIN) vs pandas merge_asof on the same data.

Usage: /usr/bin/python3 bench/featurestore/bench.py KILN_URL REDIS_PORT [EVENTS=1000000] [IDS=20000] [VERSIONS=5] [READS=20000]
Prints a Markdown table. Both online stores are read over one keep-alive connection, requests in sequence."""
import http.client
import io
import json
import random
import statistics
import sys
import time
import urllib.parse
import uuid

import boto3
import numpy as np
import pandas as pd
import redis
from botocore.config import Config

url, redis_port = sys.argv[1], int(sys.argv[2])
EVENTS = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
IDS = int(sys.argv[4]) if len(sys.argv) > 4 else 20_000
VERSIONS = int(sys.argv[5]) if len(sys.argv) > 5 else 5
READS = int(sys.argv[6]) if len(sys.argv) > 6 else 20_000
FEATURES = [f"f{i}" for i in range(10)]
host = urllib.parse.urlparse(url)

kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench",
          config=Config(s3={"addressing_style": "path"}))
sm, s3 = boto3.client("sagemaker", **kw), boto3.client("s3", **kw)
bucket = "bench-features"
try:
    s3.create_bucket(Bucket=bucket)
except Exception:  # noqa: BLE001 - exists already
    pass
group = "bench-" + uuid.uuid4().hex[:6]
sm.create_feature_group(
    FeatureGroupName=group, RecordIdentifierFeatureName="id", EventTimeFeatureName="ts",
    FeatureDefinitions=[{"FeatureName": "id", "FeatureType": "String"}, {"FeatureName": "ts", "FeatureType": "Fractional"}]
    + [{"FeatureName": f, "FeatureType": "Fractional"} for f in FEATURES],
    OnlineStoreConfig={"EnableOnlineStore": True}, OfflineStoreConfig={"S3StorageConfig": {"S3Uri": f"s3://{bucket}/offline"}})
while sm.describe_feature_group(FeatureGroupName=group)["FeatureGroupStatus"] == "Creating":
    time.sleep(0.1)

rng = np.random.default_rng(7)
t0 = 1_700_000_000.0
ids = np.repeat(np.arange(IDS), VERSIONS)
times = t0 + np.tile(np.arange(VERSIONS), IDS) * 3600.0 + rng.uniform(0, 3000, IDS * VERSIONS)
values = rng.normal(size=(IDS * VERSIONS, len(FEATURES))).round(6)
features = pd.DataFrame({"id": [f"u{i}" for i in ids], "ts": times, **{f: values[:, j] for j, f in enumerate(FEATURES)}})

# PutRecord ingest: every feature row, in sequence over one connection.
conn = http.client.HTTPConnection(host.hostname, host.port)
path = f"/FeatureGroup/{group}"
start = time.perf_counter()
for row in features.itertuples(index=False):
    body = json.dumps({"Record": [{"FeatureName": "id", "ValueAsString": row.id}, {"FeatureName": "ts", "ValueAsString": repr(row.ts)}]
                      + [{"FeatureName": f, "ValueAsString": repr(getattr(row, f))} for f in FEATURES]})
    conn.request("PUT", path, body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    assert response.status == 200, response.status
put_seconds = time.perf_counter() - start

# GetRecord vs Redis HGETALL of the same records (10 features + id + ts as a hash).
r = redis.Redis(port=redis_port)
pipe = r.pipeline()
latest = features.sort_values("ts").groupby("id").tail(1)
for row in latest.itertuples(index=False):
    pipe.hset(f"{group}:{row.id}", mapping={"id": row.id, "ts": repr(row.ts), **{f: repr(getattr(row, f)) for f in FEATURES}})
pipe.execute()
keys = [f"u{random.randrange(IDS)}" for _ in range(READS)]


def timed(call):
    lat = []
    begin = time.perf_counter()
    for key in keys:
        s = time.perf_counter()
        call(key)
        lat.append(time.perf_counter() - s)
    total = time.perf_counter() - begin
    lat.sort()
    return READS / total, lat[int(0.99 * len(lat))] * 1000, statistics.median(lat) * 1000


def get_record(key):
    conn.request("GET", f"{path}?RecordIdentifierValueAsString={key}")
    response = conn.getresponse()
    data = response.read()
    assert response.status == 200 and b"Record" in data


def hgetall(key):
    assert r.hgetall(f"{group}:{key}")


for _ in range(min(1000, READS // 10)):  # warm-up
    get_record(keys[0]), hgetall(keys[0])
kiln_rps, kiln_p99, kiln_p50 = timed(get_record)
redis_rps, redis_p99, redis_p50 = timed(hgetall)

# Point-in-time join: EVENTS events over the same ids and time span.
ev_ids = rng.integers(0, IDS, EVENTS)
events = pd.DataFrame({"id": [f"u{i}" for i in ev_ids], "event_time": t0 + rng.uniform(-1800, VERSIONS * 3600.0, EVENTS).round(3),
                       "label": rng.integers(0, 2, EVENTS)})
buffer = io.StringIO()
events.to_csv(buffer, index=False)
s3.put_object(Bucket=bucket, Key=f"{group}/events.csv", Body=buffer.getvalue().encode())
time.sleep(2)  # the offline store flushes every second

start = time.perf_counter()
conn.request("POST", "/api/kiln/feature-store/datasets", json.dumps({
    "events": f"s3://{bucket}/{group}/events.csv", "event_time_column": "event_time", "record_id_column": "id",
    "feature_groups": [group], "output": f"s3://{bucket}/{group}/dataset/", "format": "parquet"}), {"Content-Type": "application/json"})
response = conn.getresponse()
built = json.loads(response.read())
kiln_join = time.perf_counter() - start
assert response.status == 201 and built["rows"] == EVENTS, built

start = time.perf_counter()
left = events.sort_values("event_time")
right = features.sort_values("ts")
joined = pd.merge_asof(left, right, left_on="event_time", right_on="ts", by="id", direction="backward", allow_exact_matches=True)
pandas_join = time.perf_counter() - start
assert len(joined) == EVENTS

print(f"| measure | Kiln | reference | Kiln / reference |")
print(f"| --- | --- | --- | --- |")
print(f"| GetRecord vs Redis HGETALL, requests/s (1 connection, {READS:,} reads) | {kiln_rps:,.0f} | {redis_rps:,.0f} | {kiln_rps / redis_rps:.2f} |")
print(f"| GetRecord vs Redis HGETALL, p50 ms | {kiln_p50:.3f} | {redis_p50:.3f} | {kiln_p50 / redis_p50:.1f} |")
print(f"| GetRecord vs Redis HGETALL, p99 ms | {kiln_p99:.3f} | {redis_p99:.3f} | {kiln_p99 / redis_p99:.1f} |")
print(f"| PutRecord ingest, records/s (1 connection, {len(features):,} records) | {len(features) / put_seconds:,.0f} | | |")
print(f"| point-in-time join, {EVENTS:,} events x 10 features over {len(features):,} feature rows, s | {kiln_join:.2f} | {pandas_join:.2f} (pandas merge_asof) | {kiln_join / pandas_join:.2f} |")
