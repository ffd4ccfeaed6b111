"""`kiln features ingest --from redis://…/stream`: Redis Streams into a feature group through a consumer group.
Run as: python3 feature_store_ingest.py <endpoint> <test> <kiln.dll> <redis port>. Redis is driven with redis-cli
(shipped with redis-server), the CLI as a user runs it, the offline store counted through Athena (DuckDB)."""
import json
import subprocess
import sys
import uuid

from feature_store_athena import clients, results_bucket, wait
from kiln_boto import main
from sagemaker_feature_store import as_dict, create_group, record

T0 = 1700000000


def redis_cli(port, *args):
    out = subprocess.run(["redis-cli", "-p", str(port), *map(str, args)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and not out.stdout.startswith("ERR"), out
    return out.stdout


def xadd(port, stream, fields):
    flat = [x for pair in fields.items() for x in pair]
    redis_cli(port, "XADD", stream, "*", *flat)


def ingest(endpoint, dll, port, stream, group, consumer):
    run = subprocess.run(["dotnet", "exec", dll, "features", "ingest", "--from", f"redis://127.0.0.1:{port}/{stream}", "--feature-group", group,
                          "--consumer", consumer, "--until-caught-up", "--json", "--url", endpoint], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, (run.stdout, run.stderr)
    return json.loads(run.stdout), run.stderr


def good(i):
    return {"customer_id": f"c{i}", "event_time": T0 + i, "age": 20 + i, "spend": f"{i}.5", "city": f"city{i}"}


def offline_rows(athena, s3, name, table):
    results_bucket(s3)
    qid = athena.start_query_execution(
        QueryString=f'SELECT customer_id, event_time, age, city FROM "{table}" ORDER BY event_time',
        QueryExecutionContext={"Catalog": "AwsDataCatalog", "Database": "sagemaker_featurestore"},
        ResultConfiguration={"OutputLocation": f"s3://kiln-athena-results/ingest/{uuid.uuid4().hex[:6]}/"})["QueryExecutionId"]
    execution = wait(athena, qid)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    rows = []
    token = None
    while True:
        page = athena.get_query_results(QueryExecutionId=qid, **({"NextToken": token} if token else {}))
        rows += [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
        token = page.get("NextToken")
        if not token:
            return rows[1:]


def test_ingest_resumes_without_loss_or_duplicates(endpoint):
    dll, port = sys.argv[3], int(sys.argv[4])
    sm, fs, s3, athena = clients(endpoint)
    name = create_group(sm, s3)
    table = sm.describe_feature_group(FeatureGroupName=name)["OfflineStoreConfig"]["DataCatalogConfig"]["TableName"]
    stream, consumer = f"events-{uuid.uuid4().hex[:6]}", "worker-1"

    for i in range(30):
        xadd(port, stream, good(i))
        if i == 10:
            xadd(port, stream, {"customer_id": "bad1", "event_time": T0, "colour": "red"})      # unknown feature
        if i == 20:
            xadd(port, stream, {"customer_id": "bad2", "event_time": T0, "age": "old"})         # not an Integral

    # A previous run that stopped: it read the first 5 entries and never acknowledged them; it had put the first one.
    redis_cli(port, "XGROUP", "CREATE", stream, f"kiln-{name}", "0")
    redis_cli(port, "XREADGROUP", "GROUP", f"kiln-{name}", consumer, "COUNT", "5", "STREAMS", stream, ">")
    fs.put_record(FeatureGroupName=name, Record=record("c0", T0, age=20, spend="0.5", city="city0"))

    report, log = ingest(endpoint, dll, port, stream, name, consumer)
    assert report == {"ingested": 29, "already_stored": 1, "dead_lettered": 2}, (report, log)
    assert "ValidationError" in log, log

    # More entries later: the next run takes only those.
    for i in range(30, 40):
        xadd(port, stream, good(i))
    report, _ = ingest(endpoint, dll, port, stream, name, consumer)
    assert report == {"ingested": 10, "already_stored": 0, "dead_lettered": 0}, report
    report, _ = ingest(endpoint, dll, port, stream, name, consumer)
    assert report == {"ingested": 0, "already_stored": 0, "dead_lettered": 0}, report
    pending = redis_cli(port, "XPENDING", stream, f"kiln-{name}")
    assert pending.splitlines()[0] == "0", pending

    # Refused entries are in the dead-letter stream with the reason and the original fields.
    dead = subprocess.run(["redis-cli", "-p", str(port), "XRANGE", f"{stream}:dead-letter", "-", "+"], capture_output=True, text=True).stdout.splitlines()
    fields = [json.loads(line) for line in dead if line.startswith("{")]
    assert sorted(f["customer_id"] for f in fields) == ["bad1", "bad2"], dead
    assert dead.count("error_code") == 2 and "ValidationError" in dead, dead

    # Online: the latest record per customer. Offline: every record exactly once.
    assert as_dict(fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="c37")["Record"]) == {k: str(v) for k, v in good(37).items()}
    assert "Record" not in fs.get_record(FeatureGroupName=name, RecordIdentifierValueAsString="bad1")
    rows = offline_rows(athena, s3, name, table)
    assert [r[0] for r in rows] == [f"c{i}" for i in range(40)], rows
    assert [r[3] for r in rows] == [f"city{i}" for i in range(40)], rows


if __name__ == "__main__":
    main({name: fn for name, fn in globals().items() if name.startswith("test_")})
