namespace Kiln.Studio;

/// <summary>
/// An area of Studio in the navigation. Areas with a <see cref="Href"/> have pages; the others open the "coming" page,
/// which lists the API calls that already serve the area (what exists today, without a page yet).
/// </summary>
public sealed record StudioArea(string Slug, string Title, string? Href, IReadOnlyList<string> Api)
{
    public string Link => Href ?? $"/coming/{Slug}";
}

public static class Areas
{
    public static readonly IReadOnlyList<StudioArea> All =
    [
        new("home", "Home", "/", []),
        new("experiments", "Experiments", "/experiments", []),
        new("models", "Models", "/models",
        [
            "MLflow: /api/2.0/mlflow/registered-models/*, /api/2.0/mlflow/model-versions/* (aliases, stages, tags)",
            "SageMaker: CreateModelPackageGroup, ListModelPackageGroups, CreateModelPackage, ListModelPackages, DescribeModelPackage, UpdateModelPackage (approval)",
            "Kiln: GET /api/kiln/model-packages/{group}/{version} (approval history)",
        ]),
        new("jobs", "Jobs", "/jobs", []),
        new("tuning", "Tuning", "/tuning", []),
        new("automl", "AutoML", "/automl",
        [
            "SageMaker: CreateAutoMLJob, CreateAutoMLJobV2, DescribeAutoMLJob, DescribeAutoMLJobV2, ListAutoMLJobs, ListCandidatesForAutoMLJob, StopAutoMLJob",
            "Kiln: GET /api/kiln/automl-jobs/{name}/reports/{report}",
        ]),
        new("endpoints", "Endpoints", "/endpoints",
        [
            "SageMaker: CreateModel, CreateEndpointConfig, CreateEndpoint, DescribeEndpoint, ListEndpoints, UpdateEndpoint, UpdateEndpointWeightsAndCapacities",
            "SageMaker Runtime: InvokeEndpoint",
            "Kiln: GET /api/kiln/endpoints/{name}/traffic, POST /api/kiln/endpoints/{name}/feedback",
        ]),
        new("pipelines", "Pipelines", "/pipelines",
        [
            "SageMaker: CreatePipeline, DescribePipeline, ListPipelines, StartPipelineExecution, DescribePipelineExecution, ListPipelineExecutions, ListPipelineExecutionSteps, StopPipelineExecution, RetryPipelineExecution",
        ]),
        new("lineage", "Lineage", "/lineage",
        [
            "SageMaker: CreateArtifact, CreateAction, CreateContext, AddAssociation, ListAssociations, QueryLineage",
        ]),
        new("monitoring", "Monitoring", "/monitoring",
        [
            "SageMaker: CreateDataQualityJobDefinition, CreateModelQualityJobDefinition, CreateModelBiasJobDefinition, CreateModelExplainabilityJobDefinition",
            "SageMaker: CreateMonitoringSchedule, ListMonitoringSchedules, ListMonitoringExecutions, ListMonitoringAlerts, ListMonitoringAlertHistory",
            "Kiln: POST /api/kiln/monitoring-schedules/{name}/run-now, GET /api/kiln/monitoring-schedules/{name}/violations",
        ]),
    ];

    public static StudioArea? Find(string slug) => All.FirstOrDefault(area => area.Slug == slug);
}
