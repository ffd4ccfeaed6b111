using Kiln.Api.SageMaker.Generated;
using Kiln.Core.Monitoring;

namespace Kiln.Api.SageMaker;

/// <summary>
/// Model Monitor's model quality job definitions: an endpoint's captured predictions merged with uploaded ground truth.
/// Schedules and executions of every type go through <see cref="MonitoringApi"/>.
/// </summary>
internal static class ModelQualityMonitorApi
{
    private const string ModelQuality = MonitoringTypes.ModelQuality;

    public static void Register()
    {
        SageMakerApi.Add<CreateModelQualityJobDefinitionRequest>("CreateModelQualityJobDefinition", CreateAsync);
        SageMakerApi.Add<DescribeModelQualityJobDefinitionRequest>("DescribeModelQualityJobDefinition", DescribeAsync);
        SageMakerApi.Add<ListModelQualityJobDefinitionsRequest>("ListModelQualityJobDefinitions", ListAsync);
        SageMakerApi.Add<DeleteModelQualityJobDefinitionRequest>("DeleteModelQualityJobDefinition", DeleteAsync);
    }

    private static async Task<object?> CreateAsync(CreateModelQualityJobDefinitionRequest request, SageMakerCall call)
    {
        var input = request.ModelQualityJobInput!.EndpointInput
            ?? throw MonitoringApi.Invalid("ModelQualityJobInput.EndpointInput is required: Kiln monitors endpoints' captured data (BatchTransformInput is not supported yet).");
        var app = request.ModelQualityAppSpecification!;
        var cluster = request.JobResources!.ClusterConfig!;
        if (cluster.InstanceCount > 1)
        {
            throw MonitoringApi.Invalid($"Kiln analyzes on one instance, so JobResources.ClusterConfig.InstanceCount must be 1 (it is {cluster.InstanceCount}).");
        }

        if ((input.S3InputMode ?? "File") == "Pipe")
        {
            throw MonitoringApi.Invalid("ModelQualityJobInput.EndpointInput.S3InputMode Pipe is not supported by Kiln; use File.");
        }

        var definition = new MonitorJobDefinition
        {
            Name = request.JobDefinitionName!,
            MonitoringType = ModelQuality,
            ImageUri = app.ImageUri!,
            ContainerEntrypoint = app.ContainerEntrypoint ?? [],
            ContainerArguments = app.ContainerArguments ?? [],
            Environment = app.Environment ?? [],
            RecordPreprocessorSourceUri = app.RecordPreprocessorSourceUri,
            PostAnalyticsProcessorSourceUri = app.PostAnalyticsProcessorSourceUri,
            BaseliningJobName = request.ModelQualityBaselineConfig?.BaseliningJobName,
            BaselineConstraintsUri = request.ModelQualityBaselineConfig?.ConstraintsResource?.S3Uri,
            EndpointName = input.EndpointName!,
            LocalPath = input.LocalPath!,
            S3InputMode = input.S3InputMode ?? "File",
            S3DataDistributionType = input.S3DataDistributionType ?? "FullyReplicated",
            StartTimeOffset = input.StartTimeOffset,
            EndTimeOffset = input.EndTimeOffset,
            Outputs = request.ModelQualityJobOutputConfig!.MonitoringOutputs!
                .Select(output => new MonitoringOutputSpec(output.S3Output!.S3Uri!, output.S3Output.LocalPath!, output.S3Output.S3UploadMode ?? "EndOfJob")).ToList(),
            InstanceType = cluster.InstanceType!,
            InstanceCount = cluster.InstanceCount!.Value,
            VolumeSizeInGB = cluster.VolumeSizeInGB!.Value,
            MaxRuntimeInSeconds = request.StoppingCondition?.MaxRuntimeInSeconds ?? 3600,
            RoleArn = request.RoleArn!,
            Tags = MonitoringApi.Tags(request.Tags),
            CreationTime = call.Service<TimeProvider>().GetUtcNow(),
            ModelQuality = new ModelQualitySpec(
                app.ProblemType ?? throw MonitoringApi.Invalid("ModelQualityAppSpecification.ProblemType is required: BinaryClassification, MulticlassClassification or Regression."),
                request.ModelQualityJobInput.GroundTruthS3Input?.S3Uri ?? throw MonitoringApi.Invalid("ModelQualityJobInput.GroundTruthS3Input.S3Uri is required: where the ground truth labels are uploaded."),
                input.InferenceAttribute,
                input.ProbabilityAttribute,
                input.ProbabilityThresholdAttribute),
        };

        var created = await call.Service<MonitoringService>().CreateJobDefinitionAsync(definition, call.Aborted);
        return new CreateModelQualityJobDefinitionResponse { JobDefinitionArn = Arn(call, created.Name) };
    }

    private static async Task<object?> DescribeAsync(DescribeModelQualityJobDefinitionRequest request, SageMakerCall call)
    {
        var definition = await call.Service<MonitoringService>().DescribeJobDefinitionAsync(request.JobDefinitionName!, ModelQuality, call.Aborted);
        var quality = definition.ModelQuality!;
        return new DescribeModelQualityJobDefinitionResponse
        {
            JobDefinitionArn = MonitorJobDefinitionShapes.Arn(call, definition),
            JobDefinitionName = definition.Name,
            CreationTime = definition.CreationTime,
            ModelQualityBaselineConfig = definition.BaselineConstraintsUri is null && definition.BaseliningJobName is null ? null : new ModelQualityBaselineConfig
            {
                BaseliningJobName = definition.BaseliningJobName,
                ConstraintsResource = MonitorJobDefinitionShapes.ConstraintsOf(definition),
            },
            ModelQualityAppSpecification = new ModelQualityAppSpecification
            {
                ImageUri = definition.ImageUri,
                ContainerEntrypoint = MonitorJobDefinitionShapes.ListOrNull(definition.ContainerEntrypoint),
                ContainerArguments = MonitorJobDefinitionShapes.ListOrNull(definition.ContainerArguments),
                RecordPreprocessorSourceUri = definition.RecordPreprocessorSourceUri,
                PostAnalyticsProcessorSourceUri = definition.PostAnalyticsProcessorSourceUri,
                ProblemType = quality.ProblemType,
                Environment = MonitorJobDefinitionShapes.EnvironmentOf(definition),
            },
            ModelQualityJobInput = new ModelQualityJobInput
            {
                EndpointInput = MonitorJobDefinitionShapes.EndpointInputOf(definition) with
                {
                    InferenceAttribute = quality.InferenceAttribute,
                    ProbabilityAttribute = quality.ProbabilityAttribute,
                    ProbabilityThresholdAttribute = quality.ProbabilityThresholdAttribute,
                },
                GroundTruthS3Input = new MonitoringGroundTruthS3Input { S3Uri = quality.GroundTruthS3Uri },
            },
            ModelQualityJobOutputConfig = MonitorJobDefinitionShapes.OutputsOf(definition),
            JobResources = MonitorJobDefinitionShapes.ResourcesOf(definition),
            RoleArn = definition.RoleArn,
            StoppingCondition = MonitorJobDefinitionShapes.StoppingOf(definition),
        };
    }

    private static async Task<object?> ListAsync(ListModelQualityJobDefinitionsRequest request, SageMakerCall call)
    {
        var query = MonitoringApi.Query(request.NameContains, null, request.CreationTimeAfter, request.CreationTimeBefore, null, null, request.SortBy, request.SortOrder, request.MaxResults, request.NextToken);
        var page = await call.Service<MonitoringService>().ListJobDefinitionsAsync(query, request.EndpointName, ModelQuality, call.Aborted);
        return new ListModelQualityJobDefinitionsResponse
        {
            JobDefinitionSummaries = page.Items.Select(definition => MonitorJobDefinitionShapes.Summary(call, definition)).ToList(),
            NextToken = page.NextPageToken,
        };
    }

    private static async Task<object?> DeleteAsync(DeleteModelQualityJobDefinitionRequest request, SageMakerCall call)
    {
        await call.Service<MonitoringService>().DeleteJobDefinitionAsync(request.JobDefinitionName!, ModelQuality, call.Aborted);
        return null;
    }

    private static string Arn(SageMakerCall call, string name) => call.Arn("model-quality-job-definition", name);
}
