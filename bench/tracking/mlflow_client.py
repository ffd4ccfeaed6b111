"""The tracking workload through MLflow's own Python client (MlflowClient), against several servers in turn.

What a user feels: the same calls a training script makes, so the client's own overhead (entities, protobuf,
requests) is in every timing. The servers take turns within each repetition (the order alternates), the first
repetition is a discarded warm-up, and each scenario reports its median over the rest.

Usage: python3 mlflow_client.py <repetitions> <count> <out.json> name=url [name=url ...]
"""
import json
import os
import statistics
import sys
import tempfile
import time
import uuid

import mlflow
from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

SCENARIOS = [
    "10,000 metric points via 10 x log_batch(1000)",
    "{runs} single log_metric calls",
    "{runs} runs created with one log_batch each",
    "search_runs over {runs}+1 runs (median of 5)",
    "{runs} get_run calls",
    "5 x log_artifact (1 MiB) + 5 x download_artifacts",
]


def timed(work):
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def workload(client, url, runs, scratch):
    # Artifact repositories for mlflow-artifacts:/ URIs resolve the server from the global tracking URI.
    mlflow.set_tracking_uri(url)
    now = int(time.time() * 1000)
    experiment = client.create_experiment(f"bench-{uuid.uuid4().hex}")
    run_id = client.create_run(experiment).info.run_id
    times = []

    def batches():
        for b in range(10):
            client.log_batch(run_id, metrics=[Metric(f"m{i % 10}", i * 0.001, now + i, b * 1000 + i) for i in range(1000)])

    times.append(timed(batches))

    def singles():
        for i in range(runs):
            client.log_metric(run_id, "single", i * 0.5, timestamp=now + i, step=i)

    times.append(timed(singles))

    search_experiment = client.create_experiment(f"bench-runs-{uuid.uuid4().hex}")
    created = []

    def create_runs():
        for r in range(runs):
            run = client.create_run(search_experiment).info.run_id
            created.append(run)
            client.log_batch(
                run,
                metrics=[Metric(f"metric_{i}", r * 0.001 + i, now, 0) for i in range(5)],
                params=[Param(f"param_{i}", str(r % (i + 2))) for i in range(5)],
                tags=[RunTag("bench", "yes")],
            )

    times.append(timed(create_runs))
    client.create_run(search_experiment)

    def search():
        found = client.search_runs([search_experiment], max_results=runs)
        if len(found) != runs:
            raise RuntimeError(f"search returned {len(found)} runs, expected {runs}")

    times.append(statistics.median(timed(search) for _ in range(5)))

    def get_runs():
        for i in range(runs):
            run = client.get_run(created[i])
            if len(run.data.params) != 5:
                raise RuntimeError("get_run did not return the run's five params")

    times.append(timed(get_runs))

    payload = os.path.join(scratch, "payload.bin")
    with open(payload, "wb") as f:
        f.write(os.urandom(1 << 20))

    def artifacts():
        for i in range(5):
            client.log_artifact(run_id, payload, artifact_path=f"blob{i}")
        for i in range(5):
            target = tempfile.mkdtemp(dir=scratch)
            path = client.download_artifacts(run_id, f"blob{i}/payload.bin", target)
            if os.path.getsize(path) != 1 << 20:
                raise RuntimeError("downloaded artifact has the wrong size")

    times.append(timed(artifacts))
    return times


def main():
    repetitions, runs, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    servers = [arg.split("=", 1) for arg in sys.argv[4:]]
    urls = dict(servers)
    clients = {name: MlflowClient(tracking_uri=url) for name, url in servers}
    names = [name for name, _ in servers]
    results = {name: [[] for _ in SCENARIOS] for name in names}
    with tempfile.TemporaryDirectory() as scratch:
        for repetition in range(repetitions + 1):
            order = names if repetition % 2 == 0 else list(reversed(names))
            for name in order:
                times = workload(clients[name], urls[name], runs, scratch)
                print(f"repetition {repetition}{' (warm-up)' if repetition == 0 else ''} {name}: "
                      + " ".join(f"{t:.3f}" for t in times), file=sys.stderr, flush=True)
                if repetition > 0:
                    for scenario, t in zip(results[name], times):
                        scenario.append(t)

    base = names[0]
    header = " | ".join(f"{n} median of {repetitions} (s)" for n in names)
    ratios = " | ".join(f"{n} / {base}" for n in names[1:])
    print(f"| scenario (MlflowClient) | {header} | {ratios} |")
    print("|---|" + "---:|" * (2 * len(names) - 1))
    report = []
    for index, template in enumerate(SCENARIOS):
        label = template.format(runs=f"{runs:,}")
        medians = {n: statistics.median(results[n][index]) for n in names}
        cells = " | ".join(f"{medians[n]:.3f}" for n in names)
        factors = " | ".join(f"{medians[n] / medians[base]:.1f}x" for n in names[1:])
        print(f"| {label} | {cells} | {factors} |")
        report.append({"scenario": label, "median_seconds": medians,
                       "all_seconds": {n: results[n][index] for n in names}})
    with open(out, "w") as f:
        json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
