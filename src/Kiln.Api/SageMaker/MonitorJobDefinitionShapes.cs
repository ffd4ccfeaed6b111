using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Api.SageMaker.Generated;
using Kiln.Core.Common;
using Kiln.Core.Monitoring;

namespace Kiln.Api.SageMaker;

/// <summary>
/// The parts of the four job definition APIs (DataQuality, ModelQuality, ModelBias, ModelExplainability) that every
/// monitoring type shares, one way for all four. botocore gives each type its own shapes, but they carry the same
/// members under names prefixed by the type (<c>DataQualityJobInput</c>, <c>ModelBiasJobOutputConfig</c>, …), so the
/// common members are read from and written to a request or answer by those names; each API maps only its own parts.
/// </summary>
internal static class MonitorJobDefinitionShapes
{
    /// <summary>The members of a *AppSpecification that more than one type has.</summary>
    private sealed record AppPart(
        string? ImageUri,
        List<string>? ContainerEntrypoint,
        List<string>? ContainerArguments,
        string? RecordPreprocessorSourceUri,
        string? PostAnalyticsProcessorSourceUri,
        Dictionary<string, string>? Environment);

    /// <summary>The members of a *JobInput that more than one type has.</summary>
    private sealed record InputPart(EndpointInput? EndpointInput, BatchTransformInput? BatchTransformInput);

    /// <summary>The definition's ARN, its resource type named after its monitoring type (data-quality-job-definition, …).</summary>
    public static string Arn(SageMakerCall call, MonitorJobDefinition definition) => Arn(call, definition.MonitoringType, definition.Name);

    public static string Arn(SageMakerCall call, string monitoringType, string name) => call.Arn(monitoringType switch
    {
        MonitoringTypes.ModelQuality => "model-quality-job-definition",
        MonitoringTypes.ModelBias => "model-bias-job-definition",
        MonitoringTypes.ModelExplainability => "model-explainability-job-definition",
        _ => "data-quality-job-definition",
    }, name);

    /// <summary>
    /// A Create{type}JobDefinition request's common parts as a definition of <paramref name="monitoringType"/>; the
    /// caller adds its type's own settings. Data quality and model quality read a batch transform's capture.
    /// </summary>
    public static MonitorJobDefinition FromRequest(object request, string monitoringType, SageMakerCall call)
    {
        var json = JsonSerializer.SerializeToNode(request, request.GetType(), AwsJson.Options)!.AsObject();
        T? Part<T>(string name) => json[name] is { } node ? node.Deserialize<T>(AwsJson.Options) : default;

        var inputField = $"{monitoringType}JobInput";
        var input = Part<InputPart>(inputField)!;
        if (input.BatchTransformInput is not null && monitoringType is not (MonitoringTypes.DataQuality or MonitoringTypes.ModelQuality))
        {
            throw MonitoringApi.Invalid($"{inputField}.BatchTransformInput is not supported by Kiln for {monitoringType} monitors yet; use EndpointInput (data quality and model quality monitors read batch transform captures).");
        }

        var app = Part<AppPart>($"{monitoringType}AppSpecification")!;
        return Build(
            json["JobDefinitionName"]!.GetValue<string>(),
            monitoringType,
            InputOf(input.EndpointInput, input.BatchTransformInput, inputField),
            new MonitoringAppSpecification
            {
                ImageUri = app.ImageUri,
                ContainerEntrypoint = app.ContainerEntrypoint,
                ContainerArguments = app.ContainerArguments,
                RecordPreprocessorSourceUri = app.RecordPreprocessorSourceUri,
                PostAnalyticsProcessorSourceUri = app.PostAnalyticsProcessorSourceUri,
            },
            app.Environment,
            Part<MonitoringBaselineConfig>($"{monitoringType}BaselineConfig"),
            Part<MonitoringOutputConfig>($"{monitoringType}JobOutputConfig")!,
            Part<MonitoringResources>("JobResources")!.ClusterConfig!,
            Part<MonitoringStoppingCondition>("StoppingCondition"),
            json["RoleArn"]!.GetValue<string>(),
            "JobResources",
            inputField) with
        {
            Tags = MonitoringApi.Tags(Part<List<Generated.Tag>>("Tags")),
            CreationTime = call.Service<TimeProvider>().GetUtcNow(),
        };
    }

    /// <summary>
    /// A job definition from its parts, whether they arrive in a Create*JobDefinition request or inline in a schedule
    /// (the two carry the same parts under different shape names).
    /// </summary>
    public static MonitorJobDefinition Build(
        string name,
        string monitoringType,
        (EndpointInput Input, BatchTransformCapture? Batch) source,
        MonitoringAppSpecification app,
        Dictionary<string, string>? environment,
        MonitoringBaselineConfig? baseline,
        MonitoringOutputConfig outputs,
        MonitoringClusterConfig cluster,
        MonitoringStoppingCondition? stopping,
        string roleArn,
        string resourcesField,
        string inputField)
    {
        if (cluster.InstanceCount > 1)
        {
            throw MonitoringApi.Invalid($"Kiln analyzes on one instance, so {resourcesField}.ClusterConfig.InstanceCount must be 1 (it is {cluster.InstanceCount}).");
        }

        var (input, batch) = source;
        if (input.S3InputMode == "Pipe")
        {
            throw MonitoringApi.Invalid($"{inputField} S3InputMode Pipe is not supported by Kiln; use File.");
        }

        return new MonitorJobDefinition
        {
            Name = name,
            MonitoringType = monitoringType,
            ImageUri = app.ImageUri!,
            ContainerEntrypoint = app.ContainerEntrypoint ?? [],
            ContainerArguments = app.ContainerArguments ?? [],
            Environment = environment ?? [],
            RecordPreprocessorSourceUri = app.RecordPreprocessorSourceUri,
            PostAnalyticsProcessorSourceUri = app.PostAnalyticsProcessorSourceUri,
            BaseliningJobName = baseline?.BaseliningJobName,
            BaselineConstraintsUri = baseline?.ConstraintsResource?.S3Uri,
            BaselineStatisticsUri = baseline?.StatisticsResource?.S3Uri,
            EndpointName = input.EndpointName ?? "",
            LocalPath = input.LocalPath!,
            S3InputMode = input.S3InputMode ?? "File",
            S3DataDistributionType = input.S3DataDistributionType ?? "FullyReplicated",
            StartTimeOffset = input.StartTimeOffset,
            EndTimeOffset = input.EndTimeOffset,
            BatchTransform = batch,
            Outputs = outputs.MonitoringOutputs!
                .Select(output => new MonitoringOutputSpec(output.S3Output!.S3Uri!, output.S3Output.LocalPath!, output.S3Output.S3UploadMode ?? "EndOfJob")).ToList(),
            InstanceType = cluster.InstanceType!,
            InstanceCount = cluster.InstanceCount!.Value,
            VolumeSizeInGB = cluster.VolumeSizeInGB!.Value,
            MaxRuntimeInSeconds = stopping?.MaxRuntimeInSeconds ?? 3600,
            RoleArn = roleArn,
            CreationTime = DateTimeOffset.MinValue,
        };
    }

    /// <summary>
    /// A Describe{type}JobDefinition answer with the parts every type has (ARN, name, baseline, app image and
    /// environment, input, outputs, resources, role, stopping condition); the caller adds its type's own with <c>with</c>.
    /// </summary>
    public static TResponse Describe<TResponse>(SageMakerCall call, MonitorJobDefinition definition)
    {
        var type = definition.MonitoringType;
        var json = new JsonObject
        {
            ["JobDefinitionArn"] = Arn(call, definition),
            ["JobDefinitionName"] = definition.Name,
            ["CreationTime"] = Node(definition.CreationTime),
            [$"{type}BaselineConfig"] = Node(BaselineOf(definition)),
            [$"{type}AppSpecification"] = Node(new AppPart(
                definition.ImageUri,
                ListOrNull(definition.ContainerEntrypoint),
                ListOrNull(definition.ContainerArguments),
                definition.RecordPreprocessorSourceUri,
                definition.PostAnalyticsProcessorSourceUri,
                EnvironmentOf(definition))),
            [$"{type}JobInput"] = Node(new InputPart(definition.BatchTransform is null ? EndpointInputOf(definition) : null, BatchTransformInputOf(definition))),
            [$"{type}JobOutputConfig"] = Node(OutputsOf(definition)),
            ["JobResources"] = Node(ResourcesOf(definition)),
            ["RoleArn"] = definition.RoleArn,
            ["StoppingCondition"] = Node(StoppingOf(definition)),
        };
        return json.Deserialize<TResponse>(AwsJson.Options)!;
    }

    /// <summary>A page of List{type}JobDefinitions; a batch transform monitor has no endpoint, so EndpointName is left out.</summary>
    public static async Task<(List<MonitoringJobDefinitionSummary> Summaries, string? NextToken)> ListAsync(
        string monitoringType, ListQuery query, string? endpointName, SageMakerCall call)
    {
        var page = await call.Service<MonitoringService>().ListJobDefinitionsAsync(query, endpointName, monitoringType, call.Aborted);
        var summaries = page.Items.Select(definition => new MonitoringJobDefinitionSummary
        {
            MonitoringJobDefinitionName = definition.Name,
            MonitoringJobDefinitionArn = Arn(call, definition),
            CreationTime = definition.CreationTime,
            EndpointName = definition.EndpointName.Length == 0 ? null : definition.EndpointName,
        }).ToList();
        return (summaries, page.NextPageToken);
    }

    /// <summary>
    /// A job input as an EndpointInput (a batch transform's BatchTransformInput is mapped onto one, without an endpoint)
    /// and, for a batch transform, where its capture is and how its files read.
    /// </summary>
    public static (EndpointInput Input, BatchTransformCapture? Batch) InputOf(EndpointInput? endpointInput, BatchTransformInput? batchInput, string field)
    {
        if (endpointInput is not null == batchInput is not null)
        {
            throw MonitoringApi.Invalid($"{field} needs exactly one of EndpointInput and BatchTransformInput.");
        }

        if (endpointInput is { } endpoint)
        {
            return (endpoint, null);
        }

        var batch = batchInput!;
        var format = batch.DatasetFormat!;
        if (format.Parquet is not null || (format.Csv is null == (format.Json is null)))
        {
            throw MonitoringApi.Invalid("BatchTransformInput.DatasetFormat must name one of Csv and Json (Kiln does not read Parquet captures).");
        }

        var capture = format.Json is { } json
            ? new BatchTransformCapture(batch.DataCapturedDestinationS3Uri!, BatchTransformCapture.Json, Line: json.Line ?? false)
            : new BatchTransformCapture(batch.DataCapturedDestinationS3Uri!, BatchTransformCapture.Csv, Header: format.Csv!.Header ?? false);
        return (new EndpointInput
        {
            LocalPath = batch.LocalPath,
            S3InputMode = batch.S3InputMode,
            S3DataDistributionType = batch.S3DataDistributionType,
            StartTimeOffset = batch.StartTimeOffset,
            EndTimeOffset = batch.EndTimeOffset,
        }, capture);
    }

    public static BatchTransformInput? BatchTransformInputOf(MonitorJobDefinition definition) =>
        definition.BatchTransform is not { } batch ? null : new BatchTransformInput
        {
            DataCapturedDestinationS3Uri = batch.DestinationS3Uri,
            DatasetFormat = batch.Format == BatchTransformCapture.Json
                ? new MonitoringDatasetFormat { Json = new MonitoringJsonDatasetFormat { Line = batch.Line } }
                : new MonitoringDatasetFormat { Csv = new MonitoringCsvDatasetFormat { Header = batch.Header } },
            LocalPath = definition.LocalPath,
            S3InputMode = definition.S3InputMode,
            S3DataDistributionType = definition.S3DataDistributionType,
            StartTimeOffset = definition.StartTimeOffset,
            EndTimeOffset = definition.EndTimeOffset,
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

    /// <summary>The baseline, left out when the definition names none (only data quality has a statistics resource).</summary>
    public static MonitoringBaselineConfig? BaselineOf(MonitorJobDefinition definition) =>
        definition.BaselineConstraintsUri is null && definition.BaselineStatisticsUri is null && definition.BaseliningJobName is null ? null : new MonitoringBaselineConfig
        {
            BaseliningJobName = definition.BaseliningJobName,
            ConstraintsResource = definition.BaselineConstraintsUri is null ? null : new MonitoringConstraintsResource { S3Uri = definition.BaselineConstraintsUri },
            StatisticsResource = definition.BaselineStatisticsUri is null ? null : new MonitoringStatisticsResource { S3Uri = definition.BaselineStatisticsUri },
        };

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

    private static JsonNode? Node<T>(T value) => value is null ? null : JsonSerializer.SerializeToNode(value, AwsJson.Options);
}
