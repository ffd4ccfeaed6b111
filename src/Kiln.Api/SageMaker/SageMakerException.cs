using Kiln.Core.Common;

namespace Kiln.Api.SageMaker;

/// <summary>An error in SageMaker's vocabulary: the <c>__type</c> botocore raises as the exception name.</summary>
internal sealed class SageMakerException(string type, string message, int status = 400) : Exception(message)
{
    public string Type { get; } = type;

    public int Status { get; } = status;

    /// <summary>AWS's common 503 <c>ServiceUnavailable</c>, which botocore retries with backoff (a transient status).</summary>
    public static SageMakerException Unavailable(string message) => new("ServiceUnavailable", message, 503);

    /// <summary>The domain's error codes in SageMaker's words (SageMaker answers 400 for all of these).</summary>
    public static SageMakerException From(KilnException exception) => exception.Code switch
    {
        ErrorCode.ResourceDoesNotExist => new("ResourceNotFound", exception.Message),
        ErrorCode.ResourceAlreadyExists or ErrorCode.ResourceInUse => new("ResourceInUse", exception.Message),
        ErrorCode.ResourceLimitExceeded => new("ResourceLimitExceeded", exception.Message),
        ErrorCode.PermissionDenied => new("AccessDeniedException", exception.Message),
        ErrorCode.Internal or ErrorCode.InvalidState => new("InternalFailure", exception.Message, 500),
        ErrorCode.ServiceUnavailable => Unavailable(exception.Message),
        _ => new("ValidationException", exception.Message),
    };
}
