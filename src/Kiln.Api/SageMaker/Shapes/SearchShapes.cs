using Kiln.Api.SageMaker.Validation;

namespace Kiln.Api.SageMaker.Shapes;

internal sealed record SearchFilter
{
    [AwsRequired, AwsLength(1, 255)]
    public string? Name { get; init; }

    [AwsEnum("Equals", "NotEquals", "GreaterThan", "GreaterThanOrEqualTo", "LessThan", "LessThanOrEqualTo", "Contains", "Exists", "NotExists", "In")]
    public string? Operator { get; init; }

    [AwsLength(1, 1024)]
    public string? Value { get; init; }
}

internal sealed record NestedFilters
{
    [AwsRequired, AwsLength(1, 255)]
    public string? NestedPropertyName { get; init; }

    [AwsRequired, AwsLength(1, 20)]
    public List<SearchFilter>? Filters { get; init; }
}

internal sealed record SearchExpression
{
    [AwsLength(1, 20)]
    public List<SearchFilter>? Filters { get; init; }

    [AwsLength(1, 20)]
    public List<NestedFilters>? NestedFilters { get; init; }

    [AwsLength(1, 20)]
    public List<SearchExpression>? SubExpressions { get; init; }

    [AwsEnum("And", "Or")]
    public string? Operator { get; init; }
}

internal sealed record SearchRequest : PagedRequest
{
    [AwsRequired, AwsEnum("TrainingJob", "Experiment", "ExperimentTrial", "ExperimentTrialComponent", "Endpoint", "Model", "ModelPackage", "ModelPackageGroup",
        "Pipeline", "PipelineExecution", "FeatureGroup", "FeatureMetadata", "Image", "ImageVersion", "Project", "HyperParameterTuningJob", "ModelCard", "PipelineVersion")]
    public string? Resource { get; init; }

    public SearchExpression? SearchExpression { get; init; }

    [AwsLength(1, 255)]
    public string? SortBy { get; init; }
}

internal sealed record SearchResponse(List<Dictionary<string, System.Text.Json.JsonElement>> Results, string? NextToken);
