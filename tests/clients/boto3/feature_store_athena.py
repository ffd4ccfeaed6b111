"""Athena over Kiln's feature store offline store (DuckDB underneath), as the SageMaker SDK's athena_query() uses it:
start a query on the group's DataCatalogConfig table, wait, read the CSV from the output location; plus GetQueryResults
paging, StopQueryExecution, ListQueryExecutions and Athena's errors."""
import csv
import io
import time
import uuid

import botocore.exceptions

from kiln_boto import client, main
from sagemaker_feature_store import create_group, ensure_bucket, error_of, record

RESULTS = "kiln-athena-results"


def clients(endpoint):
    return client("sagemaker", endpoint), client("sagemaker-featurestore-runtime", endpoint), client("s3", endpoint), client("athena", endpoint)


def results_bucket(s3):
    try:
        s3.create_bucket(Bucket=RESULTS)
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise


def wait(athena, qid):
    for _ in range(600):
        execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if execution["Status"]["State"] not in ("QUEUED", "RUNNING"):
            return execution
        time.sleep(0.05)
    raise AssertionError(f"query {qid} did not finish")


def group_with_rows(sm, fs, s3):
    name = create_group(sm, s3)
    fs.put_record(FeatureGroupName=name, Record=record("c1", 1700000000, age=40, spend=12.5, city="Lyon"))
    fs.put_record(FeatureGroupName=name, Record=record("c1", 1699990000, age=39, spend=3.25, city="Lyon"))  # older: offline only
    fs.put_record(FeatureGroupName=name, Record=record("c2", 1700003600, age=31, city='Oslo, "N"'))
    fs.put_record(FeatureGroupName=name, Record=record("c3", 1700007200, age=22, spend=1.0, city="Rome"))
    fs.delete_record(FeatureGroupName=name, RecordIdentifierValueAsString="c3", EventTime="1700007300")
    return name, sm.describe_feature_group(FeatureGroupName=name)["OfflineStoreConfig"]["DataCatalogConfig"]


def test_athena_query_as_the_sdk_runs_it(endpoint):
    sm, fs, s3, athena = clients(endpoint)
    results_bucket(s3)
    name, catalog = group_with_rows(sm, fs, s3)
    table = catalog["TableName"]
    output = f"s3://{RESULTS}/queries/{uuid.uuid4().hex[:6]}/"
    qid = athena.start_query_execution(
        QueryString=f'SELECT customer_id, event_time, age, spend, city, is_deleted, write_time FROM "{table}" ORDER BY customer_id, event_time',
        QueryExecutionContext={"Catalog": catalog["Catalog"], "Database": catalog["Database"]},
        ResultConfiguration={"OutputLocation": output})["QueryExecutionId"]
    execution = wait(athena, qid)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert execution["ResultConfiguration"]["OutputLocation"] == output + qid + ".csv", execution
    assert execution["QueryExecutionContext"] == {"Catalog": catalog["Catalog"], "Database": catalog["Database"]}, execution
    assert execution["Statistics"]["DataScannedInBytes"] > 0 and execution["Status"]["CompletionDateTime"] >= execution["Status"]["SubmissionDateTime"], execution
    assert execution["WorkGroup"] == "primary"

    # The CSV the SDK's as_dataframe() downloads: <output>/<id>.csv, header first, every put and the delete marker.
    body = s3.get_object(Bucket=RESULTS, Key=output[len(f"s3://{RESULTS}/"):] + qid + ".csv")["Body"].read().decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["customer_id", "event_time", "age", "spend", "city", "is_deleted", "write_time"], rows[0]
    data = [r[:6] for r in rows[1:]]
    assert data == [
        ["c1", "1699990000", "39", "3.25", "Lyon", "false"],
        ["c1", "1700000000", "40", "12.5", "Lyon", "false"],
        ["c2", "1700003600", "31", "", 'Oslo, "N"', "false"],
        ["c3", "1700007200", "22", "1", "Rome", "false"],
        ["c3", "1700007300", "", "", "", "true"],
    ], data
    assert all(len(r[6]) == len("2023-11-14 22:13:20.000") for r in rows[1:]), rows
    assert '""' in body.splitlines()[3] and ',,' in body.splitlines()[3], body  # quoted values, NULL as nothing

    # GetQueryResults: pages of 2, the header row first (as Athena returns for SELECT), types in Athena's names.
    pages, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        page = athena.get_query_results(QueryExecutionId=qid, MaxResults=2, **kw)
        pages.append(page)
        token = page.get("NextToken")
        if not token:
            break
    assert len(pages) == 3, [len(p["ResultSet"]["Rows"]) for p in pages]
    all_rows = [[d.get("VarCharValue") for d in r["Data"]] for p in pages for r in p["ResultSet"]["Rows"]]
    assert all_rows[0] == rows[0], all_rows[0]
    assert all_rows[3][:6] == ["c2", "1700003600", "31", None, 'Oslo, "N"', "false"], all_rows[3]
    assert len(all_rows) == 6
    types = {c["Name"]: c["Type"] for c in pages[0]["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]}
    assert types == {"customer_id": "varchar", "event_time": "double", "age": "bigint", "spend": "double", "city": "varchar",
                     "is_deleted": "boolean", "write_time": "timestamp"}, types

    # Fully qualified names, hive partition columns and aggregation work too.
    qid2 = athena.start_query_execution(
        QueryString=f'SELECT hour, count(*) AS n FROM "{catalog["Catalog"]}"."{catalog["Database"]}"."{table}" WHERE NOT is_deleted GROUP BY hour ORDER BY hour',
        ResultConfiguration={"OutputLocation": output})["QueryExecutionId"]
    assert wait(athena, qid2)["Status"]["State"] == "SUCCEEDED"
    got = [[d["VarCharValue"] for d in r["Data"]] for r in athena.get_query_results(QueryExecutionId=qid2)["ResultSet"]["Rows"]]
    assert got == [["hour", "n"], ["21", "1"], ["22", "1"], ["23", "1"], ["0", "1"]] or got[0] == ["hour", "n"] and sum(int(r[1]) for r in got[1:]) == 4, got

    # A put made just before the query is visible (buffered rows are flushed first).
    fs.put_record(FeatureGroupName=name, Record=record("c9", 1700009999, age=9))
    qid3 = athena.start_query_execution(QueryString=f'SELECT age FROM "{table}" WHERE customer_id = \'c9\'',
                                        QueryExecutionContext={"Database": catalog["Database"]}, ResultConfiguration={"OutputLocation": output})["QueryExecutionId"]
    assert wait(athena, qid3)["Status"]["State"] == "SUCCEEDED"
    assert [[d["VarCharValue"] for d in r["Data"]] for r in athena.get_query_results(QueryExecutionId=qid3)["ResultSet"]["Rows"]] == [["age"], ["9"]]

    listed = athena.list_query_executions()["QueryExecutionIds"]
    assert qid in listed and qid2 in listed and qid3 in listed, listed
    assert listed.index(qid3) < listed.index(qid), listed  # newest first
    page = athena.list_query_executions(MaxResults=1)
    assert len(page["QueryExecutionIds"]) == 1 and page["NextToken"], page


def test_athena_empty_group_and_idempotency(endpoint):
    sm, _, s3, athena = clients(endpoint)
    results_bucket(s3)
    name = create_group(sm, s3)
    catalog = sm.describe_feature_group(FeatureGroupName=name)["OfflineStoreConfig"]["DataCatalogConfig"]
    token = uuid.uuid4().hex
    kw = dict(QueryString=f'SELECT count(*) AS n, max(age) AS a FROM "{catalog["TableName"]}"', ClientRequestToken=token,
              QueryExecutionContext={"Database": "sagemaker_featurestore"}, ResultConfiguration={"OutputLocation": f"s3://{RESULTS}/empty/"})
    qid = athena.start_query_execution(**kw)["QueryExecutionId"]
    assert athena.start_query_execution(**kw)["QueryExecutionId"] == qid
    code, message, status = error_of(athena.start_query_execution, **{**kw, "QueryString": "SELECT 2"})
    assert code == "InvalidRequestException" and status == 400, (code, message)
    assert wait(athena, qid)["Status"]["State"] == "SUCCEEDED"
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    assert [[d.get("VarCharValue") for d in r["Data"]] for r in rows] == [["n", "a"], ["0", None]], rows


def test_athena_failures_and_errors(endpoint):
    _, _, s3, athena = clients(endpoint)
    results_bucket(s3)
    out = {"OutputLocation": f"s3://{RESULTS}/errors/"}

    # Bad SQL is accepted, then FAILED with the engine's reason; its results cannot be read.
    qid = athena.start_query_execution(QueryString="SELEC nonsense FROM", ResultConfiguration=out)["QueryExecutionId"]
    execution = wait(athena, qid)
    assert execution["Status"]["State"] == "FAILED" and "syntax error" in execution["Status"]["StateChangeReason"].lower(), execution["Status"]
    assert execution["Status"]["AthenaError"]["ErrorCategory"] == 2, execution["Status"]
    code, message, status = error_of(athena.get_query_results, QueryExecutionId=qid)
    assert code == "InvalidRequestException" and status == 400 and "FAILED" in message, (code, message)

    # An unknown table, an unknown database.
    execution = wait(athena, athena.start_query_execution(QueryString='SELECT * FROM "no_such_table_1"', ResultConfiguration=out)["QueryExecutionId"])
    assert execution["Status"]["State"] == "FAILED" and "no_such_table_1" in execution["Status"]["StateChangeReason"], execution["Status"]
    execution = wait(athena, athena.start_query_execution(QueryString="SELECT 1", QueryExecutionContext={"Database": "nope"}, ResultConfiguration=out)["QueryExecutionId"])
    assert execution["Status"]["State"] == "FAILED" and "nope" in execution["Status"]["StateChangeReason"], execution["Status"]

    # The engine reads nothing but the offline store: local files and COPY are refused.
    for sql in ["SELECT * FROM read_csv('/etc/passwd')", "COPY (SELECT 1) TO '/tmp/kiln-athena-escape.csv'", "SET enable_external_access = true"]:
        execution = wait(athena, athena.start_query_execution(QueryString=sql, ResultConfiguration=out)["QueryExecutionId"])
        assert execution["Status"]["State"] == "FAILED", (sql, execution["Status"])

    # An output bucket that does not exist fails the query.
    execution = wait(athena, athena.start_query_execution(QueryString="SELECT 1", ResultConfiguration={"OutputLocation": "s3://no-such-bucket-kiln/x/"})["QueryExecutionId"])
    assert execution["Status"]["State"] == "FAILED" and "bucket" in execution["Status"]["StateChangeReason"], execution["Status"]

    # Invalid requests: InvalidRequestException, nothing started.
    before = len(athena.list_query_executions(MaxResults=50)["QueryExecutionIds"])
    for kw, needle in [({"QueryString": "SELECT 1"}, "output location"),
                       ({"QueryString": "SELECT 1", "ResultConfiguration": {"OutputLocation": "/tmp/x"}}, "S3"),
                       ({"QueryString": "SELECT 1", "ResultConfiguration": out, "WorkGroup": "other"}, "other")]:
        code, message, status = error_of(athena.start_query_execution, **kw)
        assert code == "InvalidRequestException" and status == 400 and needle in message, (kw, code, message)
    assert len(athena.list_query_executions(MaxResults=50)["QueryExecutionIds"]) == before
    for call in (athena.get_query_execution, athena.get_query_results, athena.stop_query_execution):
        code, message, status = error_of(call, QueryExecutionId="00000000-0000-0000-0000-000000000000")
        assert code == "InvalidRequestException" and status == 400 and "was not found" in message, (call, code, message)
    ok = athena.start_query_execution(QueryString="SELECT 1 AS one", ResultConfiguration=out)["QueryExecutionId"]
    wait(athena, ok)
    code, message, _ = error_of(athena.get_query_results, QueryExecutionId=ok, NextToken="not-a-token")
    assert code == "InvalidRequestException", (code, message)


def test_athena_stop(endpoint):
    _, _, s3, athena = clients(endpoint)
    results_bucket(s3)
    qid = athena.start_query_execution(QueryString="SELECT sum(hash(i)) FROM range(100000000000) t(i)",
                                       ResultConfiguration={"OutputLocation": f"s3://{RESULTS}/stop/"})["QueryExecutionId"]
    for _ in range(100):
        if athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] == "RUNNING":
            break
        time.sleep(0.05)
    athena.stop_query_execution(QueryExecutionId=qid)
    execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
    assert execution["Status"]["State"] == "CANCELLED", execution["Status"]
    code, message, _ = error_of(athena.get_query_results, QueryExecutionId=qid)
    assert code == "InvalidRequestException" and "CANCELLED" in message, message
    # Stopping a finished query leaves it as it is.
    athena.stop_query_execution(QueryExecutionId=qid)
    assert athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] == "CANCELLED"
    # The engine really stops: the next queries run (2 slots; a stuck one would hold one of them).
    for _ in range(3):
        q = athena.start_query_execution(QueryString="SELECT 42 AS x", ResultConfiguration={"OutputLocation": f"s3://{RESULTS}/stop/"})["QueryExecutionId"]
        assert wait(athena, q)["Status"]["State"] == "SUCCEEDED"


if __name__ == "__main__":
    main({name: fn for name, fn in globals().items() if name.startswith("test_")})
