"""MLflow's permissions on the SageMaker side under --auth: an experiment is an MLflow experiment (trials and trial
components its runs), a model package group a registered model. A user without the permission gets
AccessDeniedException (HTTP 400, as SageMaker answers it) and nothing changes.

Usage: python3 permissions.py <endpoint_url> <test_name> <owner_key> <owner_secret> <other_key> <other_secret> <prefix>
The owner creates what the test names after <prefix>; the other user has the server's default permission (READ) on
it, or NO_PERMISSIONS where the test says so (the calling test sets that through the MLflow API).
"""
import sys
import traceback

import boto3
import botocore.exceptions
from botocore.config import Config


def sagemaker(endpoint, key, secret):
    config = Config(retries={"max_attempts": 1, "mode": "standard"})
    return boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1").client("sagemaker", endpoint_url=endpoint, config=config)


def denied(call, **request):
    try:
        call(**request)
    except botocore.exceptions.ClientError as e:
        error = e.response["Error"]
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        assert (error["Code"], status) == ("AccessDeniedException", 400), (error, status)
        assert "Permission denied" in error.get("Message", ""), error
        return
    raise AssertionError(f"{call.__name__} was allowed")


def test_owner_manages_and_others_only_read(owner, other, prefix):
    experiment, trial, component, group = f"{prefix}-exp", f"{prefix}-trial", f"{prefix}-tc", f"{prefix}-group"
    owner.create_experiment(ExperimentName=experiment)
    owner.create_trial(TrialName=trial, ExperimentName=experiment)
    owner.create_trial_component(TrialComponentName=component)
    owner.associate_trial_component(TrialComponentName=component, TrialName=trial)
    owner.create_model_package_group(ModelPackageGroupName=group)
    owner.create_model_package(ModelPackageGroupName=group, InferenceSpecification={"Containers": [{"Image": "kiln/xgboost", "ModelDataUrl": f"s3://{prefix}/model.tar.gz"}]})

    # READ (the default): describe and list, but not change.
    assert other.describe_experiment(ExperimentName=experiment)["ExperimentName"] == experiment
    assert other.describe_trial(TrialName=trial)["TrialName"] == trial
    assert other.describe_trial_component(TrialComponentName=component)["TrialComponentName"] == component
    assert other.describe_model_package_group(ModelPackageGroupName=group)["ModelPackageGroupName"] == group
    assert experiment in [e["ExperimentName"] for e in other.list_experiments(MaxResults=100)["ExperimentSummaries"]]
    denied(other.update_experiment, ExperimentName=experiment, DisplayName="taken")
    denied(other.delete_experiment, ExperimentName=experiment)
    denied(other.create_trial, TrialName=f"{prefix}-intruder", ExperimentName=experiment)
    denied(other.update_trial, TrialName=trial, DisplayName="taken")
    denied(other.update_trial_component, TrialComponentName=component, DisplayName="taken")
    denied(other.disassociate_trial_component, TrialComponentName=component, TrialName=trial)
    denied(other.delete_model_package_group, ModelPackageGroupName=group)
    assert "DisplayName" not in other.describe_experiment(ExperimentName=experiment) or other.describe_experiment(ExperimentName=experiment)["DisplayName"] != "taken"
    assert trial in [t["TrialName"] for t in owner.list_trials(ExperimentName=experiment)["TrialSummaries"]]
    assert f"{prefix}-intruder" not in [t["TrialName"] for t in owner.list_trials(ExperimentName=experiment)["TrialSummaries"]]

    # The creator holds MANAGE.
    owner.update_experiment(ExperimentName=experiment, DisplayName="mine")
    owner.update_trial_component(TrialComponentName=component, DisplayName="mine")
    assert owner.describe_experiment(ExperimentName=experiment)["DisplayName"] == "mine"


def test_no_permissions_hides(owner, other, prefix):
    experiment, trial, group = f"{prefix}-exp", f"{prefix}-trial", f"{prefix}-group"
    denied(other.describe_experiment, ExperimentName=experiment)
    denied(other.describe_trial, TrialName=trial)
    denied(other.describe_model_package_group, ModelPackageGroupName=group)
    assert experiment not in [e["ExperimentName"] for e in other.list_experiments(MaxResults=100)["ExperimentSummaries"]]
    assert group not in [g["ModelPackageGroupName"] for g in other.list_model_package_groups(MaxResults=100)["ModelPackageGroupSummaryList"]]
    assert experiment in [e["ExperimentName"] for e in owner.list_experiments(MaxResults=100)["ExperimentSummaries"]]
    assert trial not in [t["TrialName"] for t in other.list_trials(MaxResults=100)["TrialSummaries"]]
    assert f"{prefix}-tc" not in [c["TrialComponentName"] for c in other.list_trial_components(MaxResults=100)["TrialComponentSummaries"]]
    assert group not in [p["ModelPackageGroupName"] for p in other.list_model_packages(MaxResults=100)["ModelPackageSummaryList"]]

    # Search filters the same way: the experiment's trials and trial components are its runs, a model package is a
    # version of its group's registered model. The owner still finds each.
    searches = [
        ("Experiment", "ExperimentName", experiment),
        ("ExperimentTrial", "TrialName", trial),
        ("ExperimentTrialComponent", "TrialComponentName", f"{prefix}-tc"),
        ("ModelPackage", "ModelPackageGroupName", group),
    ]
    for resource, field, value in searches:
        expression = {"Filters": [{"Name": field, "Operator": "Equals", "Value": value}]}
        assert len(owner.search(Resource=resource, SearchExpression=expression)["Results"]) == 1, (resource, "owner")
        assert other.search(Resource=resource, SearchExpression=expression)["Results"] == [], (resource, "other")
        every = other.search(Resource=resource, MaxResults=100)["Results"]
        assert not any(value == next(iter(r.values())).get(field) for r in every), (resource, "unfiltered")

    # Lineage: the model package is an artifact whose ARN names the hidden group. The other user's lineage calls leave
    # it out (and every edge to it) and describe it as missing; the model data it came from stays visible to both.
    package_arn = owner.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"][0]["ModelPackageArn"]
    model_arn = owner.list_artifacts(SourceUri=f"s3://{prefix}/model.tar.gz")["ArtifactSummaries"][0]["ArtifactArn"]
    assert other.list_artifacts(SourceUri=f"s3://{prefix}/model.tar.gz")["ArtifactSummaries"][0]["ArtifactArn"] == model_arn

    def lineage_arns(client):
        graph = client.query_lineage(StartArns=[model_arn], Direction="Descendants", IncludeEdges=True)
        return {v["Arn"] for v in graph["Vertices"]} | {e[end] for e in graph.get("Edges", []) for end in ("SourceArn", "DestinationArn")}

    assert package_arn in lineage_arns(owner), "the owner's lineage lost the package"
    assert package_arn not in lineage_arns(other), "QueryLineage showed a hidden model package"
    assert owner.describe_artifact(ArtifactArn=package_arn)["ArtifactArn"] == package_arn
    for call, request in [(other.describe_artifact, {"ArtifactArn": package_arn}), (other.query_lineage, {"StartArns": [package_arn]})]:
        try:
            call(**request)
            raise AssertionError(f"{call.__name__} answered for a hidden model package")
        except botocore.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == "ResourceNotFound", e.response["Error"]
    artifacts = [a["ArtifactArn"] for a in other.list_artifacts(ArtifactType="ModelPackage", MaxResults=100)["ArtifactSummaries"]]
    assert package_arn not in artifacts, "ListArtifacts showed a hidden model package"
    assert package_arn in [a["ArtifactArn"] for a in owner.list_artifacts(ArtifactType="ModelPackage", MaxResults=100)["ArtifactSummaries"]]
    associations = other.list_associations(SourceArn=model_arn)["AssociationSummaries"]
    assert all(package_arn not in (a["SourceArn"], a["DestinationArn"]) for a in associations), associations
    assert any(a["DestinationArn"] == package_arn for a in owner.list_associations(SourceArn=model_arn)["AssociationSummaries"])

    # The owner can still delete everything it made.
    owner.disassociate_trial_component(TrialComponentName=f"{prefix}-tc", TrialName=trial)
    owner.delete_trial(TrialName=trial)
    owner.delete_experiment(ExperimentName=experiment)
    for package in owner.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]:
        owner.delete_model_package(ModelPackageName=package["ModelPackageArn"])
    owner.delete_model_package_group(ModelPackageGroupName=group)


def main():
    endpoint, test, owner_key, owner_secret, other_key, other_secret, prefix = sys.argv[1:8]
    try:
        globals()[test](sagemaker(endpoint, owner_key, owner_secret), sagemaker(endpoint, other_key, other_secret), prefix)
    except Exception:
        traceback.print_exc()
        sys.exit(1)
    print("RESULT ok")


if __name__ == "__main__":
    main()
