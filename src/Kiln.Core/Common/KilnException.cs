namespace Kiln.Core.Common;

/// <summary>
/// The one failure type the domain raises. Each API dialect renders it in its own error format
/// (MLflow's <c>{error_code, message}</c>, SageMaker's <c>{__type, message}</c>).
/// </summary>
public sealed class KilnException(ErrorCode code, string message) : Exception(message)
{
    public ErrorCode Code { get; } = code;

    public static KilnException InvalidParameter(string message) => new(ErrorCode.InvalidParameterValue, message);

    public static KilnException NotFound(string message) => new(ErrorCode.ResourceDoesNotExist, message);

    public static KilnException AlreadyExists(string message) => new(ErrorCode.ResourceAlreadyExists, message);
}

/// <summary>Domain error kinds. Named after MLflow's codes because that vocabulary is the richest of the dialects.</summary>
public enum ErrorCode
{
    InvalidParameterValue,
    ResourceAlreadyExists,
    ResourceDoesNotExist,
    InvalidState,
    BadRequest,
    ResourceLimitExceeded,
    ResourceInUse,

    /// <summary>The caller is known but may not do this (MLflow's PERMISSION_DENIED, SageMaker's AccessDeniedException).</summary>
    PermissionDenied,
    Internal,

    /// <summary>
    /// A store Kiln depends on (PostgreSQL, the S3 store) is unreachable for now: retry later. Each dialect answers with
    /// its retryable error (SageMaker and S3 <c>503 ServiceUnavailable</c>, MLflow <c>503 TEMPORARILY_UNAVAILABLE</c>).
    /// </summary>
    ServiceUnavailable,
}
