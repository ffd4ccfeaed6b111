using Kiln.Core.Tracking;

namespace Kiln.Core.Monitoring;

/// <summary>Where a monitoring job writes its reports: everything under <see cref="LocalPath"/> is uploaded to <see cref="S3Uri"/>.</summary>
public sealed record MonitoringOutputSpec(string S3Uri, string LocalPath, string UploadMode = "EndOfJob");

/// <summary>
/// A Model Monitor job definition (what Create{DataQuality,ModelQuality,ModelBias,ModelExplainability}JobDefinition ask for):
/// the analyzer container, the endpoint whose capture it reads, the baseline, where reports go. One name space for all four
/// types, as in SageMaker; <see cref="MonitoringType"/> says which API owns it.
/// </summary>
public sealed record MonitorJobDefinition
{
    public required string Name { get; init; }

    /// <summary>DataQuality, ModelQuality, ModelBias or ModelExplainability (botocore's MonitoringType values).</summary>
    public string MonitoringType { get; init; } = MonitoringTypes.DataQuality;

    public required string ImageUri { get; init; }

    public IReadOnlyList<string> ContainerEntrypoint { get; init; } = [];

    public IReadOnlyList<string> ContainerArguments { get; init; } = [];

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public string? RecordPreprocessorSourceUri { get; init; }

    public string? PostAnalyticsProcessorSourceUri { get; init; }

    public string? BaseliningJobName { get; init; }

    public string? BaselineConstraintsUri { get; init; }

    public string? BaselineStatisticsUri { get; init; }

    public required string EndpointName { get; init; }

    /// <summary>Where the captured files land inside the container.</summary>
    public required string LocalPath { get; init; }

    public string S3InputMode { get; init; } = "File";

    public string S3DataDistributionType { get; init; } = "FullyReplicated";

    public string? StartTimeOffset { get; init; }

    public string? EndTimeOffset { get; init; }

    public IReadOnlyList<MonitoringOutputSpec> Outputs { get; init; } = [];

    public string InstanceType { get; init; } = "ml.m5.large";

    public int InstanceCount { get; init; } = 1;

    public int VolumeSizeInGB { get; init; } = 30;

    public int MaxRuntimeInSeconds { get; init; } = 3600;

    public required string RoleArn { get; init; }

    public IReadOnlyList<Tag> Tags { get; init; } = [];

    public required DateTimeOffset CreationTime { get; init; }

    /// <summary>What a ModelBias or ModelExplainability definition adds; null for the other types.</summary>
    public ClarifyMonitorSpec? Clarify { get; init; }

    /// <summary>What a ModelQuality definition adds: the problem, where the prediction is in the output, where ground truth lands.</summary>
    public ModelQualitySpec? ModelQuality { get; init; }

    /// <summary>BatchTransformInput: the definition reads a batch transform's captured data instead of an endpoint's (<see cref="EndpointName"/> is empty then).</summary>
    public BatchTransformCapture? BatchTransform { get; init; }
}

/// <summary>
/// A batch transform's data capture as a monitor's input: the transform job's DataCaptureConfig.DestinationS3Uri
/// (input files under <c>{uri}/input/yyyy/MM/dd/HH/</c>) and how those files are read (csv with or without a
/// header, JSON with one record per line or not).
/// </summary>
public sealed record BatchTransformCapture(string DestinationS3Uri, string Format, bool Header = false, bool Line = false)
{
    public const string Csv = "csv";
    public const string Json = "json";

    /// <summary>The analyzer's dataset_format for these files.</summary>
    public string DatasetFormatJson => Format == Json
        ? $"{{\"json\": {{\"lines\": {(Line ? "true" : "false")}}}}}"
        : $"{{\"csv\": {{\"header\": {(Header ? "true" : "false")}}}}}";
}

/// <summary>
/// A model-quality monitor's problem (<see cref="ProblemTypes"/>), where the prediction and its probability are in the
/// captured output (a CSV column index or a JSON path), the score above which a binary prediction is positive, and
/// where ground truth is uploaded ({GroundTruthS3Uri}/yyyy/MM/dd/HH/*.jsonl).
/// </summary>
public sealed record ModelQualitySpec(
    string ProblemType,
    string GroundTruthS3Uri,
    string? InferenceAttribute = null,
    string? ProbabilityAttribute = null,
    double? ProbabilityThresholdAttribute = null);

/// <summary>botocore's MonitoringProblemType values.</summary>
public static class ProblemTypes
{
    public static readonly IReadOnlyList<string> All = ["BinaryClassification", "MulticlassClassification", "Regression"];
}

/// <summary>
/// A Clarify monitor's inputs: the analysis config (analysis_config.json in Kiln's object store), how to read the
/// captured predictions (EndpointInput's attributes) and, for bias, where ground truth labels are uploaded
/// ({GroundTruthS3Uri}/yyyy/MM/dd/HH/*.jsonl).
/// </summary>
public sealed record ClarifyMonitorSpec(
    string ConfigUri,
    string? FeaturesAttribute = null,
    string? InferenceAttribute = null,
    string? ProbabilityAttribute = null,
    double? ProbabilityThresholdAttribute = null,
    string? GroundTruthS3Uri = null);

/// <summary>botocore's MonitoringType values.</summary>
public static class MonitoringTypes
{
    public const string DataQuality = "DataQuality";
    public const string ModelQuality = "ModelQuality";
    public const string ModelBias = "ModelBias";
    public const string ModelExplainability = "ModelExplainability";
}
