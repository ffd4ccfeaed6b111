namespace Kiln.Clarify.Config;

/// <summary>A column named by header or by zero-based index, as Clarify's name_or_index fields allow.</summary>
public readonly record struct ColumnRef(string? Name, int? Index)
{
    public override string ToString() => Name ?? Index?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";
}

public sealed record FacetConfig(ColumnRef Column, IReadOnlyList<ConfigValue>? ValueOrThreshold);

public sealed record PredictorConfig(
    string? EndpointName,
    string? ModelName,
    string? InstanceType,
    int? InitialInstanceCount,
    string? ContentType,
    string? AcceptType,
    ColumnRef? Label,
    ColumnRef? Probability,
    IReadOnlyList<string>? LabelHeaders,
    string? ContentTemplate,
    string? CustomAttributes);

public enum ShapAggregation
{
    MeanAbs,
    Median,
    MeanSq,
}

/// <summary>
/// The shap method. Baseline is either rows given inline (CSV rows: cells as strings) or a URI the caller resolves.
/// </summary>
public sealed record ShapConfig(
    IReadOnlyList<IReadOnlyList<string?>>? BaselineRows,
    string? BaselineUri,
    int? NumSamples,
    ShapAggregation AggMethod,
    bool UseLogit,
    bool SaveLocalShapValues,
    int? Seed,
    int? NumClusters);

public sealed record ReportConfig(string Name, string Title);

public sealed record MethodsConfig(
    IReadOnlyList<string>? PreTrainingBias,
    IReadOnlyList<string>? PostTrainingBias,
    ShapConfig? Shap,
    ReportConfig? Report);

/// <summary>analysis_config.json as the SageMaker Python SDK (clarify.py) writes it.</summary>
public sealed record AnalysisConfig(
    string DatasetType,
    string? DatasetUri,
    IReadOnlyList<string>? Headers,
    ColumnRef? Label,
    ColumnRef? PredictedLabel,
    string? Features,
    IReadOnlyList<ConfigValue>? LabelValuesOrThreshold,
    double? ProbabilityThreshold,
    IReadOnlyList<FacetConfig> Facets,
    ColumnRef? GroupVariable,
    IReadOnlyList<ColumnRef> ExcludedColumns,
    PredictorConfig? Predictor,
    MethodsConfig Methods)
{
    public const string Csv = "text/csv";
    public const string JsonLines = "application/jsonlines";
}
