using System.Data.Common;
using Kiln.Core.Common;

namespace Kiln.Api;

/// <summary>
/// Tells a store that is down for now (PostgreSQL restarting, the S3 store unreachable) from a failed request, so each
/// API answers with its retryable error instead of a 500: the stores raise <see cref="ErrorCode.ServiceUnavailable"/>
/// after their own retries; a transient database error that reaches the API some other way (through Orleans, say)
/// counts too.
/// </summary>
internal static class StoreOutage
{
    /// <summary>The <c>Retry-After</c> the retryable errors carry, in seconds.</summary>
    public const string RetryAfterSeconds = "1";

    public static bool Is(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is KilnException { Code: ErrorCode.ServiceUnavailable } or DbException { IsTransient: true })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The outage's own message when the store said it; otherwise a generic one with the cause.</summary>
    public static string Message(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is KilnException { Code: ErrorCode.ServiceUnavailable })
            {
                return e.Message;
            }
        }

        return $"A store Kiln depends on is unavailable; retry shortly. ({error.Message})";
    }
}
