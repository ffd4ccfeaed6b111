using Kiln.Core.Tracking;

namespace Kiln.Core.Monitoring;

/// <summary>The monitoring schedule tags that configure what an execution ending CompletedWithViolations does.</summary>
public static class OnViolationTags
{
    /// <summary>A pipeline to start when an execution of the schedule finds violations.</summary>
    public const string Pipeline = "kiln:on-violation:pipeline";

    /// <summary>The pipeline parameter that receives the violation report's s3 URI (default <see cref="DefaultParameter"/>), passed when the pipeline declares it.</summary>
    public const string Parameter = "kiln:on-violation:parameter";

    /// <summary>Written by Kiln: the ARN of the latest pipeline execution a violation started.</summary>
    public const string LastPipelineExecution = "kiln:on-violation:last-pipeline-execution";

    public const string DefaultParameter = "ViolationReport";

    public static string? Find(IReadOnlyList<Tag> tags, string key) => tags.FirstOrDefault(tag => tag.Key == key)?.Value;
}
