using System.Text.Json;
using Kiln.Api.SageMaker;
using Kiln.Core.Security.Audit;

namespace Kiln.Api.Security.Audit;

/// <summary>
/// Records every call that changes something and every call that was refused (401, 403, a signature or permission
/// error), on every dialect, in the audit log: who, what, on which resource, from where, and how it ended. It runs
/// before authentication so refused credentials are recorded too. It reads names and ids only, never a secret or a
/// request body (a JSON body's top-level resource name is picked out, nothing else is kept).
/// </summary>
public static class AuditTrail
{
    /// <summary>Where a dialect whose error code is only in its body (MLflow) leaves the code for the audit log.</summary>
    public const string ErrorCodeItem = "kiln.audit.error_code";

    private const int MaxPeekBytes = 64 * 1024;

    private static readonly HashSet<string> DeniedCodes = new(StringComparer.Ordinal)
    {
        "AccessDenied", "AccessDeniedException", "PERMISSION_DENIED", "UNAUTHENTICATED", "SignatureDoesNotMatch",
        "InvalidSignatureException", "UnrecognizedClientException", "InvalidAccessKeyId", "RequestTimeTooSkewed",
        "MissingAuthenticationTokenException", "IncompleteSignatureException", "AuthorizationHeaderMalformed",
        "AuthorizationQueryParametersError",
    };

    private static readonly string[] ReadPrefixes = ["Describe", "List", "Search", "Get", "BatchGet", "BatchDescribe", "Query", "Filter"];

    private static readonly string[] ResourceFields = ["run_id", "run_uuid", "experiment_id", "name", "model_id", "id"];

    public static IApplicationBuilder UseKilnAudit(this IApplicationBuilder app) => app.Use(RecordAsync);

    private static async Task RecordAsync(HttpContext http, RequestDelegate next)
    {
        var request = http.Request;
        if (request.Path.Equals("/health", StringComparison.Ordinal))
        {
            await next(http);
            return;
        }

        var call = Describe(request);
        if (call.Mutating && call.PeekBody && request.ContentLength is > 0 and <= MaxPeekBytes)
        {
            // Lets the resource name be read back after the handler; without --auth nothing else buffers the body.
            request.EnableBuffering();
        }

        var failed = false;
        try
        {
            await next(http);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            var status = failed && !http.Response.HasStarted ? 500 : http.Response.StatusCode;
            var code = ErrorCode(http);
            if (call.Mutating || status is 401 or 403 || (code is not null && DeniedCodes.Contains(code)))
            {
                var caller = http.Features.Get<Kiln.Core.Security.KilnCaller>();
                var resource = call.Resource ?? (call.PeekBody ? await PeekResourceAsync(request, call.Dialect) : null);
                http.RequestServices.GetRequiredService<AuditWriter>().Add(new AuditRecord(
                    http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow(),
                    caller?.Name ?? "anonymous",
                    caller is null ? AttemptedAccessKey(request) : caller.AccessKeyId,
                    call.Action,
                    resource,
                    http.Connection.RemoteIpAddress?.ToString(),
                    status,
                    code));
            }
        }
    }

    private enum Dialect
    {
        AwsJson,
        Mlflow,
        Other,
    }

    private sealed record Call(string Action, string? Resource, bool Mutating, bool PeekBody, Dialect Dialect);

    private static Call Describe(HttpRequest request)
    {
        var method = request.Method;
        var path = request.Path.Value ?? "/";
        var writes = !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsOptions(method);
        if (AwsCaller.IsSignedForS3(request))
        {
            return DescribeS3(request, method, path);
        }

        var target = request.Headers["X-Amz-Target"].ToString();
        if (target.Length > 0 && path == "/")
        {
            var dot = target.IndexOf('.', StringComparison.Ordinal);
            var service = dot > 0 ? target[..dot] : target;
            var operation = dot > 0 ? target[(dot + 1)..] : target;
            var prefix = service switch
            {
                "SageMaker" => "sagemaker",
                "Logs_20140328" => "logs",
                _ => service.ToLowerInvariant(),
            };
            var reads = ReadPrefixes.Any(read => operation.StartsWith(read, StringComparison.Ordinal));
            return new Call($"{prefix}:{operation}", null, !reads, PeekBody: true, Dialect.AwsJson);
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments is ["endpoints", var endpoint, "invocations"])
        {
            // Invoking a model reads it: audited only when refused.
            return new Call("sagemaker-runtime:InvokeEndpoint", Uri.UnescapeDataString(endpoint), false, false, Dialect.Other);
        }

        if (segments is ["FeatureGroup", var group])
        {
            var operation = method switch { "PUT" => "PutRecord", "DELETE" => "DeleteRecord", _ => "GetRecord" };
            return new Call($"sagemaker-featurestore-runtime:{operation}", Uri.UnescapeDataString(group), writes, false, Dialect.Other);
        }

        if (path.StartsWith("/api/kiln/", StringComparison.Ordinal))
        {
            return new Call($"kiln:{method} {path}", segments.Length > 3 ? Uri.UnescapeDataString(segments[3]) : null, writes, false, Dialect.Other);
        }

        if (path.StartsWith("/api/", StringComparison.Ordinal) || path.StartsWith("/ajax-api/", StringComparison.Ordinal))
        {
            // MLflow's searches are POSTs that change nothing.
            var mutating = writes && !path.EndsWith("/search", StringComparison.Ordinal) && !path.EndsWith("/get-history-bulk-interval", StringComparison.Ordinal);
            var resource = ResourceFields.Select(field => request.Query[field].ToString()).FirstOrDefault(value => value.Length > 0);
            return new Call($"mlflow:{method} {path}", resource, mutating, PeekBody: resource is null && HttpMethods.IsPost(method), Dialect.Mlflow);
        }

        return new Call($"studio:{method} {path}", null, writes, false, Dialect.Other);
    }

    private static Call DescribeS3(HttpRequest request, string method, string path)
    {
        var trimmed = path.TrimStart('/');
        var slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? trimmed : trimmed[..slash];
        var key = slash < 0 || slash == trimmed.Length - 1 ? null : trimmed[(slash + 1)..];
        var query = request.Query;
        var copy = request.Headers.ContainsKey("x-amz-copy-source");
        var operation = (method, bucket.Length == 0, key is null) switch
        {
            (_, true, _) => "ListBuckets",
            ("PUT", _, true) => "CreateBucket",
            ("DELETE", _, true) => "DeleteBucket",
            ("HEAD", _, true) => "HeadBucket",
            ("POST", _, true) when query.ContainsKey("delete") => "DeleteObjects",
            ("GET", _, true) when query.ContainsKey("uploads") => "ListMultipartUploads",
            ("GET", _, true) => "ListObjectsV2",
            ("PUT", _, _) when query.ContainsKey("uploadId") => copy ? "UploadPartCopy" : "UploadPart",
            ("PUT", _, _) => copy ? "CopyObject" : "PutObject",
            ("DELETE", _, _) when query.ContainsKey("uploadId") => "AbortMultipartUpload",
            ("DELETE", _, _) => "DeleteObject",
            ("POST", _, _) when query.ContainsKey("uploads") => "CreateMultipartUpload",
            ("POST", _, _) when query.ContainsKey("uploadId") => "CompleteMultipartUpload",
            ("GET", _, _) when query.ContainsKey("uploadId") => "ListParts",
            ("HEAD", _, _) => "HeadObject",
            ("GET", _, _) => "GetObject",
            _ => method,
        };
        var writes = method is "PUT" or "POST" or "DELETE";
        var resource = bucket.Length == 0 ? null : $"arn:aws:s3:::{Uri.UnescapeDataString(bucket)}{(key is null ? "" : "/" + Uri.UnescapeDataString(key))}";
        return new Call($"s3:{operation}", resource, writes, false, Dialect.Other);
    }

    /// <summary>The error code the response carries: the AWS JSON header, S3's error header, or what MLflow's error writer left.</summary>
    private static string? ErrorCode(HttpContext http)
    {
        var headers = http.Response.Headers;
        if (headers.TryGetValue("x-amzn-ErrorType", out var json) && json.Count > 0)
        {
            return json[0];
        }

        if (headers.TryGetValue("x-amz-error-code", out var s3) && s3.Count > 0)
        {
            return s3[0];
        }

        return http.Items.TryGetValue(ErrorCodeItem, out var mlflow) ? mlflow as string : null;
    }

    /// <summary>The access key id a refused SigV4 request named (an id, not a secret), so an unknown or misused key shows up.</summary>
    private static string? AttemptedAccessKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        var credential = authorization.StartsWith(SigV4.Algorithm, StringComparison.Ordinal)
            ? authorization.Split(',', StringSplitOptions.TrimEntries).Select(part => part.Replace(SigV4.Algorithm, "", StringComparison.Ordinal).Trim())
                .FirstOrDefault(part => part.StartsWith("Credential=", StringComparison.Ordinal))?["Credential=".Length..]
            : request.Query["X-Amz-Credential"].ToString();
        var slash = credential?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        return slash is > 0 and <= 128 ? credential![..slash] : null;
    }

    /// <summary>
    /// The resource a JSON body names at its top level: SageMaker's <c>…Name</c>/<c>…Arn</c> member, or MLflow's
    /// run, experiment or model id/name. Only that one string is taken; the body itself is never kept.
    /// </summary>
    private static async Task<string?> PeekResourceAsync(HttpRequest request, Dialect dialect)
    {
        try
        {
            if (!request.Body.CanSeek || request.Body.Length is 0 or > MaxPeekBytes)
            {
                return null;
            }

            request.Body.Position = 0;
            var bytes = new byte[request.Body.Length];
            await request.Body.ReadExactlyAsync(bytes);
            return FindResource(bytes, dialect);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string? FindResource(ReadOnlySpan<byte> json, Dialect dialect)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            string? best = null;
            var bestRank = int.MaxValue;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                    continue;
                }

                if (reader.TokenType != JsonTokenType.String)
                {
                    continue;
                }

                var rank = dialect == Dialect.Mlflow
                    ? Array.IndexOf(ResourceFields, name)
                    : name.EndsWith("Name", StringComparison.Ordinal) ? 0 : name.EndsWith("Arn", StringComparison.Ordinal) ? 1 : -1;
                if (rank >= 0 && rank < bestRank)
                {
                    (best, bestRank) = (reader.GetString(), rank);
                }
            }

            return best is { Length: > 0 and <= 2048 } ? best : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
