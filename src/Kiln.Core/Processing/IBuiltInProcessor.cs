namespace Kiln.Core.Processing;

/// <summary>
/// A processing container Kiln runs itself instead of a command: the images SageMaker's SDKs name for its own
/// analyses (Model Monitor's analyzer, Clarify). A job whose image one of these handles needs no entrypoint.
/// </summary>
public interface IBuiltInProcessor
{
    /// <summary>True when this processor stands in for the image (matched by repository name, any registry or tag).</summary>
    bool Handles(string imageUri);

    /// <summary>Runs the analysis. Throws <see cref="BuiltInProcessingException"/> for input it cannot use: the job fails with that reason.</summary>
    Task<BuiltInProcessingResult> RunAsync(BuiltInProcessingRun run, CancellationToken ct);
}

/// <summary>
/// One run of a built-in processor. <paramref name="Environment"/> holds the job's environment with container paths
/// (/opt/ml/processing/…) already mapped to this node's folders, and <paramref name="HostPath"/> maps any other one.
/// </summary>
public sealed record BuiltInProcessingRun(
    ProcessingJob Job,
    IReadOnlyDictionary<string, string> Environment,
    Func<string, string> HostPath,
    Action<string> Log);

/// <summary>How the run ended: the exit message a container would leave (for example CompletedWithViolations).</summary>
public sealed record BuiltInProcessingResult(string? ExitMessage = null);

public sealed class BuiltInProcessingException(string message) : Exception(message);

/// <summary>Matches an image URI by its repository name, whatever the registry, account, region or tag.</summary>
public static class ImageNames
{
    public static bool IsRepository(string imageUri, string repository)
    {
        var withoutDigest = imageUri.Split('@')[0];
        var lastSlash = withoutDigest.LastIndexOf('/');
        var nameAndTag = withoutDigest[(lastSlash + 1)..];
        var colon = nameAndTag.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? nameAndTag : nameAndTag[..colon];
        return string.Equals(name, repository, StringComparison.Ordinal);
    }
}
