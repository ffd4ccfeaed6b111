using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Kiln.Core.Common;
using Kiln.Core.FeatureStore;
using Microsoft.Extensions.Logging;

namespace Kiln.Api.FeatureStoreRuntime;

/// <summary>
/// The <c>sagemaker-featurestore-runtime</c> dialect (REST JSON, its own botocore service signed as <c>sagemaker</c>):
/// PutRecord <c>PUT /FeatureGroup/{name}</c>, GetRecord <c>GET /FeatureGroup/{name}?RecordIdentifierValueAsString=…</c>,
/// DeleteRecord <c>DELETE /FeatureGroup/{name}?…</c> and BatchGetRecord <c>POST /BatchGetRecord</c>, over
/// <see cref="FeatureRecordService"/>. Errors as the model has them: ValidationError 400, ResourceNotFound 404.
/// </summary>
public static partial class FeatureStoreRuntimeApi
{
    private static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public static IEndpointRouteBuilder MapFeatureStoreRuntimeApi(this IEndpointRouteBuilder app)
    {
        app.MapPut("/FeatureGroup/{featureGroupName}", PutRecord);
        app.MapGet("/FeatureGroup/{featureGroupName}", GetRecord);
        app.MapDelete("/FeatureGroup/{featureGroupName}", DeleteRecord);
        app.MapPost("/BatchGetRecord", BatchGetRecord);
        return app;
    }

    private static Task PutRecord(HttpContext http, string featureGroupName) => RunAsync(http, () => PutRecordAsync(http, featureGroupName));

    private static Task GetRecord(HttpContext http, string featureGroupName) => RunAsync(http, () => GetRecordAsync(http, featureGroupName));

    private static Task DeleteRecord(HttpContext http, string featureGroupName) => RunAsync(http, () => DeleteRecordAsync(http, featureGroupName));

    private static Task BatchGetRecord(HttpContext http) => RunAsync(http, () => BatchGetRecordAsync(http));

    private static async Task<object?> PutRecordAsync(HttpContext http, string groupName)
    {
        CheckGroupName(groupName);
        var request = await ReadAsync<PutRecordRequest>(http);
        var record = Record(request.Record, "Record");
        TargetStores? targets = request.TargetStores is { } stores ? Targets(stores) : null;
        var ttl = request.TtlDuration is { } t ? Ttl(t) : null;
        await http.RequestServices.GetRequiredService<FeatureRecordService>().PutAsync(groupName, record, targets, ttl, http.RequestAborted);
        return null;
    }

    private static async Task<object?> GetRecordAsync(HttpContext http, string groupName)
    {
        CheckGroupName(groupName);
        var query = http.Request.Query;
        var id = Required(query["RecordIdentifierValueAsString"].ToString(), "RecordIdentifierValueAsString");
        var names = query["FeatureName"].Count > 0 ? FeatureNames(query["FeatureName"].OfType<string>().ToList(), "FeatureNames") : null;
        var withExpiry = ExpirationTimeResponse(query["ExpirationTimeResponse"].ToString());
        var view = await http.RequestServices.GetRequiredService<FeatureRecordService>().GetAsync(groupName, id, names, http.RequestAborted);
        return view is null ? new GetRecordResponse() : new GetRecordResponse { Record = Values(view), ExpiresAt = withExpiry ? ExpiresAt(view) : null };
    }

    private static async Task<object?> DeleteRecordAsync(HttpContext http, string groupName)
    {
        CheckGroupName(groupName);
        var query = http.Request.Query;
        var id = Required(query["RecordIdentifierValueAsString"].ToString(), "RecordIdentifierValueAsString");
        var eventTime = Required(query["EventTime"].ToString(), "EventTime");
        TargetStores? targets = query["TargetStores"].Count > 0 ? Targets(query["TargetStores"].OfType<string>().ToList()) : null;
        var mode = query["DeletionMode"].ToString() switch
        {
            "" or "SoftDelete" => DeletionMode.SoftDelete,
            "HardDelete" => DeletionMode.HardDelete,
            var other => throw Invalid($"1 validation error detected: Value '{other}' at 'deletionMode' failed to satisfy constraint: Member must satisfy enum value set: [SoftDelete, HardDelete]"),
        };
        await http.RequestServices.GetRequiredService<FeatureRecordService>().DeleteAsync(groupName, id, eventTime, targets, mode, http.RequestAborted);
        return null;
    }

    /// <summary>
    /// Every identifier is processed, so UnprocessedIdentifiers is always empty. A group that does not exist (or cannot be
    /// read) answers one entry in Errors per identifier asked of it; identifiers with no live record are left out of
    /// Records, as SageMaker leaves them out.
    /// </summary>
    private static async Task<object?> BatchGetRecordAsync(HttpContext http)
    {
        var request = await ReadAsync<BatchGetRecordRequest>(http);
        if (request.Identifiers is not { Count: >= 1 and <= 100 } identifiers)
        {
            throw Invalid("1 validation error detected: Value at 'identifiers' failed to satisfy constraint: Member must have length between 1 and 100");
        }

        var withExpiry = ExpirationTimeResponse(request.ExpirationTimeResponse);
        var service = http.RequestServices.GetRequiredService<FeatureRecordService>();
        var response = new BatchGetRecordResponse();
        foreach (var identifier in identifiers)
        {
            var group = Required(identifier.FeatureGroupName, "FeatureGroupName");
            CheckGroupName(group);
            if (identifier.RecordIdentifiersValueAsString is not { Count: >= 1 and <= 100 } ids)
            {
                throw Invalid("1 validation error detected: Value at 'identifiers.member.recordIdentifiersValueAsString' failed to satisfy constraint: Member must have length between 1 and 100");
            }

            var names = identifier.FeatureNames is { } requested ? FeatureNames(requested, "FeatureNames") : null;
            try
            {
                var found = await service.GetManyAsync(group, ids, names, http.RequestAborted);
                foreach (var id in ids.Distinct(StringComparer.Ordinal))
                {
                    if (found.TryGetValue(id, out var view))
                    {
                        response.Records.Add(new BatchGetRecordResultDetail(group, id, Values(view), withExpiry ? ExpiresAt(view) : null));
                    }
                }
            }
            catch (KilnException e) when (e.Code is ErrorCode.ResourceDoesNotExist or ErrorCode.InvalidParameterValue)
            {
                var code = e.Code == ErrorCode.ResourceDoesNotExist ? "ResourceNotFound" : "ValidationError";
                response.Errors.AddRange(ids.Select(id => new BatchGetRecordError(group, id, code, e.Message)));
            }
        }

        return response;
    }

    private static async Task RunAsync(HttpContext http, Func<Task<object?>> operation)
    {
        http.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        try
        {
            var response = await operation();
            http.Response.ContentType = "application/json";
            await http.Response.Body.WriteAsync(response is null ? "{}"u8.ToArray() : JsonSerializer.SerializeToUtf8Bytes(response, response.GetType(), Json), http.RequestAborted);
        }
        catch (RuntimeError e)
        {
            await WriteErrorAsync(http, e.Type, e.Status, e.Message);
        }
        catch (KilnException e) when (e.Code is ErrorCode.ResourceDoesNotExist)
        {
            await WriteErrorAsync(http, "ResourceNotFound", 404, e.Message);
        }
        catch (Exception e) when (!http.Response.HasStarted && StoreOutage.Is(e))
        {
            await WriteErrorAsync(http, "ServiceUnavailable", 503, StoreOutage.Message(e));
        }
        catch (KilnException e) when (e.Code is ErrorCode.Internal)
        {
            await WriteErrorAsync(http, "InternalFailure", 500, e.Message);
        }
        catch (KilnException e)
        {
            await WriteErrorAsync(http, "ValidationError", 400, e.Message);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Kiln.Api.FeatureStoreRuntime").LogError(e, "Feature Store runtime call failed");
            await WriteErrorAsync(http, "InternalFailure", 500, $"Internal error: {e.Message}");
        }
    }

    private static async Task<T> ReadAsync<T>(HttpContext http)
        where T : class, new()
    {
        // A record is at most 350 KiB of values; the JSON around them stays well under 4 MiB.
        const int MaxBody = 4 * 1024 * 1024;
        if (http.Request.ContentLength > MaxBody)
        {
            throw new RuntimeError("ValidationError", 413, $"The request body is larger than {MaxBody} bytes.");
        }

        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        if (body.Length > MaxBody)
        {
            throw new RuntimeError("ValidationError", 413, $"The request body is larger than {MaxBody} bytes.");
        }

        if (body.Length == 0)
        {
            return new T();
        }

        try
        {
            return JsonSerializer.Deserialize<T>(body.GetBuffer().AsSpan(0, (int)body.Length), Json) ?? new T();
        }
        catch (JsonException e)
        {
            throw Invalid($"Could not read the request: the value at {e.Path} has the wrong type or is malformed.");
        }
    }

    private static List<KeyValuePair<string, string>> Record(List<FeatureValue>? values, string member)
    {
        if (values is not { Count: > 0 })
        {
            throw Invalid($"1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length greater than or equal to 1");
        }

        var record = new List<KeyValuePair<string, string>>(values.Count);
        foreach (var value in values)
        {
            var name = Required(value.FeatureName, "Record.member.featureName");
            CheckFeatureName(name);
            if (value.ValueAsStringList is not null)
            {
                throw Invalid($"Feature {name}: ValueAsStringList is for collection features, which Kiln does not support yet.");
            }

            record.Add(KeyValuePair.Create(name, value.ValueAsString ?? throw Invalid($"Feature {name} has no ValueAsString.")));
        }

        return record;
    }

    private static List<string> FeatureNames(List<string> names, string member)
    {
        foreach (var name in names)
        {
            CheckFeatureName(name);
        }

        return names.Count > 0 ? names : throw Invalid($"1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length greater than or equal to 1");
    }

    private static TargetStores Targets(List<string> stores)
    {
        if (stores.Count is < 1 or > 2)
        {
            throw Invalid("1 validation error detected: Value at 'targetStores' failed to satisfy constraint: Member must have length between 1 and 2");
        }

        return stores.Aggregate(TargetStores.None, (all, store) => all | store switch
        {
            "OnlineStore" => TargetStores.Online,
            "OfflineStore" => TargetStores.Offline,
            _ => throw Invalid($"1 validation error detected: Value '{store}' at 'targetStores.member' failed to satisfy constraint: Member must satisfy enum value set: [OnlineStore, OfflineStore]"),
        });
    }

    private static Kiln.Core.FeatureStore.TtlDuration Ttl(TtlDurationShape ttl)
    {
        if (!Enum.TryParse<TtlUnit>(ttl.Unit, out var unit) || !Enum.IsDefined(unit) || ttl.Unit is null || char.IsDigit(ttl.Unit[0]))
        {
            throw Invalid($"1 validation error detected: Value '{ttl.Unit}' at 'ttlDuration.unit' failed to satisfy constraint: Member must satisfy enum value set: [Seconds, Minutes, Hours, Days, Weeks]");
        }

        return ttl.Value is int value and >= 1
            ? new Kiln.Core.FeatureStore.TtlDuration(unit, value)
            : throw Invalid($"1 validation error detected: Value '{ttl.Value}' at 'ttlDuration.value' failed to satisfy constraint: Member must have value greater than or equal to 1");
    }

    private static bool ExpirationTimeResponse(string? value) => value switch
    {
        null or "" or "Disabled" => false,
        "Enabled" => true,
        _ => throw Invalid($"1 validation error detected: Value '{value}' at 'expirationTimeResponse' failed to satisfy constraint: Member must satisfy enum value set: [Enabled, Disabled]"),
    };

    private static List<FeatureValue> Values(RecordView view) =>
        view.Values.Select(pair => new FeatureValue { FeatureName = pair.Key, ValueAsString = pair.Value }).ToList();

    private static string? ExpiresAt(RecordView view) =>
        view.ExpiresAt?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Required(string? value, string member) =>
        string.IsNullOrEmpty(value) ? throw Invalid($"1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null") : value;

    private static void CheckGroupName(string name)
    {
        if (name.Length > 150 || !GroupNamePattern().IsMatch(name))
        {
            throw Invalid($"1 validation error detected: Value '{name}' at 'featureGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: {GroupNamePattern()}");
        }
    }

    private static void CheckFeatureName(string name)
    {
        if (name.Length > 64 || !FeatureNamePattern().IsMatch(name))
        {
            throw Invalid($"1 validation error detected: Value '{name}' at 'featureName' failed to satisfy constraint: Member must satisfy regular expression pattern: {FeatureNamePattern()}");
        }
    }

    private static RuntimeError Invalid(string message) => new("ValidationError", 400, message);

    private static async Task WriteErrorAsync(HttpContext http, string type, int status, string message)
    {
        if (http.Response.HasStarted)
        {
            return;
        }

        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        http.Response.Headers["x-amzn-ErrorType"] = type;
        await using var json = new Utf8JsonWriter(http.Response.Body);
        json.WriteStartObject();
        json.WriteString("Message", message);
        json.WriteEndObject();
    }

    [GeneratedRegex(@"^(arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:feature-group/)?([a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63})$")]
    private static partial Regex GroupNamePattern();

    [GeneratedRegex(@"^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$")]
    private static partial Regex FeatureNamePattern();

    private sealed class RuntimeError(string type, int status, string message) : Exception(message)
    {
        public string Type { get; } = type;

        public int Status { get; } = status;
    }

    private sealed class FeatureValue
    {
        public string? FeatureName { get; set; }

        public string? ValueAsString { get; set; }

        public List<string>? ValueAsStringList { get; set; }
    }

    private sealed class TtlDurationShape
    {
        public string? Unit { get; set; }

        public int? Value { get; set; }
    }

    private sealed class PutRecordRequest
    {
        public List<FeatureValue>? Record { get; set; }

        public List<string>? TargetStores { get; set; }

        public TtlDurationShape? TtlDuration { get; set; }
    }

    private sealed class GetRecordResponse
    {
        public List<FeatureValue>? Record { get; set; }

        public string? ExpiresAt { get; set; }
    }

    private sealed class BatchGetRecordIdentifier
    {
        public string? FeatureGroupName { get; set; }

        public List<string>? RecordIdentifiersValueAsString { get; set; }

        public List<string>? FeatureNames { get; set; }
    }

    private sealed class BatchGetRecordRequest
    {
        public List<BatchGetRecordIdentifier>? Identifiers { get; set; }

        public string? ExpirationTimeResponse { get; set; }
    }

    private sealed record BatchGetRecordResultDetail(string FeatureGroupName, string RecordIdentifierValueAsString, List<FeatureValue> Record, string? ExpiresAt);

    private sealed record BatchGetRecordError(string FeatureGroupName, string RecordIdentifierValueAsString, string ErrorCode, string ErrorMessage);

    private sealed class BatchGetRecordResponse
    {
        public List<BatchGetRecordResultDetail> Records { get; } = [];

        public List<BatchGetRecordError> Errors { get; } = [];

        public List<BatchGetRecordIdentifier> UnprocessedIdentifiers { get; } = [];
    }
}
