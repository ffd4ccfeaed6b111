using System.Text.Json;
using Kiln.Core.Common;

namespace Kiln.Api.MLflow;

/// <summary>MLflow's error body (<c>{"error_code": …, "message": …}</c>) and its code → HTTP status table (mlflow/exceptions.py).</summary>
internal static class MlflowErrors
{
    public static (string Code, int Status) Describe(ErrorCode code) => code switch
    {
        ErrorCode.InvalidParameterValue => ("INVALID_PARAMETER_VALUE", 400),
        ErrorCode.ResourceAlreadyExists => ("RESOURCE_ALREADY_EXISTS", 400),
        ErrorCode.ResourceDoesNotExist => ("RESOURCE_DOES_NOT_EXIST", 404),
        ErrorCode.InvalidState => ("INVALID_STATE", 500),
        ErrorCode.BadRequest => ("BAD_REQUEST", 400),
        ErrorCode.ResourceLimitExceeded => ("RESOURCE_LIMIT_EXCEEDED", 400),
        ErrorCode.ResourceInUse => ("RESOURCE_CONFLICT", 409),
        ErrorCode.PermissionDenied => ("PERMISSION_DENIED", 403),
        ErrorCode.ServiceUnavailable => ("TEMPORARILY_UNAVAILABLE", 503),
        _ => ("INTERNAL_ERROR", 500),
    };

    public static async Task WriteAsync(HttpResponse response, string errorCode, int status, string message)
    {
        response.StatusCode = status;
        if (status == 503)
        {
            response.Headers.RetryAfter = StoreOutage.RetryAfterSeconds;
        }

        response.ContentType = "application/json";
        response.HttpContext.Items[Security.Audit.AuditTrail.ErrorCodeItem] = errorCode;
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteString("error_code", errorCode);
        writer.WriteString("message", message);
        writer.WriteEndObject();
    }

    public static Task WriteAsync(HttpResponse response, KilnException exception)
    {
        var (code, status) = Describe(exception.Code);
        return WriteAsync(response, code, status, exception.Message);
    }
}
