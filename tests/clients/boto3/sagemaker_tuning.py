"""Hyperparameter tuning through boto3: Bayesian search with early stopping, grid, random with a stop, Hyperband, warm start."""
import json
import time
import urllib.request
import uuid

import botocore.exceptions

from kiln_boto import client, main
from sagemaker_training import ROLE, XGBOOST, channel, upload_breast_cancer

BUCKET = "kiln-tuning"


def definition(prefix, static=None, ranges=None, channels=None):
    return {
        "StaticHyperParameters": static or {"objective": "binary:logistic", "num_round": "100"},
        "AlgorithmSpecification": {"TrainingImage": XGBOOST, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "InputDataConfig": channels if channels is not None else [channel("train", f"{prefix}/train/"), channel("validation", f"{prefix}/validation/")],
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        **({"HyperParameterRanges": ranges} if ranges else {}),
    }


RANGES = {
    "ContinuousParameterRanges": [
        {"Name": "eta", "MinValue": "0.00001", "MaxValue": "0.5", "ScalingType": "Logarithmic"},
        {"Name": "min_child_weight", "MinValue": "1", "MaxValue": "10", "ScalingType": "Linear"},
    ],
    "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "8", "ScalingType": "Linear"}],
}


def config(strategy, jobs, parallel, ranges=RANGES, early="Off", metric="validation:logloss", kind="Minimize", **extra):
    return {"Strategy": strategy, "HyperParameterTuningJobObjective": {"Type": kind, "MetricName": metric},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": jobs, "MaxParallelTrainingJobs": parallel} if jobs else {"MaxParallelTrainingJobs": parallel},
            "ParameterRanges": ranges, "TrainingJobEarlyStoppingType": early, "RandomSeed": 7, **extra}


def wait(sm, name, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        described = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if described["HyperParameterTuningJobStatus"] not in ("InProgress", "Stopping"):
            return described
        time.sleep(0.5)
    raise AssertionError(f"{name} did not finish: {described['HyperParameterTuningJobStatus']}, {described['TrainingJobStatusCounters']}")


def trials(sm, name, **options):
    return sm.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName=name, MaxResults=100, **options)["TrainingJobSummaries"]


def bayesian_job(sm, s3, name):
    prefix = upload_breast_cancer(s3, BUCKET)
    sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=config("Bayesian", 12, 1, early="Auto"),
                                         TrainingJobDefinition=definition(prefix))
    return prefix


def test_bayesian_search_finds_the_best_trial_and_stops_hopeless_ones_early(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    name = "bayes-" + uuid.uuid4().hex[:8]
    bayesian_job(sm, s3, name)
    described = wait(sm, name)
    assert described["HyperParameterTuningJobStatus"] == "Completed", described.get("FailureReason")

    listed = trials(sm, name, SortBy="FinalObjectiveMetricValue", SortOrder="Descending")
    assert len(listed) == 12, len(listed)
    with_objective = [t for t in listed if "FinalHyperParameterTuningJobObjectiveMetric" in t]
    best_value = min(t["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for t in with_objective)
    best = described["BestTrainingJob"]
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == best_value, (best, best_value)
    assert listed[0]["TrainingJobName"] == best["TrainingJobName"], "sorting by objective puts the best first"
    assert best["TrainingJobStatus"] == "Completed"

    counters = described["TrainingJobStatusCounters"]
    assert counters["InProgress"] == 0 and counters["Completed"] + counters["Stopped"] + counters["NonRetryableError"] + counters["RetryableError"] == 12, counters
    objectives = described["ObjectiveStatusCounters"]
    assert objectives["Succeeded"] + objectives["Pending"] + objectives["Failed"] == 12 and objectives["Pending"] == 0, objectives
    assert counters["Stopped"] >= 1, f"early stopping stopped no trial: {counters}"

    stopped = next(t for t in listed if t["TrainingJobStatus"] == "Stopped")
    job = sm.describe_training_job(TrainingJobName=stopped["TrainingJobName"])
    assert "median rule" in job["SecondaryStatusTransitions"][-1]["StatusMessage"], job["SecondaryStatusTransitions"][-1]

    # Each trial ran with the values the search chose, plus the static ones.
    best_job = sm.describe_training_job(TrainingJobName=best["TrainingJobName"])
    for key, value in best["TunedHyperParameters"].items():
        assert best_job["HyperParameters"][key] == value
    assert best_job["HyperParameters"]["num_round"] == "100"
    assert 0.00001 <= float(best["TunedHyperParameters"]["eta"]) <= 0.5 and 2 <= int(best["TunedHyperParameters"]["max_depth"]) <= 8
    assert described["ConsumedResources"]["RuntimeInSeconds"] >= 1

    # The trials are tracked runs, children of the tuning job's run.
    search = json.dumps({"experiment_ids": [experiment_id(endpoint, "training-jobs")], "filter": f"tags.`sagemaker.tuning_job` = '{name}'", "max_results": 100}).encode()
    runs = json.load(urllib.request.urlopen(urllib.request.Request(f"{endpoint}/api/2.0/mlflow/runs/search", data=search, headers={"Content-Type": "application/json"})))["runs"]
    tags = [{t["key"]: t["value"] for t in run["data"]["tags"]} for run in runs]
    parents = [run for run, tag in zip(runs, tags) if "mlflow.parentRunId" not in tag]
    assert len(runs) == 13 and len(parents) == 1, len(runs)
    assert all(tag["mlflow.parentRunId"] == parents[0]["info"]["run_id"] for tag in tags if "mlflow.parentRunId" in tag)

    summaries = sm.list_hyper_parameter_tuning_jobs(NameContains=name)["HyperParameterTuningJobSummaries"]
    assert [s["HyperParameterTuningJobName"] for s in summaries] == [name] and summaries[0]["Strategy"] == "Bayesian"


def experiment_id(endpoint, name):
    return json.load(urllib.request.urlopen(f"{endpoint}/api/2.0/mlflow/experiments/get-by-name?experiment_name={name}"))["experiment"]["experiment_id"]


def test_grid_search_tries_every_combination(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    prefix = upload_breast_cancer(s3, BUCKET)
    name = "grid-" + uuid.uuid4().hex[:8]
    ranges = {"CategoricalParameterRanges": [{"Name": "eta", "Values": ["0.1", "0.3"]}], "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "3", "MaxValue": "4"}]}
    sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=config("Grid", None, 2, ranges=ranges),
                                         TrainingJobDefinition=definition(prefix, static={"objective": "binary:logistic", "num_round": "20"}))
    described = wait(sm, name)
    assert described["HyperParameterTuningJobStatus"] == "Completed", described.get("FailureReason")
    combos = sorted((t["TunedHyperParameters"]["eta"], t["TunedHyperParameters"]["max_depth"]) for t in trials(sm, name))
    assert combos == [("0.1", "3"), ("0.1", "4"), ("0.3", "3"), ("0.3", "4")], combos


def test_stop_ends_the_search_and_its_trials(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    prefix = upload_breast_cancer(s3, BUCKET)
    name = "stop-" + uuid.uuid4().hex[:8]
    sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=config("Random", 40, 2),
                                         TrainingJobDefinition=definition(prefix, static={"objective": "binary:logistic", "num_round": "2000"}))
    deadline = time.time() + 60
    while not trials(sm, name) and time.time() < deadline:
        time.sleep(0.2)
    sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    described = wait(sm, name)
    assert described["HyperParameterTuningJobStatus"] == "Stopped", described["HyperParameterTuningJobStatus"]
    listed = trials(sm, name)
    assert 1 <= len(listed) < 40 and all(t["TrainingJobStatus"] in ("Completed", "Stopped") for t in listed), [t["TrainingJobStatus"] for t in listed]
    expect(lambda: sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name), "ValidationException", "already ended")


def test_hyperband_stops_trials_at_its_rungs(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    prefix = upload_breast_cancer(s3, BUCKET)
    name = "hb-" + uuid.uuid4().hex[:8]
    ranges = {"ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.001", "MaxValue": "0.5", "ScalingType": "Logarithmic"}]}
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig=config("Hyperband", 9, 3, ranges=ranges, StrategyConfig={"HyperbandStrategyConfig": {"MinResource": 5, "MaxResource": 90}}),
        TrainingJobDefinition=definition(prefix, static={"objective": "binary:logistic"}))
    described = wait(sm, name)
    assert described["HyperParameterTuningJobStatus"] == "Completed", described.get("FailureReason")
    listed = trials(sm, name)
    assert len(listed) == 9
    stopped = [t for t in listed if t["TrainingJobStatus"] == "Stopped"]
    assert stopped, "Hyperband stopped no trial"
    job = sm.describe_training_job(TrainingJobName=stopped[0]["TrainingJobName"])
    assert job["HyperParameters"]["num_round"] == "90" and "Hyperband" in job["SecondaryStatusTransitions"][-1]["StatusMessage"]


def test_warm_start_from_a_parent(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    prefix = upload_breast_cancer(s3, BUCKET)
    parent = "parent-" + uuid.uuid4().hex[:8]
    sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=parent, HyperParameterTuningJobConfig=config("Random", 4, 2),
                                         TrainingJobDefinition=definition(prefix, static={"objective": "binary:logistic", "num_round": "30"}))
    assert wait(sm, parent)["HyperParameterTuningJobStatus"] == "Completed"
    child = "child-" + uuid.uuid4().hex[:8]
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=child, HyperParameterTuningJobConfig=config("Bayesian", 3, 1),
        TrainingJobDefinition=definition(prefix, static={"objective": "binary:logistic", "num_round": "30"}),
        WarmStartConfig={"ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": parent}], "WarmStartType": "IdenticalDataAndAlgorithm"})
    described = wait(sm, child)
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert described["WarmStartConfig"]["ParentHyperParameterTuningJobs"] == [{"HyperParameterTuningJobName": parent}]
    assert len(trials(sm, child)) == 3, "warm-start observations do not spend the child's budget"


def expect(call, code, mentioned=None):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == code, e.response
        if mentioned:
            assert mentioned in e.response["Error"]["Message"], (mentioned, e.response["Error"]["Message"])
        return
    raise AssertionError(f"expected {code}")


def test_bad_tuning_requests_are_validation_exceptions_and_create_nothing(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    prefix = upload_breast_cancer(s3, BUCKET)
    names = []

    def create(cfg, definition_=None, **extra):
        name = "bad-" + uuid.uuid4().hex[:8]
        names.append(name)
        return lambda: sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=cfg,
                                                            TrainingJobDefinition=definition_ or definition(prefix), **extra)

    inverted = {"ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.5", "MaxValue": "0.1"}]}
    expect(create(config("Bayesian", 4, 1, ranges=inverted)), "ValidationException", "greater than MaxValue")
    unknown = {"ContinuousParameterRanges": [{"Name": "learning_speed", "MinValue": "0.1", "MaxValue": "0.5"}]}
    expect(create(config("Bayesian", 4, 1, ranges=unknown)), "ValidationException", "learning_speed")
    out_of_bounds = {"ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.1", "MaxValue": "3"}]}
    expect(create(config("Bayesian", 4, 1, ranges=out_of_bounds)), "ValidationException", "eta")
    expect(create(config("Bayesian", 4, 1, metric="validation:accuracy_score")), "ValidationException", "not one this algorithm emits")
    expect(create(config("Bayesian", 4, 1), definition(prefix, channels=[channel("train", f"{prefix}/train/")])), "ValidationException", "validation")
    not_a_number = {"IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "two", "MaxValue": "8"}]}
    expect(create(config("Bayesian", 4, 1, ranges=not_a_number)), "ValidationException", "not an integer")
    log_of_zero = {"ContinuousParameterRanges": [{"Name": "alpha", "MinValue": "0", "MaxValue": "1", "ScalingType": "Logarithmic"}]}
    expect(create(config("Bayesian", 4, 1, ranges=log_of_zero)), "ValidationException", "greater than 0")
    reverse_log_integer = {"IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "8", "ScalingType": "ReverseLogarithmic"}]}
    expect(create(config("Bayesian", 4, 1, ranges=reverse_log_integer)), "ValidationException", "continuous ranges")
    expect(create(config("Grid", None, 1)), "ValidationException", "continuous")
    expect(create(config("Bayesian", 4000, 1)), "ResourceLimitExceeded")
    expect(create(config("Hyperband", 4, 1, early="Auto")), "ValidationException", "Off")
    expect(lambda: sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="no-such-tuning"), "ResourceNotFound")
    for name in names:
        expect(lambda: sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name), "ResourceNotFound")

    name = "dup-" + uuid.uuid4().hex[:8]
    sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=config("Random", 1, 1),
                                         TrainingJobDefinition=definition(prefix, static={"objective": "binary:logistic", "num_round": "5"}))
    expect(lambda: sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=config("Random", 1, 1),
                                                        TrainingJobDefinition=definition(prefix)), "ResourceInUse")
    assert wait(sm, name)["HyperParameterTuningJobStatus"] == "Completed"


if __name__ == "__main__":
    main({name: fn for name, fn in globals().items() if name.startswith("test_")})
