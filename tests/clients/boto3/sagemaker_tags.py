"""Tagging (AddTags, ListTags, DeleteTags), duplicate-name errors of every Create, and deploying a model package,
through boto3 the way the SageMaker Python SDK calls them."""
import json
import os
import time
import urllib.request
import uuid

import botocore.exceptions

from kiln_boto import client, main
from sagemaker_hosting import BUCKET, DATA, ROLE, XGBOOST, churn_split, csv_line, deploy, ensure_bucket, feature_rows, trained_churn_model, variant

ACCOUNT = "000000000000"
REGION = "us-east-1"
FAIL_ONLY = {"Version": "2020-12-01", "Parameters": [], "Steps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "stop"}}]}


def arn(kind, name):
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name}"


def error_of(call, **kwargs):
    try:
        call(**kwargs)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise AssertionError(f"{call.__name__} succeeded but should have failed")


def all_tags(sm, resource_arn):
    tags, token = {}, None
    while True:
        page = sm.list_tags(ResourceArn=resource_arn, **({"NextToken": token} if token else {}))
        for tag in page["Tags"]:
            assert tag["Key"] not in tags, page
            tags[tag["Key"]] = tag["Value"]
        token = page.get("NextToken")
        if not token:
            return tags


def round_trip(sm, resource_arn, created):
    """The Create call's tags are listed; added tags are listed, a re-added key takes the new value; deleted ones go."""
    assert all_tags(sm, resource_arn) == created, (resource_arn, all_tags(sm, resource_arn))
    added = sm.add_tags(ResourceArn=resource_arn, Tags=[{"Key": "owner", "Value": "ml-team"}, {"Key": "stage", "Value": "dev"}])["Tags"]
    assert {t["Key"]: t["Value"] for t in added} == {**created, "owner": "ml-team", "stage": "dev"}, added
    sm.add_tags(ResourceArn=resource_arn, Tags=[{"Key": "stage", "Value": "prod"}])
    assert all_tags(sm, resource_arn) == {**created, "owner": "ml-team", "stage": "prod"}
    sm.delete_tags(ResourceArn=resource_arn, TagKeys=["owner", "never-was-a-tag"])
    assert all_tags(sm, resource_arn) == {**created, "stage": "prod"}, (resource_arn, all_tags(sm, resource_arn))


def mlflow(endpoint, path):
    return json.load(urllib.request.urlopen(f"{endpoint}/api/2.0/mlflow/{path}"))


def test_tags_round_trip_on_every_resource_and_show_where_create_tags_show(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    suffix = uuid.uuid4().hex[:6]
    created = [{"Key": "team", "Value": "churn"}]

    job = trained_churn_model(sm, s3)
    round_trip(sm, job["TrainingJobArn"], all_tags(sm, job["TrainingJobArn"]))
    found = sm.search(Resource="TrainingJob", SearchExpression={"Filters": [{"Name": "Tags.stage", "Operator": "Equals", "Value": "prod"}]})["Results"]
    assert job["TrainingJobName"] in [r["TrainingJob"]["TrainingJobName"] for r in found], found
    sm.delete_tags(ResourceArn=job["TrainingJobArn"], TagKeys=["stage"])
    component = arn("experiment-trial-component", job["TrainingJobName"] + "-aws-training-job")
    round_trip(sm, component, {})

    model = "tagged-" + suffix
    model_arn = sm.create_model(ModelName=model, ExecutionRoleArn=ROLE, Tags=created,
                                PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]})["ModelArn"]
    round_trip(sm, model_arn, {"team": "churn"})
    endpoint_name = deploy(sm, [variant("only", model)], tags=created, name="tagged-ep-" + suffix)
    round_trip(sm, arn("endpoint-config", endpoint_name + "-config"), {"team": "churn"})
    round_trip(sm, sm.describe_endpoint(EndpointName=endpoint_name)["EndpointArn"], {})

    pipeline_arn = sm.create_pipeline(PipelineName="Tagged-" + suffix, PipelineDefinition=json.dumps(FAIL_ONLY), RoleArn=ROLE, Tags=created)["PipelineArn"]
    assert pipeline_arn == arn("pipeline", "tagged-" + suffix)  # SageMaker lower-cases names in ARNs; the tags are still found
    round_trip(sm, pipeline_arn, {"team": "churn"})

    experiment = "tagged-exp-" + suffix
    round_trip(sm, sm.create_experiment(ExperimentName=experiment, Tags=created)["ExperimentArn"], {"team": "churn"})
    tags = {t["key"]: t["value"] for t in mlflow(endpoint, f"experiments/get-by-name?experiment_name={experiment}")["experiment"]["tags"]}
    assert tags["team"] == "churn" and tags["stage"] == "prod" and "owner" not in tags, tags
    round_trip(sm, sm.create_trial(TrialName="tagged-trial-" + suffix, ExperimentName=experiment, Tags=created)["TrialArn"], {"team": "churn"})
    component_arn = sm.create_trial_component(TrialComponentName="tagged-tc-" + suffix, Tags=created)["TrialComponentArn"]
    round_trip(sm, component_arn, {"team": "churn"})
    assert {"Key": "stage", "Value": "prod"} in sm.search(Resource="ExperimentTrialComponent", SearchExpression={
        "Filters": [{"Name": "TrialComponentName", "Operator": "Equals", "Value": "tagged-tc-" + suffix}]})["Results"][0]["TrialComponent"]["Tags"]

    group = "tagged-group-" + suffix
    group_arn = sm.create_model_package_group(ModelPackageGroupName=group, Tags=created)["ModelPackageGroupArn"]
    round_trip(sm, group_arn, {"team": "churn"})
    package_arn = sm.create_model_package(ModelPackageGroupName=group, Tags=created, InferenceSpecification={
        "Containers": [{"Image": XGBOOST, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]}], "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]})["ModelPackageArn"]
    round_trip(sm, package_arn, {"team": "churn"})
    found = sm.search(Resource="ModelPackage", SearchExpression={"Filters": [{"Name": "Tags.stage", "Operator": "Equals", "Value": "prod"},
                                                                             {"Name": "ModelPackageGroupName", "Operator": "Equals", "Value": group}]})["Results"]
    assert [r["ModelPackage"]["ModelPackageArn"] for r in found] == [package_arn], found
    # The same tags are MLflow's registered model and model version tags, both ways; Kiln's own stay out of ListTags.
    registered = {t["key"]: t["value"] for t in mlflow(endpoint, f"registered-models/get?name={group}")["registered_model"]["tags"]}
    assert registered == {"team": "churn", "stage": "prod"}, registered
    version = {t["key"]: t["value"] for t in mlflow(endpoint, f"model-versions/get?name={group}&version=1")["model_version"]["tags"]}
    assert version["stage"] == "prod" and version["sagemaker.model_approval_status"] == "PendingManualApproval", version
    request = urllib.request.Request(f"{endpoint}/api/2.0/mlflow/model-versions/set-tag", method="POST", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"name": group, "version": "1", "key": "from-mlflow", "value": "yes"}).encode())
    urllib.request.urlopen(request).read()
    assert all_tags(sm, package_arn) == {"team": "churn", "stage": "prod", "from-mlflow": "yes"}
    code, message = error_of(sm.add_tags, ResourceArn=package_arn, Tags=[{"Key": "sagemaker.model_approval_status", "Value": "Approved"}])
    assert code == "ValidationException" and "sagemaker.model_approval_status" in message, message
    assert sm.describe_model_package(ModelPackageName=package_arn)["ModelApprovalStatus"] == "PendingManualApproval"
    # A group's kiln.deploy.* tags configure approval: AddTags sets them like any other tag.
    sm.add_tags(ResourceArn=group_arn, Tags=[{"Key": "kiln.deploy.endpoint", "Value": "approved-" + suffix}])
    assert all_tags(sm, group_arn)["kiln.deploy.endpoint"] == "approved-" + suffix

    artifact = sm.create_artifact(ArtifactType="DataSet", Source={"SourceUri": f"s3://lake/{suffix}.csv"}, Tags=created)["ArtifactArn"]
    round_trip(sm, artifact, {"team": "churn"})
    round_trip(sm, sm.create_action(ActionName="tagged-action-" + suffix, ActionType="Cleaning", Source={"SourceUri": "s3://lake/clean.py"}, Tags=created)["ActionArn"], {"team": "churn"})
    round_trip(sm, sm.create_context(ContextName="tagged-context-" + suffix, ContextType="Project", Source={"SourceUri": "kiln://p"}, Tags=created)["ContextArn"], {"team": "churn"})


def test_tag_errors(endpoint):
    sm = client("sagemaker", endpoint)
    unchecked = client("sagemaker", endpoint, parameter_validation=False)
    suffix = uuid.uuid4().hex[:6]
    experiment_arn = sm.create_experiment(ExperimentName="tag-errors-" + suffix)["ExperimentArn"]
    model_arn = sm.create_model_package_group(ModelPackageGroupName="tag-errors-" + suffix)["ModelPackageGroupArn"]

    for kind in ("training-job", "processing-job", "transform-job", "hyper-parameter-tuning-job", "automl-job", "model", "endpoint-config", "endpoint",
                 "pipeline", "experiment", "experiment-trial", "experiment-trial-component", "model-package-group", "action", "context", "artifact"):
        missing = arn(kind, "no-such-" + suffix)
        for call, args in ((sm.list_tags, {}), (sm.add_tags, {"Tags": [{"Key": "a", "Value": "b"}]}), (sm.delete_tags, {"TagKeys": ["a"]})):
            code, message = error_of(call, ResourceArn=missing, **args)
            assert code == "ValidationException" and missing in message and "not found" in message, (kind, code, message)
    assert error_of(sm.list_tags, ResourceArn=arn("model-package", f"tag-errors-{suffix}/7"))[0] == "ValidationException"
    assert error_of(sm.list_tags, ResourceArn="arn:aws:sagemaker:us-east-1:000000000000:nothing")[0] == "ValidationException"
    assert error_of(sm.list_tags, ResourceArn="arn:aws:s3:::bucket")[0] == "ValidationException"

    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    code, message = error_of(sm.add_tags, ResourceArn=experiment_arn, Tags=too_many)
    assert code == "ValidationException" and "50" in message, message
    sm.add_tags(ResourceArn=experiment_arn, Tags=too_many[:50])
    code, message = error_of(sm.add_tags, ResourceArn=experiment_arn, Tags=[{"Key": "one-more", "Value": "v"}])
    assert code == "ValidationException" and "at most 50" in message, message
    sm.add_tags(ResourceArn=experiment_arn, Tags=[{"Key": "k0", "Value": "changed"}])  # replacing a value adds no tag
    listed = sm.list_tags(ResourceArn=experiment_arn, MaxResults=50)
    assert len(listed["Tags"]) == 50 and "NextToken" not in listed and {"Key": "k0", "Value": "changed"} in listed["Tags"]
    assert error_of(sm.list_tags, ResourceArn=experiment_arn, NextToken="not-a-token")[0] == "ValidationException"
    code, message = error_of(unchecked.list_tags, ResourceArn=experiment_arn, MaxResults=10)
    assert code == "ValidationException" and "greater than or equal to 50" in message, message

    for bad in ([{"Key": "a" * 129, "Value": "v"}], [{"Key": "k", "Value": "v" * 257}], [{"Key": "semi;colon", "Value": "v"}],
                [{"Key": "k", "Value": "brackets[]"}], [{"Key": "aws:reserved", "Value": "v"}], [{"Key": "kiln:routing", "Value": "ThompsonSampling"}],
                [{"Key": "same", "Value": "1"}, {"Key": "same", "Value": "2"}], [{"Key": "mlflow.user", "Value": "someone"}]):
        code, message = error_of(sm.add_tags, ResourceArn=model_arn, Tags=bad)
        assert code == "ValidationException", (bad, code, message)
    assert error_of(unchecked.add_tags, ResourceArn=model_arn, Tags=[{"Key": "", "Value": "v"}])[0] == "ValidationException"
    assert error_of(unchecked.delete_tags, ResourceArn=model_arn, TagKeys=[])[0] == "ValidationException"
    assert error_of(sm.delete_tags, ResourceArn=model_arn, TagKeys=["a" * 129])[0] == "ValidationException"
    assert all_tags(sm, model_arn) == {}

    # A kiln: tag set at Create is listed; adding it back unchanged (as the SDK's upsert does) is fine, changing or deleting it is not.
    marked = sm.create_trial_component(TrialComponentName="tag-marked-" + suffix, Tags=[{"Key": "kiln:origin", "Value": "import"}])["TrialComponentArn"]
    assert all_tags(sm, marked) == {"kiln:origin": "import"}
    sm.add_tags(ResourceArn=marked, Tags=[{"Key": "kiln:origin", "Value": "import"}, {"Key": "team", "Value": "a"}])
    assert error_of(sm.add_tags, ResourceArn=marked, Tags=[{"Key": "kiln:origin", "Value": "other"}])[0] == "ValidationException"
    assert error_of(sm.delete_tags, ResourceArn=marked, TagKeys=["kiln:origin"])[0] == "ValidationException"
    assert all_tags(sm, marked) == {"kiln:origin": "import", "team": "a"}


def test_duplicate_creates_answer_sagemakers_errors(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    suffix = uuid.uuid4().hex[:6]
    job = trained_churn_model(sm, s3)
    data = job["ModelArtifacts"]["S3ModelArtifacts"]
    model, group = "dup-" + suffix, "dup-group-" + suffix
    pipeline = dict(PipelineName="dup-" + suffix, PipelineDefinition=json.dumps(FAIL_ONLY), RoleArn=ROLE)
    sm.create_experiment(ExperimentName="dup-exp-" + suffix)
    creates = [
        # operation, arguments, SageMaker's code, what its message says
        (sm.create_training_job, dict(TrainingJobName=job["TrainingJobName"], RoleArn=ROLE, AlgorithmSpecification={"TrainingImage": XGBOOST, "TrainingInputMode": "File"},
                                      HyperParameters={"objective": "binary:logistic", "num_round": "5", "target_column": "churn"},
                                      InputDataConfig=[{"ChannelName": "train", "ContentType": "text/csv;header=present",
                                                        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/churn/train/"}}}],
                                      OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"}, ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
                                      StoppingCondition={"MaxRuntimeInSeconds": 600}),
         "ResourceInUse", f"Training job names must be unique within an AWS account and region, and a training job with this name already exists ({job['TrainingJobArn']})"),
        (sm.create_model, dict(ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": data}),
         "ValidationException", f'Cannot create already existing model "{arn("model", model)}".'),
        (sm.create_endpoint_config, dict(EndpointConfigName=model, ProductionVariants=[variant("only", model)]),
         "ValidationException", f'Cannot create already existing endpoint configuration "{arn("endpoint-config", model)}".'),
        (sm.create_endpoint, dict(EndpointName=model, EndpointConfigName=model),
         "ValidationException", f'Cannot create already existing endpoint "{arn("endpoint", model)}".'),
        (sm.create_model_package_group, dict(ModelPackageGroupName=group), "ValidationException", f"Model Package Group already exists: {arn('model-package-group', group)}"),
        (sm.create_pipeline, pipeline, "ValidationException", f"Pipeline names must be unique within an AWS account and region. Pipeline with name ({pipeline['PipelineName']}) already exists."),
        (sm.create_experiment, dict(ExperimentName="dup-exp2-" + suffix), "ValidationException", "already exists"),
        (sm.create_trial, dict(TrialName="dup-trial-" + suffix, ExperimentName="dup-exp-" + suffix), "ValidationException", "already exists"),
        (sm.create_trial_component, dict(TrialComponentName="dup-tc-" + suffix), "ValidationException", "already exists"),
        (sm.create_action, dict(ActionName="dup-action-" + suffix, ActionType="Cleaning", Source={"SourceUri": "s3://x/y"}), "ValidationException", "already exists"),
        (sm.create_context, dict(ContextName="dup-context-" + suffix, ContextType="Project", Source={"SourceUri": "kiln://p"}), "ValidationException", "already exists"),
    ]
    for create, arguments, code, phrase in creates:
        if create != sm.create_training_job:
            create(**arguments)
        got, message = error_of(create, **arguments)
        assert (got, phrase in message) == (code, True), (create.__name__, got, message)
    sm.delete_endpoint(EndpointName=model)


def test_processing_transform_tuning_and_automl_jobs_tags_and_duplicates(endpoint):
    """The other jobs: their Create tags are listed and changed by the tag calls; a second Create of a name is ResourceInUse."""
    from sagemaker_automl import put
    from sagemaker_training import upload_breast_cancer
    from sagemaker_tuning import BUCKET as TUNING_BUCKET, config, definition, wait as wait_tuning
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    suffix = uuid.uuid4().hex[:6]
    created = [{"Key": "team", "Value": "churn"}]
    job = trained_churn_model(sm, s3)

    processing = dict(ProcessingJobName="tagged-proc-" + suffix, RoleArn=ROLE, Tags=created,
                      ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5}},
                      AppSpecification={"ImageUri": "kiln/script", "ContainerEntrypoint": ["python3", "-c", "print('hello')"]})
    header, _, validation = churn_split()
    s3.put_object(Bucket=BUCKET, Key=f"tags/{suffix}/in/rows.csv", Body="\n".join(csv_line(row) for row in feature_rows(validation[:5], header)).encode())
    model = "tagged-transform-" + suffix
    sm.create_model(ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]})
    transform = dict(TransformJobName="tagged-transform-" + suffix, ModelName=model, Tags=created,
                     TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/tags/{suffix}/in/"}}, "ContentType": "text/csv", "SplitType": "Line"},
                     TransformOutput={"S3OutputPath": f"s3://{BUCKET}/tags/{suffix}/out"}, TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    ensure_bucket(s3, TUNING_BUCKET)
    prefix = upload_breast_cancer(s3, TUNING_BUCKET)
    tuning = dict(HyperParameterTuningJobName="tagged-hpo-" + suffix, HyperParameterTuningJobConfig=config("Random", 2, 1),
                  TrainingJobDefinition=definition(prefix), Tags=created)
    rows = [line.split(",") for line in open(os.path.join(DATA, "churn.csv")).read().splitlines()]
    uri = put(s3, f"tags/{suffix}/automl.csv", "\n".join(",".join(row) for row in rows[:400]) + "\n")
    automl = dict(AutoMLJobName="tagged-automl-" + suffix, RoleArn=ROLE, OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/tags/{suffix}/automl"},
                  GenerateCandidateDefinitionsOnly=True, Tags=created,
                  InputDataConfig=[{"TargetAttributeName": "churn", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}}}])

    jobs = [(sm.create_processing_job, processing, "ProcessingJobArn", "processing-job", "ProcessingJobName",
             "Job name must be unique within an AWS account and region, and a job with this name already exists"),
            (sm.create_transform_job, transform, "TransformJobArn", "transform-job", "TransformJobName",
             "Job name must be unique within an AWS account and region, and a job with this name already exists"),
            (sm.create_hyper_parameter_tuning_job, tuning, "HyperParameterTuningJobArn", "hyper-parameter-tuning-job", "HyperParameterTuningJobName", "already exists"),
            (sm.create_auto_ml_job, automl, "AutoMLJobArn", "automl-job", "AutoMLJobName", "already exists")]
    for create, arguments, arn_member, kind, name_member, phrase in jobs:
        job_arn = create(**arguments)[arn_member]
        assert job_arn == arn(kind, arguments[name_member]), job_arn
        round_trip(sm, job_arn, {"team": "churn"})
        code, message = error_of(create, **arguments)
        assert code == "ResourceInUse" and phrase in message and arguments[name_member] in message, (kind, code, message)
    assert wait_tuning(sm, tuning["HyperParameterTuningJobName"])["HyperParameterTuningJobStatus"] == "Completed"


def test_pipeline_upsert_as_the_sdk_does_it(endpoint):
    """Pipeline.upsert(): CreatePipeline; on ValidationException with "already exists", UpdatePipeline, then ListTags and AddTags."""
    sm = client("sagemaker", endpoint)
    name = "Upsert-" + uuid.uuid4().hex[:6]

    def upsert(definition, tags):
        try:
            return sm.create_pipeline(PipelineName=name, PipelineDefinition=json.dumps(definition), RoleArn=ROLE, Tags=tags)
        except botocore.exceptions.ClientError as ce:
            if not (ce.response["Error"]["Code"] == "ValidationException" and "already exists" in ce.response["Error"]["Message"]):
                raise
            response = sm.update_pipeline(PipelineName=name, PipelineDefinition=json.dumps(definition), RoleArn=ROLE)
            old_tags = sm.list_tags(ResourceArn=response["PipelineArn"])["Tags"]
            keys = [tag["Key"] for tag in tags]
            tags = tags + [old for old in old_tags if old["Key"] not in keys]
            sm.add_tags(ResourceArn=response["PipelineArn"], Tags=tags)
            return response

    first = upsert(FAIL_ONLY, [{"Key": "team", "Value": "a"}, {"Key": "kept", "Value": "yes"}])
    changed = dict(FAIL_ONLY, Steps=[{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "changed"}}])
    second = upsert(changed, [{"Key": "team", "Value": "b"}])
    assert first["PipelineArn"] == second["PipelineArn"]
    assert json.loads(sm.describe_pipeline(PipelineName=name)["PipelineDefinition"]) == changed
    assert all_tags(sm, second["PipelineArn"]) == {"team": "b", "kept": "yes"}


def test_register_model_step_creates_its_group(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    ensure_bucket(s3)
    s3.put_object(Bucket=BUCKET, Key="register/model.tar.gz", Body=b"model bytes")
    suffix = uuid.uuid4().hex[:6]
    group, name = "new-group-" + suffix, "register-" + suffix
    definition = {"Version": "2020-12-01", "Parameters": [], "Steps": [{"Name": "Register", "Type": "RegisterModel", "Arguments": {
        "ModelPackageGroupName": group, "ModelApprovalStatus": "PendingManualApproval",
        "InferenceSpecification": {"Containers": [{"Image": XGBOOST, "ModelDataUrl": f"s3://{BUCKET}/register/model.tar.gz"}],
                                   "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}}}]}
    assert error_of(sm.describe_model_package_group, ModelPackageGroupName=group)[0] == "ValidationException"
    sm.create_pipeline(PipelineName=name, PipelineDefinition=json.dumps(definition), RoleArn=ROLE)
    for _ in range(2):  # the second run registers a second version in the group the first made
        execution = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
        described = sm.describe_pipeline_execution(PipelineExecutionArn=execution)
        for _ in range(120):
            if described["PipelineExecutionStatus"] != "Executing":
                break
            time.sleep(1)
            described = sm.describe_pipeline_execution(PipelineExecutionArn=execution)
        assert described["PipelineExecutionStatus"] == "Succeeded", (described, sm.list_pipeline_execution_steps(PipelineExecutionArn=execution))
    assert sm.describe_model_package_group(ModelPackageGroupName=group)["ModelPackageGroupStatus"] == "Completed"
    packages = sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    assert sorted(p["ModelPackageVersion"] for p in packages) == [1, 2], packages


def test_model_package_deploys_as_the_sdk_does_it(endpoint):
    """ModelPackage(...).deploy(): DescribeModelPackage, approve it if it is not, CreateModel with only ModelPackageName, endpoint, invoke."""
    sm, runtime, s3 = client("sagemaker", endpoint), client("sagemaker-runtime", endpoint), client("s3", endpoint)
    job = trained_churn_model(sm, s3)
    suffix = uuid.uuid4().hex[:6]
    group = "deploy-pkg-" + suffix
    sm.create_model_package_group(ModelPackageGroupName=group)
    package_arn = sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification={
        "Containers": [{"Image": XGBOOST, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"], "Environment": {"FROM_PACKAGE": "1"}}],
        "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]})["ModelPackageArn"]

    code, message = error_of(sm.create_model, ModelName="pending-" + suffix, ExecutionRoleArn=ROLE, PrimaryContainer={"ModelPackageName": package_arn})
    assert code == "ValidationException" and "Approved" in message, message
    for missing in (arn("model-package", f"{group}/9"), arn("model-package", f"no-group-{suffix}/1"), group):
        assert error_of(sm.create_model, ModelName="missing-" + suffix, ExecutionRoleArn=ROLE, PrimaryContainer={"ModelPackageName": missing})[0] == "ValidationException"
    assert error_of(sm.create_model, ModelName="bad-" + suffix, ExecutionRoleArn=ROLE, PrimaryContainer={"ModelPackageName": "bad name!"})[0] == "ValidationException"

    if sm.describe_model_package(ModelPackageName=package_arn)["ModelApprovalStatus"] != "Approved":
        sm.update_model_package(ModelPackageArn=package_arn, ModelApprovalStatus="Approved")
    model = "from-package-" + suffix
    sm.create_model(ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={"ModelPackageName": package_arn, "Environment": {"EXTRA": "2"}}, EnableNetworkIsolation=False)
    described = sm.describe_model(ModelName=model)["PrimaryContainer"]
    assert described["Image"] == XGBOOST and described["ModelDataUrl"] == job["ModelArtifacts"]["S3ModelArtifacts"], described
    assert described["Environment"] == {"FROM_PACKAGE": "1", "EXTRA": "2"} and described["ModelPackageName"] == package_arn, described
    versioned = "by-name-" + suffix  # the versioned name, in Containers, is the same package
    sm.create_model(ModelName=versioned, ExecutionRoleArn=ROLE, Containers=[{"ModelPackageName": f"{group}/1"}])
    assert sm.describe_model(ModelName=versioned)["PrimaryContainer"]["ModelDataUrl"] == job["ModelArtifacts"]["S3ModelArtifacts"]

    name = deploy(sm, [variant("only", model)], name="pkg-ep-" + suffix)
    header, _, validation = churn_split()
    rows = feature_rows(validation[:10], header)
    body = "\n".join(csv_line(row) for row in rows)
    scores = [float(line) for line in runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=body)["Body"].read().decode().split()]
    assert len(scores) == 10 and all(0 <= s <= 1 for s in scores), scores
    sm.delete_endpoint(EndpointName=name)


if __name__ == "__main__":
    main({name: fn for name, fn in globals().items() if name.startswith("test_")})
