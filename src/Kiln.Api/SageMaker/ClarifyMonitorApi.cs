using Kiln.Api.SageMaker.Generated;
using Kiln.Core.Monitoring;

namespace Kiln.Api.SageMaker;

/// <summary>
/// Model Monitor's Clarify slice: ModelBias and ModelExplainability job definitions. Both are
/// <see cref="MonitorJobDefinition"/>s with a <see cref="ClarifyMonitorSpec"/>; each API sees only its own type.
/// </summary>
internal static class ClarifyMonitorApi
{
    public static void Register()
    {
        SageMakerApi.Add<CreateModelBiasJobDefinitionRequest>("CreateModelBiasJobDefinition", CreateBiasAsync);
        SageMakerApi.Add<DescribeModelBiasJobDefinitionRequest>("DescribeModelBiasJobDefinition", DescribeBiasAsync);
        SageMakerApi.Add<ListModelBiasJobDefinitionsRequest>("ListModelBiasJobDefinitions", ListBiasAsync);
        SageMakerApi.Add<DeleteModelBiasJobDefinitionRequest>("DeleteModelBiasJobDefinition", (request, call) => DeleteAsync(MonitoringTypes.ModelBias, request.JobDefinitionName!, call));
        SageMakerApi.Add<CreateModelExplainabilityJobDefinitionRequest>("CreateModelExplainabilityJobDefinition", CreateExplainabilityAsync);
        SageMakerApi.Add<DescribeModelExplainabilityJobDefinitionRequest>("DescribeModelExplainabilityJobDefinition", DescribeExplainabilityAsync);
        SageMakerApi.Add<ListModelExplainabilityJobDefinitionsRequest>("ListModelExplainabilityJobDefinitions", ListExplainabilityAsync);
        SageMakerApi.Add<DeleteModelExplainabilityJobDefinitionRequest>("DeleteModelExplainabilityJobDefinition", (request, call) => DeleteAsync(MonitoringTypes.ModelExplainability, request.JobDefinitionName!, call));
    }

    private static async Task<object?> CreateBiasAsync(CreateModelBiasJobDefinitionRequest request, SageMakerCall call)
    {
        var app = request.ModelBiasAppSpecification!;
        var input = request.ModelBiasJobInput!;
        var definition = Definition(
            MonitoringTypes.ModelBias, request.JobDefinitionName!, app.ImageUri!, app.Environment, input.EndpointInput, "ModelBiasJobInput",
            new ClarifyMonitorSpec(app.ConfigUri!, GroundTruthS3Uri: input.GroundTruthS3Input?.S3Uri),
            request.ModelBiasBaselineConfig?.BaseliningJobName, request.ModelBiasBaselineConfig?.ConstraintsResource?.S3Uri,
            request.ModelBiasJobOutputConfig!, request.JobResources!, request.StoppingCondition, request.RoleArn!, request.Tags, call);
        var created = await call.Service<ClarifyMonitorService>().CreateAsync(definition, call.Aborted);
        return new CreateModelBiasJobDefinitionResponse { JobDefinitionArn = Arn(call, created) };
    }

    private static async Task<object?> CreateExplainabilityAsync(CreateModelExplainabilityJobDefinitionRequest request, SageMakerCall call)
    {
        var app = request.ModelExplainabilityAppSpecification!;
        var definition = Definition(
            MonitoringTypes.ModelExplainability, request.JobDefinitionName!, app.ImageUri!, app.Environment, request.ModelExplainabilityJobInput!.EndpointInput, "ModelExplainabilityJobInput",
            new ClarifyMonitorSpec(app.ConfigUri!),
            request.ModelExplainabilityBaselineConfig?.BaseliningJobName, request.ModelExplainabilityBaselineConfig?.ConstraintsResource?.S3Uri,
            request.ModelExplainabilityJobOutputConfig!, request.JobResources!, request.StoppingCondition, request.RoleArn!, request.Tags, call);
        var created = await call.Service<ClarifyMonitorService>().CreateAsync(definition, call.Aborted);
        return new CreateModelExplainabilityJobDefinitionResponse { JobDefinitionArn = Arn(call, created) };
    }

    private static MonitorJobDefinition Definition(
        string type, string name, string imageUri, Dictionary<string, string>? environment, EndpointInput? input, string inputField, ClarifyMonitorSpec clarify,
        string? baseliningJob, string? constraintsUri, MonitoringOutputConfig outputs, MonitoringResources resources, MonitoringStoppingCondition? stopping,
        string roleArn, List<Generated.Tag>? tags, SageMakerCall call)
    {
        if (input is null)
        {
            throw Invalid($"{inputField}.EndpointInput is required: Kiln monitors endpoints' captured data (BatchTransformInput is not supported yet).");
        }

        if (input.S3InputMode == "Pipe")
        {
            throw Invalid($"{inputField}.EndpointInput.S3InputMode Pipe is not supported by Kiln; use File.");
        }

        var cluster = resources.ClusterConfig!;
        if (cluster.InstanceCount > 1)
        {
            throw Invalid($"Kiln analyzes on one instance, so JobResources.ClusterConfig.InstanceCount must be 1 (it is {cluster.InstanceCount}).");
        }

        return new MonitorJobDefinition
        {
            Name = name,
            MonitoringType = type,
            ImageUri = imageUri,
            Environment = environment ?? [],
            BaseliningJobName = baseliningJob,
            BaselineConstraintsUri = constraintsUri,
            EndpointName = input.EndpointName!,
            LocalPath = input.LocalPath!,
            S3InputMode = input.S3InputMode ?? "File",
            S3DataDistributionType = input.S3DataDistributionType ?? "FullyReplicated",
            StartTimeOffset = input.StartTimeOffset,
            EndTimeOffset = input.EndTimeOffset,
            Outputs = outputs.MonitoringOutputs!
                .Select(output => new MonitoringOutputSpec(output.S3Output!.S3Uri!, output.S3Output.LocalPath!, output.S3Output.S3UploadMode ?? "EndOfJob")).ToList(),
            InstanceType = cluster.InstanceType!,
            InstanceCount = cluster.InstanceCount!.Value,
            VolumeSizeInGB = cluster.VolumeSizeInGB!.Value,
            MaxRuntimeInSeconds = stopping?.MaxRuntimeInSeconds ?? 3600,
            RoleArn = roleArn,
            Tags = MonitoringApi.Tags(tags),
            CreationTime = call.Service<TimeProvider>().GetUtcNow(),
            Clarify = clarify with
            {
                FeaturesAttribute = input.FeaturesAttribute,
                InferenceAttribute = input.InferenceAttribute,
                ProbabilityAttribute = input.ProbabilityAttribute,
                ProbabilityThresholdAttribute = input.ProbabilityThresholdAttribute,
            },
        };
    }

    private static async Task<object?> DescribeBiasAsync(DescribeModelBiasJobDefinitionRequest request, SageMakerCall call)
    {
        var definition = await call.Service<ClarifyMonitorService>().DescribeAsync(MonitoringTypes.ModelBias, request.JobDefinitionName!, call.Aborted);
        var clarify = definition.Clarify!;
        return new DescribeModelBiasJobDefinitionResponse
        {
            JobDefinitionArn = Arn(call, definition),
            JobDefinitionName = definition.Name,
            CreationTime = definition.CreationTime,
            ModelBiasBaselineConfig = definition.BaselineConstraintsUri is null && definition.BaseliningJobName is null ? null : new ModelBiasBaselineConfig
            {
                BaseliningJobName = definition.BaseliningJobName,
                ConstraintsResource = MonitorJobDefinitionShapes.ConstraintsOf(definition),
            },
            ModelBiasAppSpecification = new ModelBiasAppSpecification
            {
                ImageUri = definition.ImageUri,
                ConfigUri = clarify.ConfigUri,
                Environment = MonitorJobDefinitionShapes.EnvironmentOf(definition),
            },
            ModelBiasJobInput = new ModelBiasJobInput
            {
                EndpointInput = EndpointInputOf(definition),
                GroundTruthS3Input = new MonitoringGroundTruthS3Input { S3Uri = clarify.GroundTruthS3Uri },
            },
            ModelBiasJobOutputConfig = MonitorJobDefinitionShapes.OutputsOf(definition),
            JobResources = MonitorJobDefinitionShapes.ResourcesOf(definition),
            RoleArn = definition.RoleArn,
            StoppingCondition = MonitorJobDefinitionShapes.StoppingOf(definition),
        };
    }

    private static async Task<object?> DescribeExplainabilityAsync(DescribeModelExplainabilityJobDefinitionRequest request, SageMakerCall call)
    {
        var definition = await call.Service<ClarifyMonitorService>().DescribeAsync(MonitoringTypes.ModelExplainability, request.JobDefinitionName!, call.Aborted);
        return new DescribeModelExplainabilityJobDefinitionResponse
        {
            JobDefinitionArn = Arn(call, definition),
            JobDefinitionName = definition.Name,
            CreationTime = definition.CreationTime,
            ModelExplainabilityBaselineConfig = definition.BaselineConstraintsUri is null && definition.BaseliningJobName is null ? null : new ModelExplainabilityBaselineConfig
            {
                BaseliningJobName = definition.BaseliningJobName,
                ConstraintsResource = MonitorJobDefinitionShapes.ConstraintsOf(definition),
            },
            ModelExplainabilityAppSpecification = new ModelExplainabilityAppSpecification
            {
                ImageUri = definition.ImageUri,
                ConfigUri = definition.Clarify!.ConfigUri,
                Environment = MonitorJobDefinitionShapes.EnvironmentOf(definition),
            },
            ModelExplainabilityJobInput = new ModelExplainabilityJobInput { EndpointInput = EndpointInputOf(definition) },
            ModelExplainabilityJobOutputConfig = MonitorJobDefinitionShapes.OutputsOf(definition),
            JobResources = MonitorJobDefinitionShapes.ResourcesOf(definition),
            RoleArn = definition.RoleArn,
            StoppingCondition = MonitorJobDefinitionShapes.StoppingOf(definition),
        };
    }

    private static async Task<object?> ListBiasAsync(ListModelBiasJobDefinitionsRequest request, SageMakerCall call)
    {
        var query = MonitoringApi.Query(request.NameContains, null, request.CreationTimeAfter, request.CreationTimeBefore, null, null, request.SortBy, request.SortOrder, request.MaxResults, request.NextToken);
        var (summaries, next) = await SummariesAsync(MonitoringTypes.ModelBias, query, request.EndpointName, call);
        return new ListModelBiasJobDefinitionsResponse { JobDefinitionSummaries = summaries, NextToken = next };
    }

    private static async Task<object?> ListExplainabilityAsync(ListModelExplainabilityJobDefinitionsRequest request, SageMakerCall call)
    {
        var query = MonitoringApi.Query(request.NameContains, null, request.CreationTimeAfter, request.CreationTimeBefore, null, null, request.SortBy, request.SortOrder, request.MaxResults, request.NextToken);
        var (summaries, next) = await SummariesAsync(MonitoringTypes.ModelExplainability, query, request.EndpointName, call);
        return new ListModelExplainabilityJobDefinitionsResponse { JobDefinitionSummaries = summaries, NextToken = next };
    }

    private static async Task<(List<MonitoringJobDefinitionSummary> Summaries, string? NextToken)> SummariesAsync(string type, Core.Common.ListQuery query, string? endpointName, SageMakerCall call)
    {
        var page = await call.Service<ClarifyMonitorService>().ListAsync(type, query, endpointName, call.Aborted);
        return (page.Items.Select(definition => MonitorJobDefinitionShapes.Summary(call, definition)).ToList(), page.NextPageToken);
    }

    private static async Task<object?> DeleteAsync(string type, string name, SageMakerCall call)
    {
        await call.Service<ClarifyMonitorService>().DeleteAsync(type, name, call.Aborted);
        return null;
    }

    private static EndpointInput EndpointInputOf(MonitorJobDefinition definition) => MonitorJobDefinitionShapes.EndpointInputOf(definition) with
    {
        FeaturesAttribute = definition.Clarify?.FeaturesAttribute,
        InferenceAttribute = definition.Clarify?.InferenceAttribute,
        ProbabilityAttribute = definition.Clarify?.ProbabilityAttribute,
        ProbabilityThresholdAttribute = definition.Clarify?.ProbabilityThresholdAttribute,
    };

    private static string Arn(SageMakerCall call, MonitorJobDefinition definition) => MonitorJobDefinitionShapes.Arn(call, definition);

    private static SageMakerException Invalid(string message) => new("ValidationException", message);
}
