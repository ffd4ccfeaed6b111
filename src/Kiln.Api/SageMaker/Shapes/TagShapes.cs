using Kiln.Api.SageMaker.Validation;

namespace Kiln.Api.SageMaker.Shapes;

internal static class TagPatterns
{
    public const string ResourceArn = @"arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:.+";
}

internal sealed record AddTagsInput
{
    [AwsRequired, AwsLength(0, 256), AwsPattern(TagPatterns.ResourceArn)]
    public string? ResourceArn { get; init; }

    [AwsRequired, AwsLength(0, 50)]
    public List<Tag>? Tags { get; init; }
}

internal sealed record AddTagsOutput(List<Tag> Tags);

internal sealed record ListTagsInput
{
    [AwsRequired, AwsLength(0, 256), AwsPattern(TagPatterns.ResourceArn)]
    public string? ResourceArn { get; init; }

    [AwsLength(0, 8192)]
    public string? NextToken { get; init; }

    [AwsRange(50)]
    public int? MaxResults { get; init; }
}

internal sealed record ListTagsOutput(List<Tag> Tags, string? NextToken);

internal sealed record DeleteTagsInput
{
    [AwsRequired, AwsLength(0, 256), AwsPattern(TagPatterns.ResourceArn)]
    public string? ResourceArn { get; init; }

    [AwsRequired, AwsLength(1, 50), AwsPattern(Tag.Pattern)]
    public List<string>? TagKeys { get; init; }
}
