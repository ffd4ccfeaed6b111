namespace Kiln.Core.Artifacts;

/// <summary>
/// A job's outputs could not be stored even after retrying with backoff (the S3 store or the metadata store stayed
/// unavailable). The job fails with this message as its FailureReason instead of reporting success.
/// </summary>
public sealed class JobOutputsException(string uri, int attempts, TimeSpan waited, Exception cause)
    : Exception($"InternalServerError: Could not store the job's output at {uri}: the store stayed unavailable through {attempts} attempts over {waited.TotalSeconds:0} s (last error: {cause.Message})", cause);
