using System.Diagnostics.CodeAnalysis;

namespace Kiln.Core.Jobs;

/// <summary>Failure reasons as SageMaker stores them.</summary>
public static class JobFailure
{
    /// <summary>The length SageMaker allows a job's FailureReason.</summary>
    public const int MaxLength = 1024;

    /// <summary>The reason cut to <paramref name="maxLength"/> characters, ending in "..." when it was cut.</summary>
    [return: NotNullIfNotNull(nameof(reason))]
    public static string? Truncate(string? reason, int maxLength = MaxLength) =>
        reason is null || reason.Length <= maxLength ? reason : reason[..(maxLength - 3)] + "...";
}
