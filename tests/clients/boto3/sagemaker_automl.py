"""AutoML through boto3: tabular and text jobs end to end (train, rank, report, deploy, predict), v1 and v2, stop, bad input."""
import ast
import csv
import io
import json
import os
import random
import re
import time
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ElementTree

import botocore.exceptions

from kiln_boto import client, main
from sagemaker_training import DATA, ROLE

BUCKET = "kiln-automl"


def read(name):
    with open(os.path.join(DATA, name), newline="") as f:
        return list(csv.reader(f))


def write(header, rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def stratified_split(rows, target, fraction, seed):
    """Holds out `fraction` of each class: these rows never reach Kiln until the deployed model is asked about them."""
    random.seed(seed)
    by_class = {}
    for row in rows:
        by_class.setdefault(row[target], []).append(row)
    kept, held = [], []
    for label in sorted(by_class):
        group = by_class[label]
        random.shuffle(group)
        cut = round(len(group) * fraction)
        held += group[:cut]
        kept += group[cut:]
    return kept, held


def put(s3, key, body):
    try:
        s3.create_bucket(Bucket=BUCKET)
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())
    return f"s3://{BUCKET}/{key}"


def channel(uri, kind="training"):
    return {"ChannelType": kind, "ContentType": "text/csv;header=present", "CompressionType": "None",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}}}


def wait(sm, name, timeout):
    deadline = time.time() + timeout
    seen = []
    while True:
        described = sm.describe_auto_ml_job_v2(AutoMLJobName=name)
        if not seen or seen[-1] != described["AutoMLJobSecondaryStatus"]:
            seen.append(described["AutoMLJobSecondaryStatus"])
        if described["AutoMLJobStatus"] not in ("InProgress", "Stopping"):
            return described, seen
        assert time.time() < deadline, f"{name} still {described['AutoMLJobStatus']}/{described['AutoMLJobSecondaryStatus']} after {timeout} s"
        time.sleep(0.5)


def s3_text(s3, uri):
    bucket, key = re.match(r"s3://([^/]+)/(.*)", uri).groups()
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def assert_well_formed_report(s3, uri, must_contain, plots=True):
    page = s3_text(s3, uri)
    assert page.startswith("<!DOCTYPE html>"), page[:80]
    root = ElementTree.fromstring(page[page.index("<html"):])  # raises on anything that is not well-formed
    text = "".join(root.itertext())
    for expected in must_contain:
        assert expected in text, f"{uri} does not mention {expected!r}"
    assert not plots or root.findall(".//{http://www.w3.org/2000/svg}svg"), f"{uri} has no plots"
    return text


def deploy(sm, name, candidate):
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, Containers=candidate["InferenceContainers"])
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large", "InitialVariantWeight": 1}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})


def predicted_labels(runtime, endpoint, body, content_type):
    response = runtime.invoke_endpoint(EndpointName=endpoint, ContentType=content_type, Accept="application/json", Body=body)
    return [p["predicted_label"] for p in json.loads(response["Body"].read())["predictions"]]


def breast_cancer_job(sm, s3, seed):
    """One AutoML job on 80 % of breast-cancer (stratified, seeded); returns the job, its candidates, the held-out rows and the seconds it took."""
    rows = read("breast_cancer.csv")
    header, rows = rows[0], rows[1:]
    target = header.index("diagnosis")
    kept, held = stratified_split(rows, target, 0.2, seed=seed)
    uri = put(s3, f"breast-cancer/automl-{seed}/train.csv", write(header, kept))
    name = f"bc{seed}-{uuid.uuid4().hex[:8]}"
    started = time.time()
    sm.create_auto_ml_job_v2(
        AutoMLJobName=name, RoleArn=ROLE, AutoMLJobInputDataConfig=[channel(uri)],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        AutoMLProblemTypeConfig={"TabularJobConfig": {"TargetAttributeName": "diagnosis", "CompletionCriteria": {"MaxCandidates": 12}}},
        AutoMLJobObjective={"MetricName": "Accuracy"})
    described, statuses = wait(sm, name, timeout=180)
    elapsed = time.time() - started
    assert described["AutoMLJobStatus"] == "Completed", described.get("FailureReason")
    candidates = sm.list_candidates_for_auto_ml_job(AutoMLJobName=name, SortBy="FinalObjectiveMetricValue", MaxResults=100)["Candidates"]
    return described, statuses, candidates, header, held, elapsed


def held_out_accuracy(sm, runtime, described, header, held):
    """Deploys the best candidate from its inference containers and classifies the rows the job never saw."""
    target = header.index("diagnosis")
    endpoint_name = f"{described['AutoMLJobName']}-best"
    deploy(sm, endpoint_name, described["BestCandidate"])
    features = [[cell for i, cell in enumerate(row) if i != target] for row in held]
    labels = predicted_labels(runtime, endpoint_name, "\n".join(",".join(row) for row in features), "text/csv")
    return sum(label == row[target] for label, row in zip(labels, held)) / len(held)


def test_breast_cancer_tabular_jobs_reach_97_percent_on_held_out_rows_within_3_minutes(endpoint):
    """Ten held-out splits (seeds 0-9), because on 114 rows one split moves accuracy by ±2 %: scikit-learn's logistic
    regression scores 95.6-99.1 % on these ten, 97.6 % on average. The mean must reach 97 %; every job must finish within 3 minutes."""
    sm, s3, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-runtime", endpoint)
    described, statuses, candidates, header, held, elapsed = breast_cancer_job(sm, s3, seed=0)
    name = described["AutoMLJobName"]
    assert elapsed < 180, elapsed
    assert described["AutoMLJobSecondaryStatus"] in ("Completed", "MaxCandidatesReached"), described["AutoMLJobSecondaryStatus"]
    assert set(statuses) & {"AnalyzingData", "FeatureEngineering", "ModelTuning"}, statuses
    assert described["ResolvedAttributes"]["AutoMLProblemTypeResolvedAttributes"]["TabularResolvedAttributes"]["ProblemType"] == "BinaryClassification"
    assert described["ResolvedAttributes"]["AutoMLJobObjective"]["MetricName"] == "Accuracy"

    # Candidates: tuned trials of several pipelines (and, in AUTO mode, an ensemble of the best), each scored the same way.
    trained = [c for c in candidates if c["CandidateStatus"] == "Completed"]
    assert len(trained) >= 8, [(c["CandidateName"], c["CandidateStatus"], c.get("FailureReason")) for c in candidates]
    values = [c["FinalAutoMLJobObjectiveMetric"]["Value"] for c in trained]
    assert values == sorted(values, reverse=True), values
    # The best is chosen by the one-standard-error rule: within a standard error of the top accuracy on the validation rows
    # (a fifth of the 455 training rows), the least flexible model. Two binomial standard errors bound it.
    best = described["BestCandidate"]
    top, validation_rows = max(values), round(0.2 * (len(read("breast_cancer.csv")) - 1 - len(held)))
    assert best["CandidateName"] in [c["CandidateName"] for c in trained]
    assert best["FinalAutoMLJobObjectiveMetric"]["Value"] >= top - 2 * (top * (1 - top) / validation_rows) ** 0.5 - 1e-9, (best, values)
    # What deploys is the best candidate retrained on every row (training and validation) with its hyperparameters.
    served = best["InferenceContainers"][0]["ModelDataUrl"]
    assert "refit" in served, served
    if best["CandidateName"].endswith("-ensemble"):
        refits = [f"{step['CandidateStepName']}-refit" for step in best["CandidateSteps"]]
    else:
        refits = [f"{best['CandidateName']}-refit"]
        assert served == sm.describe_training_job(TrainingJobName=refits[0])["ModelArtifacts"]["S3ModelArtifacts"]
    for refit in refits:
        job = sm.describe_training_job(TrainingJobName=refit)
        assert job["TrainingJobStatus"] == "Completed" and [c["ChannelName"] for c in job["InputDataConfig"]] == ["train"], job
        assert "early_stopping_rounds" not in job["HyperParameters"], job["HyperParameters"]
    metrics = {m["StandardMetricName"] for m in best["CandidateProperties"]["CandidateMetrics"]}
    assert {"Accuracy", "F1", "AUC", "BalancedAccuracy", "LogLoss", "InferenceLatency"} <= metrics, metrics
    page = sm.list_candidates_for_auto_ml_job(AutoMLJobName=name, MaxResults=3)
    assert len(page["Candidates"]) == 3 and "NextToken" in page
    only_failed = sm.list_candidates_for_auto_ml_job(AutoMLJobName=name, StatusEquals="Failed")["Candidates"]
    assert all(c["CandidateStatus"] == "Failed" for c in only_failed)

    # Reports: data exploration, candidates, and the best candidate's explainability and insights, as well-formed HTML with plots.
    artifacts = described["AutoMLJobArtifacts"]
    exploration = assert_well_formed_report(s3, artifacts["DataExplorationNotebookLocation"], ["diagnosis", "Missing values", "Correlated features", "Sample rows", "worst_radius"])
    assert "No column has missing values." in exploration
    assert_well_formed_report(s3, artifacts["CandidateDefinitionNotebookLocation"], ["Leaderboard", best["CandidateName"], "dpp0-xgboost", "linear-learner"])
    locations = best["CandidateProperties"]["CandidateArtifactLocations"]
    assert_well_formed_report(s3, locations["Explainability"], ["Feature importance", "worst_"])
    assert_well_formed_report(s3, locations["ModelInsights"], ["Confusion matrix", "Accuracy"])
    with urllib.request.urlopen(f"{endpoint}/api/kiln/automl-jobs/{name}/reports/model-insights") as response:  # a browser's view, unsigned
        assert response.headers["Content-Type"].startswith("text/html") and b"Confusion matrix" in response.read()
    try:
        urllib.request.urlopen(f"{endpoint}/api/kiln/automl-jobs/{name}/reports/nonsense")
        raise AssertionError("served a report that does not exist")
    except urllib.error.HTTPError as e:
        assert e.code == 404
    importance = json.loads(s3_text(s3, locations["Explainability"].replace(".html", ".json")))
    assert len(importance) == len(header) - 1 and max(importance.values()) > 0, importance

    accuracies = [held_out_accuracy(sm, runtime, described, header, held)]
    for seed in range(1, 10):
        described, _, _, header, held, elapsed = breast_cancer_job(sm, s3, seed)
        assert elapsed < 180, elapsed
        accuracies.append(held_out_accuracy(sm, runtime, described, header, held))
    mean = sum(accuracies) / len(accuracies)
    print(f"held-out accuracy per split {[round(a, 4) for a in accuracies]}, mean {mean:.4f}")
    assert mean >= 0.97, accuracies


def leaderboard(sm, name):
    """Each candidate as (its trial number, pipeline, hyperparameters, objective, spread): what a job decided, without its name."""
    candidates = sm.list_candidates_for_auto_ml_job(AutoMLJobName=name, MaxResults=100)["Candidates"]
    trial = re.compile(r"^.*-tune-[0-9a-f]{6}-([0-9]{3})-[0-9a-f]{8}$")
    rows = []
    for c in candidates:
        metrics = {m["StandardMetricName"]: m["Value"] for m in c.get("CandidateProperties", {}).get("CandidateMetrics", [])}
        rows.append((trial.sub(r"trial \1", c["CandidateName"]).replace(name, "<job>"), c["CandidateStatus"],
                     c.get("FinalAutoMLJobObjectiveMetric", {}).get("Value"), metrics.get("Accuracy:CrossValidationStd")))
    return sorted(rows, key=repr)


def test_cross_validated_selection_is_reproducible_whatever_order_trials_finish_in(endpoint):
    """The same data and seed twice, both jobs at once (two parallel trials each, so trials finish in whatever order the
    machine allows): the same candidates, the same cross-validated scores and the same best candidate. The leaderboard
    shows each candidate's mean over 5 folds of every row and its spread; the report names the ensemble's members."""
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    rows = read("breast_cancer.csv")
    header, rows = rows[0], rows[1:]
    kept, _ = stratified_split(rows, header.index("diagnosis"), 0.2, seed=5)
    uri = put(s3, "breast-cancer/reproducible/train.csv", write(header, kept))
    names = [f"rp{i}-{uuid.uuid4().hex[:8]}" for i in range(2)]
    for name in names:
        sm.create_auto_ml_job_v2(
            AutoMLJobName=name, RoleArn=ROLE, AutoMLJobInputDataConfig=[channel(uri)],
            OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
            AutoMLProblemTypeConfig={"TabularJobConfig": {"TargetAttributeName": "diagnosis", "CompletionCriteria": {"MaxCandidates": 8}}},
            AutoMLJobObjective={"MetricName": "Accuracy"})
    jobs = [wait(sm, name, timeout=420)[0] for name in names]
    assert all(j["AutoMLJobStatus"] == "Completed" for j in jobs), [j.get("FailureReason") for j in jobs]
    boards = [leaderboard(sm, name) for name in names]
    assert boards[0] == boards[1], boards
    bests = [j["BestCandidate"] for j in jobs]
    trial = re.compile(r"^.*-tune-[0-9a-f]{6}-([0-9]{3})-[0-9a-f]{8}$")
    chosen = [trial.sub(r"trial \1", b["CandidateName"]).replace(j["AutoMLJobName"], "<job>") for b, j in zip(bests, jobs)]
    assert chosen[0] == chosen[1], chosen
    assert bests[0]["FinalAutoMLJobObjectiveMetric"]["Value"] == bests[1]["FinalAutoMLJobObjectiveMetric"]["Value"]

    # Cross-validated: 5 folds, a spread, and the accuracy on the validation rows kept beside it.
    metrics = {m["StandardMetricName"]: m["Value"] for m in bests[0]["CandidateProperties"]["CandidateMetrics"]}
    assert metrics["CrossValidationFolds"] == 5 and 0 <= metrics["Accuracy:CrossValidationStd"] < 0.1, metrics
    assert metrics["Accuracy"] == bests[0]["FinalAutoMLJobObjectiveMetric"]["Value"] and 0.9 < metrics["Holdout:Accuracy"] <= 1, metrics
    text = assert_well_formed_report(s3, jobs[0]["AutoMLJobArtifacts"]["CandidateDefinitionNotebookLocation"], ["cross-validated on 5 folds", "CV mean ± std", "one-standard-error"])
    assert ("Ensemble" in text and "weight" in text) or "No ensemble" in text, text[:2000]


def test_runtime_limits_are_kept_and_the_best_so_far_serves(endpoint):
    """MaxAutoMLJobRuntimeInSeconds ends the whole job (search, cross-validation, refit, reports) within the limit, with
    the best candidate found so far; MaxRuntimePerTrainingJobInSeconds goes to every candidate's training job."""
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    rows = read("churn.csv")
    uri = put(s3, "churn/automl-runtime/data.csv", write(rows[0], rows[1:]))
    name = f"rt-{uuid.uuid4().hex[:8]}"
    limit = 90
    sm.create_auto_ml_job_v2(
        AutoMLJobName=name, RoleArn=ROLE, AutoMLJobInputDataConfig=[channel(uri)], OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        AutoMLProblemTypeConfig={"TabularJobConfig": {"TargetAttributeName": "churn", "CompletionCriteria": {
            "MaxCandidates": 500, "MaxRuntimePerTrainingJobInSeconds": 30, "MaxAutoMLJobRuntimeInSeconds": limit}}})
    described, _ = wait(sm, name, timeout=limit + 60)
    assert described["AutoMLJobStatus"] == "Completed", described.get("FailureReason")
    assert described["AutoMLJobSecondaryStatus"] == "MaxAutoMLJobRuntimeReached", described["AutoMLJobSecondaryStatus"]
    took = (described["EndTime"] - described["CreationTime"]).total_seconds()
    assert took <= limit + 1, took  # EndTime is stored to the millisecond; a second of slack for the last write
    assert described["BestCandidate"]["CandidateStatus"] == "Completed"
    candidates = sm.list_candidates_for_auto_ml_job(AutoMLJobName=name, MaxResults=100)["Candidates"]
    assert 0 < len(candidates) < 500
    trial = sm.describe_training_job(TrainingJobName=candidates[-1]["CandidateSteps"][0]["CandidateStepName"])
    assert trial["StoppingCondition"]["MaxRuntimeInSeconds"] == 30, trial["StoppingCondition"]


def test_fine_foods_text_job_beats_the_majority_baseline(endpoint):
    sm, s3, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-runtime", endpoint)
    train = read("fine_foods_train.csv")
    test = read("fine_foods_test.csv")
    uri = put(s3, "fine-foods/train.csv", write(train[0], train[1:]))
    name = f"ff-{uuid.uuid4().hex[:8]}"
    sm.create_auto_ml_job_v2(
        AutoMLJobName=name, RoleArn=ROLE, AutoMLJobInputDataConfig=[channel(uri)],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        AutoMLProblemTypeConfig={"TextClassificationJobConfig": {"ContentColumn": "review", "TargetLabelColumn": "score", "CompletionCriteria": {"MaxCandidates": 4}}},
        ModelDeployConfig={"EndpointName": f"{name}-live"})
    described, _ = wait(sm, name, timeout=600)
    assert described["AutoMLJobStatus"] == "Completed", described.get("FailureReason")
    assert described["AutoMLProblemTypeConfigName"] == "TextClassification"
    assert described["ModelDeployResult"]["EndpointName"] == f"{name}-live"
    assert_well_formed_report(s3, described["AutoMLJobArtifacts"]["DataExplorationNotebookLocation"], ["score", "review"])
    assert_well_formed_report(s3, described["AutoMLJobArtifacts"]["CandidateDefinitionNotebookLocation"], ["blazingtext"])

    # ModelDeployConfig put the best candidate behind an endpoint; ask it about the held-out reviews.
    sm.get_waiter("endpoint_in_service").wait(EndpointName=f"{name}-live", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    reviews, scores = [row[1] for row in test[1:]], [row[2] for row in test[1:]]
    labels = []
    for start in range(0, len(reviews), 200):
        labels += predicted_labels(runtime, f"{name}-live", json.dumps({"instances": reviews[start:start + 200]}), "application/json")
    accuracy = sum(a == b for a, b in zip(labels, scores)) / len(scores)
    baseline = max(scores.count(label) for label in set(scores)) / len(scores)
    print(f"fine foods: accuracy {accuracy:.4f}, majority baseline {baseline:.4f}")
    assert accuracy >= baseline + 0.08, (accuracy, baseline)


def test_regression_with_v1_api_and_hyperparameter_tuning_mode(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    rows = read("diamonds_sample.csv")
    uri = put(s3, "diamonds/automl/data.csv", write(rows[0], rows[1:1501]))
    name = f"dm-{uuid.uuid4().hex[:8]}"
    sm.create_auto_ml_job(
        AutoMLJobName=name, RoleArn=ROLE, OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        InputDataConfig=[{"TargetAttributeName": "price", "ContentType": "text/csv;header=present",
                          "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}}}],
        AutoMLJobConfig={"CompletionCriteria": {"MaxCandidates": 6}, "Mode": "HYPERPARAMETER_TUNING", "DataSplitConfig": {"ValidationFraction": 0.25}})
    deadline = time.time() + 300
    while (described := sm.describe_auto_ml_job(AutoMLJobName=name))["AutoMLJobStatus"] == "InProgress":
        assert time.time() < deadline
        time.sleep(0.5)
    assert described["AutoMLJobStatus"] == "Completed", described.get("FailureReason")
    assert described["ResolvedAttributes"]["ProblemType"] == "Regression"
    assert described["ResolvedAttributes"]["AutoMLJobObjective"]["MetricName"] == "MSE"
    assert described["AutoMLJobConfig"]["Mode"] == "HYPERPARAMETER_TUNING"
    best = described["BestCandidate"]
    metrics = {m["StandardMetricName"]: m["Value"] for m in best["CandidateProperties"]["CandidateMetrics"]}
    assert metrics["R2"] > 0.85, metrics
    assert abs(metrics["RMSE"] ** 2 - metrics["MSE"]) < 1e-6 * metrics["MSE"]
    assert best["FinalAutoMLJobObjectiveMetric"]["Type"] == "Minimize"
    candidates = sm.list_candidates_for_auto_ml_job(AutoMLJobName=name, MaxResults=100)["Candidates"]
    assert len(candidates) == 6, len(candidates)  # no ensemble in HYPERPARAMETER_TUNING mode
    assert all(c["CandidateStatus"] in ("Completed", "Failed") for c in candidates)
    assert best["FinalAutoMLJobObjectiveMetric"]["Value"] == min(c["FinalAutoMLJobObjectiveMetric"]["Value"] for c in candidates if "FinalAutoMLJobObjectiveMetric" in c)
    # The data exploration report sees diamonds' categorical columns.
    text = assert_well_formed_report(s3, described["AutoMLJobArtifacts"]["DataExplorationNotebookLocation"], ["cut", "Categorical", "price"])
    assert "Ideal" in text
    # Both dialects describe the same job.
    v2 = sm.describe_auto_ml_job_v2(AutoMLJobName=name)
    assert v2["AutoMLProblemTypeConfig"]["TabularJobConfig"]["TargetAttributeName"] == "price"
    assert v2["BestCandidate"]["CandidateName"] == best["CandidateName"]


def test_candidate_definitions_only_and_stop(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    rows = read("churn.csv")
    uri = put(s3, "churn/automl/data.csv", write(rows[0], rows[1:]))
    name = f"cd-{uuid.uuid4().hex[:8]}"
    sm.create_auto_ml_job(
        AutoMLJobName=name, RoleArn=ROLE, OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"}, GenerateCandidateDefinitionsOnly=True,
        InputDataConfig=[{"TargetAttributeName": "churn", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}}}])
    described, _ = wait(sm, name, timeout=120)
    assert described["AutoMLJobSecondaryStatus"] == "CandidateDefinitionsGenerated", described
    assert sm.list_candidates_for_auto_ml_job(AutoMLJobName=name)["Candidates"] == []
    # churn has categorical columns, so the ordinal-encoding pipeline is generated too.
    assert_well_formed_report(s3, described["AutoMLJobArtifacts"]["CandidateDefinitionNotebookLocation"], ["dpp0-xgboost", "dpp1-xgboost", "dpp2-linear-learner", "eta"], plots=False)

    stopped = f"st-{uuid.uuid4().hex[:8]}"
    sm.create_auto_ml_job_v2(
        AutoMLJobName=stopped, RoleArn=ROLE, AutoMLJobInputDataConfig=[channel(uri)], OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        AutoMLProblemTypeConfig={"TabularJobConfig": {"TargetAttributeName": "churn", "CompletionCriteria": {"MaxCandidates": 200}}})
    deadline = time.time() + 120
    while not sm.list_candidates_for_auto_ml_job(AutoMLJobName=stopped)["Candidates"]:
        assert time.time() < deadline
        time.sleep(0.3)
    sm.stop_auto_ml_job(AutoMLJobName=stopped)
    described, _ = wait(sm, stopped, timeout=120)
    assert described["AutoMLJobStatus"] == "Stopped", described["AutoMLJobStatus"]
    candidates = sm.list_candidates_for_auto_ml_job(AutoMLJobName=stopped, MaxResults=300)["Candidates"]
    assert 0 < len(candidates) < 200
    assert all(c["CandidateStatus"] in ("Completed", "Stopped", "Failed") for c in candidates), [c["CandidateStatus"] for c in candidates]
    listed = sm.list_auto_ml_jobs(StatusEquals="Stopped", MaxResults=100)["AutoMLJobSummaries"]
    assert stopped in [job["AutoMLJobName"] for job in listed]
    with_name = sm.list_auto_ml_jobs(NameContains=name[3:], MaxResults=100)["AutoMLJobSummaries"]
    assert [job["AutoMLJobName"] for job in with_name] == [name]
    try:
        sm.stop_auto_ml_job(AutoMLJobName=stopped)
        raise AssertionError("stopping a stopped job was accepted")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "ValidationException"


def expect_validation(call, contains):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "ValidationException", e.response
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        message = e.response["Error"]["Message"]
        assert contains.lower() in message.lower(), message
        return
    raise AssertionError(f"accepted; expected a ValidationException mentioning {contains!r}")


def test_bad_automl_requests_are_validation_exceptions_and_create_nothing(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    rows = read("breast_cancer.csv")
    uri = put(s3, "bad/data.csv", write(rows[0], rows[1:]))
    one_class = put(s3, "bad/one-class.csv", write(rows[0], [row for row in rows[1:] if row[-1] == "B"]))
    before = len(sm.list_auto_ml_jobs(MaxResults=100)["AutoMLJobSummaries"])

    def v2(name, config, **extra):
        return lambda: sm.create_auto_ml_job_v2(
            AutoMLJobName=name, RoleArn=ROLE, AutoMLJobInputDataConfig=extra.pop("channels", [channel(uri)]),
            OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"}, AutoMLProblemTypeConfig=config, **extra)

    expect_validation(v2("bad-target", {"TabularJobConfig": {"TargetAttributeName": "no_such_column"}}), "no_such_column")
    expect_validation(v2("bad-one-class", {"TabularJobConfig": {"TargetAttributeName": "diagnosis"}}, channels=[channel(one_class)]), "only one unique value")
    expect_validation(v2("bad-metric", {"TabularJobConfig": {"TargetAttributeName": "diagnosis", "ProblemType": "BinaryClassification"}},
                         AutoMLJobObjective={"MetricName": "MSE"}), "not valid for the problem type")
    expect_validation(v2("bad-inferred-metric", {"TabularJobConfig": {"TargetAttributeName": "diagnosis"}}, AutoMLJobObjective={"MetricName": "RMSE"}), "not valid")
    expect_validation(v2("bad-regression", {"TabularJobConfig": {"TargetAttributeName": "diagnosis", "ProblemType": "Regression"}}), "not numbers")
    expect_validation(v2("bad-empty", {"TabularJobConfig": {"TargetAttributeName": "diagnosis"}}, channels=[channel(f"s3://{BUCKET}/nothing/here/")]), "no data")
    expect_validation(v2("bad-content", {"TextClassificationJobConfig": {"ContentColumn": "text", "TargetLabelColumn": "diagnosis"}}), "'text'")
    expect_validation(v2("bad-image", {"ImageClassificationJobConfig": {}}), "Tabular and TextClassification")
    expect_validation(v2("bad-split", {"TabularJobConfig": {"TargetAttributeName": "diagnosis"}}, channels=[channel(uri), channel(uri, "validation")],
                         DataSplitConfig={"ValidationFraction": 0.3}), "ValidationFraction")
    expect_validation(v2("bad-candidates", {"TabularJobConfig": {"TargetAttributeName": "diagnosis", "CompletionCriteria": {"MaxCandidates": 751}}}), "maxCandidates")
    expect_validation(v2("bad_name!", {"TabularJobConfig": {"TargetAttributeName": "diagnosis"}}), "autoMLJobName")
    expect_validation(lambda: sm.create_auto_ml_job(
        AutoMLJobName="bad-v1-target", RoleArn=ROLE, OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        InputDataConfig=[{"TargetAttributeName": "missing", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}}}]), "missing")
    assert len(sm.list_auto_ml_jobs(MaxResults=100)["AutoMLJobSummaries"]) == before
    try:
        sm.describe_auto_ml_job_v2(AutoMLJobName="never-created")
        raise AssertionError("described a job that does not exist")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceNotFound", e.response


def test_inference_output_keys_choose_the_answer(endpoint):
    """SAGEMAKER_INFERENCE_OUTPUT on the model's container picks Autopilot's response keys, in the order listed."""
    sm, s3, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-runtime", endpoint)
    described, _, _, header, held, _ = breast_cancer_job(sm, s3, seed=11)
    containers = described["BestCandidate"]["InferenceContainers"]
    assert containers[0]["Environment"]["SAGEMAKER_INFERENCE_OUTPUT"] == "predicted_label", containers
    assert containers[0]["Environment"]["SAGEMAKER_INFERENCE_SUPPORTED"] == "predicted_label,probability,probabilities,labels", containers
    target = header.index("diagnosis")
    features = "\n".join(",".join(cell for i, cell in enumerate(row) if i != target) for row in held)
    truth = [row[target] for row in held]

    # As generated: the label alone, B or M, one per line.
    plain = described["AutoMLJobName"] + "-plain"
    deploy(sm, plain, described["BestCandidate"])
    answer = runtime.invoke_endpoint(EndpointName=plain, ContentType="text/csv", Accept="text/csv", Body=features)["Body"].read().decode()
    labels = answer.split("\n")[:-1]
    assert set(labels) <= {"B", "M"} and len(labels) == len(held), answer[:200]
    assert sum(a == b for a, b in zip(labels, truth)) / len(truth) >= 0.9

    # All four keys, in the caller's order.
    keys = "predicted_label,probability,labels,probabilities"
    full = described["AutoMLJobName"] + "-full"
    sm.create_model(ModelName=full, ExecutionRoleArn=ROLE, Containers=[dict(containers[0], Environment=dict(containers[0]["Environment"], SAGEMAKER_INFERENCE_OUTPUT=keys))])
    sm.create_endpoint_config(EndpointConfigName=full, ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": full, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large", "InitialVariantWeight": 1}])
    sm.create_endpoint(EndpointName=full, EndpointConfigName=full)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=full, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    answer = runtime.invoke_endpoint(EndpointName=full, ContentType="text/csv", Accept="text/csv", Body=features)["Body"].read().decode()
    rows = list(csv.reader(io.StringIO(answer)))
    assert len(rows) == len(held), answer[:300]
    for row, label in zip(rows, labels):
        assert len(row) == 4, row
        predicted, probability, names, probabilities = row[0], float(row[1]), ast.literal_eval(row[2]), ast.literal_eval(row[3])
        assert predicted == label and names == ["B", "M"], row  # the same model: the same labels as the plain endpoint
        assert abs(sum(probabilities) - 1) < 1e-6 and probability == probabilities[names.index(predicted)] and probability >= 0.5, row
    assert re.fullmatch(r'[BM],[0-9.eE-]+,"\[\'B\', \'M\'\]","\[[0-9.eE-]+, [0-9.eE-]+\]"', answer.split("\n")[0]), answer.split("\n")[0]
    response = runtime.invoke_endpoint(EndpointName=full, ContentType="text/csv", Accept="application/json", Body=features)
    predictions = json.loads(response["Body"].read())["predictions"]
    assert [list(p) for p in predictions[:2]] == [keys.split(",")] * 2, predictions[:2]
    assert [p["predicted_label"] for p in predictions] == labels and all(p["labels"] == ["B", "M"] for p in predictions)
    assert all(abs(p["probability"] - max(p["probabilities"])) < 1e-12 for p in predictions)

    # Not a key: refused at CreateModel, since Kiln is the container and knows its keys.
    for bad in ["predicted_label,confidence", "probability,probability", ""]:
        if not bad:
            continue
        try:
            sm.create_model(ModelName=f"{full}-bad", ExecutionRoleArn=ROLE, Containers=[dict(containers[0], Environment={"SAGEMAKER_INFERENCE_OUTPUT": bad})])
            raise AssertionError(f"accepted {bad!r}")
        except botocore.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == "ValidationException" and "SAGEMAKER_INFERENCE_OUTPUT" in e.response["Error"]["Message"], e.response["Error"]
    # Keys the model cannot answer (probabilities of a regression model): the container's ModelError at invoke.
    from sagemaker_training import XGBOOST, upload_breast_cancer, wait as wait_training, xgboost_job
    prefix = upload_breast_cancer(s3, "kiln-automl-regression")
    regression = "reg-" + uuid.uuid4().hex[:8]
    sm.create_training_job(**xgboost_job(regression, prefix, hyperparameters={"objective": "reg:squarederror", "num_round": "10"}))
    job = wait_training(sm, regression)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    sm.create_model(ModelName=regression, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": XGBOOST, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"], "Environment": {"SAGEMAKER_INFERENCE_OUTPUT": "predicted_label,probabilities"}})
    sm.create_endpoint_config(EndpointConfigName=regression, ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": regression, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large", "InitialVariantWeight": 1}])
    sm.create_endpoint(EndpointName=regression, EndpointConfigName=regression)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=regression, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    row = features.split("\n")[0]
    try:
        runtime.invoke_endpoint(EndpointName=regression, ContentType="text/csv", Body=row)
        raise AssertionError("a regression model answered probabilities")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "ModelError" and "not a classifier" in e.response["Error"]["Message"], e.response["Error"]


if __name__ == "__main__":
    main({name: test for name, test in globals().items() if name.startswith("test_")})
