using Kiln.Api.SageMaker.Generated;
using Kiln.Core.Monitoring;

namespace Kiln.Api.SageMaker;

/// <summary>The parts of a job definition's Describe and List answers that every monitoring type shares, one way for all four.</summary>
internal static class MonitorJobDefinitionShapes
{
    /// <summary>The definition's ARN, its resource type named after its monitoring type (data-quality-job-definition, …).</summary>
    public static string Arn(SageMakerCall call, MonitorJobDefinition definition) => call.Arn(definition.MonitoringType switch
    {
        MonitoringTypes.ModelQuality => "model-quality-job-definition",
        MonitoringTypes.ModelBias => "model-bias-job-definition",
        MonitoringTypes.ModelExplainability => "model-explainability-job-definition",
        _ => "data-quality-job-definition",
    }, definition.Name);

    /// <summary>A List*JobDefinitions entry; a batch transform monitor has no endpoint, so EndpointName is left out.</summary>
    public static MonitoringJobDefinitionSummary Summary(SageMakerCall call, MonitorJobDefinition definition) => new()
    {
        MonitoringJobDefinitionName = definition.Name,
        MonitoringJobDefinitionArn = Arn(call, definition),
        CreationTime = definition.CreationTime,
        EndpointName = definition.EndpointName.Length == 0 ? null : definition.EndpointName,
    };

    /// <summary>The endpoint input's fields every type has; a type adds its attributes with <c>with</c>.</summary>
    public static EndpointInput EndpointInputOf(MonitorJobDefinition definition) => new()
    {
        EndpointName = definition.EndpointName,
        LocalPath = definition.LocalPath,
        S3InputMode = definition.S3InputMode,
        S3DataDistributionType = definition.S3DataDistributionType,
        StartTimeOffset = definition.StartTimeOffset,
        EndTimeOffset = definition.EndTimeOffset,
    };

    public static MonitoringConstraintsResource? ConstraintsOf(MonitorJobDefinition definition) =>
        definition.BaselineConstraintsUri is null ? null : new MonitoringConstraintsResource { S3Uri = definition.BaselineConstraintsUri };

    public static MonitoringOutputConfig OutputsOf(MonitorJobDefinition definition) => new()
    {
        MonitoringOutputs = definition.Outputs.Select(output => new MonitoringOutput
        {
            S3Output = new MonitoringS3Output { S3Uri = output.S3Uri, LocalPath = output.LocalPath, S3UploadMode = output.UploadMode },
        }).ToList(),
    };

    public static MonitoringResources ResourcesOf(MonitorJobDefinition definition) => new()
    {
        ClusterConfig = new MonitoringClusterConfig { InstanceCount = definition.InstanceCount, InstanceType = definition.InstanceType, VolumeSizeInGB = definition.VolumeSizeInGB },
    };

    public static MonitoringStoppingCondition StoppingOf(MonitorJobDefinition definition) => new() { MaxRuntimeInSeconds = definition.MaxRuntimeInSeconds };

    /// <summary>The environment, left out when empty as SageMaker does.</summary>
    public static Dictionary<string, string>? EnvironmentOf(MonitorJobDefinition definition) => definition.Environment.Count == 0 ? null : definition.Environment.ToDictionary();

    /// <summary>A container entrypoint or argument list, left out when empty.</summary>
    public static List<string>? ListOrNull(IReadOnlyList<string> values) => values.Count == 0 ? null : values.ToList();
}
