using Kiln.Api.SageMaker.Validation;

namespace Kiln.Api.SageMaker.Shapes;

// Shapes shared by several operations, named and constrained as in botocore's sagemaker model.

internal sealed record Tag
{
    public const string Pattern = @"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)";

    [AwsRequired, AwsLength(1, 128), AwsPattern(Pattern)]
    public string? Key { get; init; }

    [AwsRequired, AwsLength(0, 256), AwsPattern(Pattern)]
    public string? Value { get; init; }
}

internal sealed record MetricDefinition
{
    [AwsRequired, AwsLength(1, 255), AwsPattern(@".+")]
    public string? Name { get; init; }

    [AwsRequired, AwsLength(1, 500), AwsPattern(@".+")]
    public string? Regex { get; init; }
}

internal sealed record MetricData
{
    public string? MetricName { get; init; }

    public double? Value { get; init; }

    public DateTimeOffset? Timestamp { get; init; }
}

internal sealed record ExperimentConfig
{
    [AwsLength(1, 120), AwsPattern(@"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}")]
    public string? ExperimentName { get; init; }

    [AwsLength(1, 120), AwsPattern(@"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}")]
    public string? TrialName { get; init; }

    [AwsLength(1, 120), AwsPattern(@"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}")]
    public string? TrialComponentDisplayName { get; init; }

    [AwsLength(1, 120), AwsPattern(@"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}")]
    public string? RunName { get; init; }
}

/// <summary>The paging members every List* and Search request has: SortOrder, NextToken, MaxResults (1 to 100).</summary>
internal abstract record PagedRequest
{
    [AwsEnum("Ascending", "Descending")]
    public string? SortOrder { get; init; }

    [AwsLength(0, 8192)]
    public string? NextToken { get; init; }

    [AwsRange(1, 100)]
    public int? MaxResults { get; init; }
}

/// <summary>The time filters and paging every List*Jobs request shares; each job type adds its own name, status and sort constraints.</summary>
internal abstract record JobListRequestShape : PagedRequest
{
    public DateTimeOffset? CreationTimeAfter { get; init; }

    public DateTimeOffset? CreationTimeBefore { get; init; }

    public DateTimeOffset? LastModifiedTimeAfter { get; init; }

    public DateTimeOffset? LastModifiedTimeBefore { get; init; }
}

internal static class Patterns
{
    public const string RoleArn = @"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+";

    /// <summary>The model's S3Uri pattern, widened to file:// because Kiln also reads local folders.</summary>
    public const string DataUri = @"(https|s3|file)://([^/]*)/?(.*)";

    public const string EntityName = @"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}";
}
