"""Experiments, trials, trial components and Search through boto3, on the same records MLflow sees."""
import datetime
import json
import urllib.parse
import urllib.request
import uuid

import botocore.exceptions

from kiln_boto import client, main
from sagemaker_training import upload_breast_cancer, wait, xgboost_job


def expect_error(code, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == code, f"expected {code}, got {e.response['Error']}"
        return e.response["Error"]["Message"]
    raise AssertionError(f"expected {code}, but the call succeeded")


def mlflow(endpoint, path, body=None, **query):
    url = f"{endpoint}/api/2.0/mlflow/{path}" + ("?" + urllib.parse.urlencode(query) if query else "")
    request = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(), headers={"Content-Type": "application/json"},
                                     method="GET" if body is None else "POST")
    return json.loads(urllib.request.urlopen(request).read() or b"{}")


def test_experiments_trials_and_components_are_mlflow_experiments_and_runs(endpoint):
    sm = client("sagemaker", endpoint)
    suffix = uuid.uuid4().hex[:6]
    experiment, trial, component = f"exp-{suffix}", f"trial-{suffix}", f"tc-{suffix}"
    arn = sm.create_experiment(ExperimentName=experiment, DisplayName="churn-study", Description="does C matter", Tags=[{"Key": "team", "Value": "growth"}])["ExperimentArn"]
    assert arn.endswith(f":experiment/{experiment}")
    described = sm.describe_experiment(ExperimentName=experiment)
    assert (described["DisplayName"], described["Description"]) == ("churn-study", "does C matter")
    mlflow_experiment = mlflow(endpoint, "experiments/get-by-name", experiment_name=experiment)["experiment"]
    tags = {t["key"]: t["value"] for t in mlflow_experiment["tags"]}
    assert tags["team"] == "growth" and tags["mlflow.note.content"] == "does C matter", tags
    assert experiment in [e["ExperimentName"] for e in sm.list_experiments(MaxResults=100)["ExperimentSummaries"]]

    sm.create_trial(TrialName=trial, ExperimentName=experiment, DisplayName="first-try")
    assert sm.describe_trial(TrialName=trial)["ExperimentName"] == experiment
    sm.create_trial_component(TrialComponentName=component, DisplayName="preprocess", Status={"PrimaryStatus": "InProgress"},
                              Parameters={"scaler": {"StringValue": "standard"}, "C": {"NumberValue": 0.5}},
                              InputArtifacts={"data": {"Value": "s3://lake/churn.csv", "MediaType": "text/csv"}})
    sm.associate_trial_component(TrialComponentName=component, TrialName=trial)
    assert [c["TrialComponentName"] for c in sm.list_trial_components(TrialName=trial)["TrialComponentSummaries"]] == [component]
    assert [t["TrialName"] for t in sm.list_trials(TrialComponentName=component)["TrialSummaries"]] == [trial]

    # The component is an MLflow run: params, parent (the trial's run), metrics logged through MLflow.
    run = next(r for r in mlflow(endpoint, "runs/search", {"experiment_ids": ["0"], "filter": f"tags.`sagemaker.name` = '{component}'"})["runs"])
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    assert params == {"scaler": "standard", "C": "0.5"}, params
    run_tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    trial_run = mlflow(endpoint, "runs/search", {"experiment_ids": [mlflow_experiment["experiment_id"]], "filter": f"tags.`sagemaker.name` = '{trial}'"})["runs"][0]
    assert run_tags["mlflow.parentRunId"] == trial_run["info"]["run_id"]
    for step, value in enumerate([0.9, 0.7, 0.6]):
        mlflow(endpoint, "runs/log-metric", {"run_id": run["info"]["run_id"], "key": "loss", "value": value, "timestamp": 1_000 + step, "step": step})
    sm.update_trial_component(TrialComponentName=component, Status={"PrimaryStatus": "Completed", "Message": "done"},
                              OutputArtifacts={"clean": {"Value": "s3://lake/clean.csv"}}, EndTime=datetime.datetime.now(datetime.timezone.utc))
    tc = sm.describe_trial_component(TrialComponentName=component)
    assert tc["Status"] == {"PrimaryStatus": "Completed", "Message": "done"}
    assert tc["Parameters"]["C"] == {"NumberValue": 0.5} and tc["Parameters"]["scaler"] == {"StringValue": "standard"}
    assert tc["InputArtifacts"]["data"]["Value"] == "s3://lake/churn.csv" and tc["OutputArtifacts"]["clean"]["Value"] == "s3://lake/clean.csv"
    loss = next(m for m in tc["Metrics"] if m["MetricName"] == "loss")
    assert (loss["Max"], loss["Min"], loss["Last"], loss["Count"]) == (0.9, 0.6, 0.6, 3), loss
    assert mlflow(endpoint, "runs/get", run_id=run["info"]["run_id"])["run"]["info"]["status"] == "FINISHED"

    # A run an MLflow client logs in the experiment is a trial component of it, named by its run id.
    logged = mlflow(endpoint, "runs/create", {"experiment_id": mlflow_experiment["experiment_id"], "run_name": "from-mlflow"})["run"]["info"]["run_id"]
    mlflow(endpoint, "runs/log-parameter", {"run_id": logged, "key": "lr", "value": "0.1"})
    listed = {c["TrialComponentName"] for c in sm.list_trial_components(ExperimentName=experiment)["TrialComponentSummaries"]}
    assert {component, logged} <= listed, listed
    assert sm.describe_trial_component(TrialComponentName=logged)["Parameters"]["lr"] == {"NumberValue": 0.1}

    # Deleting follows SageMaker's order: components out of trials, trials out of experiments.
    expect_error("ValidationException", sm.delete_trial, TrialName=trial)
    expect_error("ValidationException", sm.delete_experiment, ExperimentName=experiment)
    expect_error("ValidationException", sm.delete_trial_component, TrialComponentName=component)
    sm.disassociate_trial_component(TrialComponentName=component, TrialName=trial)
    expect_error("ResourceNotFound", sm.disassociate_trial_component, TrialComponentName=component, TrialName=trial)
    sm.delete_trial_component(TrialComponentName=component)
    sm.delete_trial(TrialName=trial)
    expect_error("ResourceNotFound", sm.describe_trial, TrialName=trial)
    sm.delete_experiment(ExperimentName=experiment)
    expect_error("ResourceNotFound", sm.describe_experiment, ExperimentName=experiment)

    expect_error("ResourceNotFound", sm.create_trial, TrialName=f"orphan-{suffix}", ExperimentName="no-such-experiment")
    expect_error("ResourceNotFound", sm.describe_trial_component, TrialComponentName="no-such-component")
    expect_error("ValidationException", sm.create_trial_component, TrialComponentName=f"bad-{suffix}", Parameters={"x": {}})
    expect_error("ValidationException", sm.create_experiment, ExperimentName="bad_name!")


def test_training_jobs_land_in_their_trial_and_search_finds_them(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    suffix = uuid.uuid4().hex[:6]
    experiment, trial = f"search-{suffix}", f"jobs-{suffix}"
    sm.create_experiment(ExperimentName=experiment)
    prefix = upload_breast_cancer(s3, "kiln-experiments")
    names = []
    for rounds in (7, 30):
        name = f"search-{suffix}-{rounds}"
        job = xgboost_job(name, prefix, {"objective": "binary:logistic", "num_round": str(rounds), "max_depth": "3", "eval_metric": "auc"})
        sm.create_training_job(**job, ExperimentConfig={"ExperimentName": experiment, "TrialName": trial})
        names.append(name)
    jobs = {name: wait(sm, name) for name in names}
    assert all(job["TrainingJobStatus"] == "Completed" for job in jobs.values())

    # Each job is a trial component of the trial ExperimentConfig named (made on the fly), its source the job.
    assert sm.describe_trial(TrialName=trial)["ExperimentName"] == experiment
    components = sm.list_trial_components(TrialName=trial, SortBy="Name", SortOrder="Ascending")["TrialComponentSummaries"]
    assert [c["TrialComponentName"] for c in components] == sorted(f"{n}-aws-training-job" for n in names)
    tc = sm.describe_trial_component(TrialComponentName=f"{names[0]}-aws-training-job")
    assert tc["Source"]["SourceArn"] == jobs[names[0]]["TrainingJobArn"]
    assert tc["Parameters"]["num_round"] == {"NumberValue": 7.0}
    assert any(m["MetricName"] == "validation:auc" for m in tc["Metrics"])
    assert [c["TrialComponentName"] for c in sm.list_trial_components(SourceArn=jobs[names[1]]["TrainingJobArn"])["TrialComponentSummaries"]] == [f"{names[1]}-aws-training-job"]

    def search(resource, expression, **extra):
        return sm.search(Resource=resource, SearchExpression=expression, MaxResults=100, **extra)["Results"]

    found = search("TrainingJob", {"Filters": [{"Name": "HyperParameters.num_round", "Operator": "Equals", "Value": "7"},
                                               {"Name": "TrainingJobName", "Operator": "Contains", "Value": suffix}]})
    assert [r["TrainingJob"]["TrainingJobName"] for r in found] == [names[0]]
    auc = {n: next(m["Value"] for m in jobs[n]["FinalMetricDataList"] if m["MetricName"] == "validation:auc") for n in names}
    best = max(auc, key=auc.get)
    found = search("TrainingJob", {"Filters": [{"Name": "FinalMetricDataList.validation:auc", "Operator": "GreaterThanOrEqualTo", "Value": str(auc[best])},
                                               {"Name": "TrainingJobName", "Operator": "Contains", "Value": suffix}]})
    assert [r["TrainingJob"]["TrainingJobName"] for r in found] == [best], (found, auc)
    nested = {"NestedFilters": [{"NestedPropertyName": "InputDataConfig", "Filters": [
        {"Name": "InputDataConfig.ChannelName", "Operator": "Equals", "Value": "validation"},
        {"Name": "InputDataConfig.DataSource.S3DataSource.S3Uri", "Operator": "Contains", "Value": "kiln-experiments/breast-cancer/validation"}]}],
        "Filters": [{"Name": "TrainingJobName", "Operator": "Contains", "Value": suffix}]}
    assert sorted(r["TrainingJob"]["TrainingJobName"] for r in search("TrainingJob", nested)) == sorted(names)
    no_match = {"NestedFilters": [{"NestedPropertyName": "InputDataConfig", "Filters": [
        {"Name": "InputDataConfig.ChannelName", "Operator": "Equals", "Value": "train"},
        {"Name": "InputDataConfig.DataSource.S3DataSource.S3Uri", "Operator": "Contains", "Value": "validation"}]}]}
    assert search("TrainingJob", no_match) == []
    either = {"SubExpressions": [{"Filters": [{"Name": "TrainingJobName", "Operator": "Equals", "Value": names[0]}]},
                                 {"Filters": [{"Name": "TrainingJobName", "Operator": "Equals", "Value": names[1]}]}], "Operator": "Or"}
    ordered = search("TrainingJob", either, SortBy="HyperParameters.num_round", SortOrder="Descending")
    assert [r["TrainingJob"]["TrainingJobName"] for r in ordered] == [names[1], names[0]]

    found = search("ExperimentTrialComponent", {"Filters": [{"Name": "Parents.TrialName", "Operator": "Equals", "Value": trial},
                                                            {"Name": "Metrics.validation:auc", "Operator": "GreaterThanOrEqualTo", "Value": str(auc[best])}]})
    assert [r["TrialComponent"]["TrialComponentName"] for r in found] == [f"{best}-aws-training-job"]
    assert [r["Trial"]["TrialName"] for r in search("ExperimentTrial", {"Filters": [{"Name": "ExperimentName", "Operator": "Equals", "Value": experiment}]})] == [trial]

    # Model packages: the registry's versions, by approval status.
    group = f"search-{suffix}"
    sm.create_model_package_group(ModelPackageGroupName=group)
    for status in ("Approved", "Rejected"):
        sm.create_model_package(ModelPackageGroupName=group, ModelApprovalStatus=status,
                                InferenceSpecification={"Containers": [{"Image": "kiln/xgboost", "ModelDataUrl": jobs[best]["ModelArtifacts"]["S3ModelArtifacts"]}]})
    found = search("ModelPackage", {"Filters": [{"Name": "ModelPackageGroupName", "Operator": "Equals", "Value": group},
                                                {"Name": "ModelApprovalStatus", "Operator": "In", "Value": "Approved,PendingManualApproval"}]})
    assert [(r["ModelPackage"]["ModelPackageVersion"], r["ModelPackage"]["ModelApprovalStatus"]) for r in found] == [(1, "Approved")]

    expect_error("ValidationException", sm.search, Resource="TrainingJob", SearchExpression={"Filters": [{"Name": "FinalMetricDataList.validation:auc", "Operator": "GreaterThan", "Value": "high"}]})
    expect_error("ValidationException", sm.search, Resource="TrainingJob", SearchExpression={"Filters": [{"Name": "TrainingJobName", "Operator": "Equals"}]})
    expect_error("ValidationException", sm.search, Resource="TrainingJob", SearchExpression={"NestedFilters": [{"NestedPropertyName": "InputDataConfig", "Filters": [{"Name": "HyperParameters.eta", "Value": "1"}]}]})
    expect_error("ValidationException", sm.search, Resource="Endpoint")  # not searchable in Kiln yet
    expect_error("ValidationException", sm.search, Resource="TrainingJob", SearchExpression={"Filters": [{"Name": "TrainingJobName", "Operator": "Like", "Value": "x"}]})


if __name__ == "__main__":
    main({name: value for name, value in globals().items() if name.startswith("test_")})
