using System.Globalization;
using System.Text.Json;
using Kiln.Api.MLflow;
using Kiln.Core.Security.Audit;

namespace Kiln.Api.Security.Audit;

/// <summary>
/// <c>GET /api/kiln/audit?user=&amp;since=&amp;limit=&amp;pageToken=</c> (entries oldest first, a page token for
/// the next page) and <c>GET /api/kiln/audit/verify</c> (checks the hash chain). Admins only: anyone else gets
/// <c>403 PERMISSION_DENIED</c>.
/// </summary>
public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/kiln/audit", ListAsync);
        app.MapGet("/api/kiln/audit/verify", VerifyAsync);
        return app;
    }

    private static async Task ListAsync(HttpContext http, IAuditStore store, AuditWriter writer)
    {
        if (!await IsAdminAsync(http))
        {
            return;
        }

        var query = http.Request.Query;
        DateTimeOffset? since = null;
        if (query["since"].ToString() is { Length: > 0 } sinceText)
        {
            if (ParseTime(sinceText) is not { } parsed)
            {
                await MlflowErrors.WriteAsync(http.Response, "INVALID_PARAMETER_VALUE", 400, $"since must be an ISO 8601 time (2026-01-02T03:04:05Z) or Unix milliseconds, got '{sinceText}'.");
                return;
            }

            since = parsed;
        }

        var limit = 100;
        if (query["limit"].ToString() is { Length: > 0 } limitText && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
        {
            await MlflowErrors.WriteAsync(http.Response, "INVALID_PARAMETER_VALUE", 400, $"limit must be a number from 1 to 1000, got '{limitText}'.");
            return;
        }

        long after = 0;
        if (query["pageToken"].ToString() is { Length: > 0 } token && (!long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out after) || after < 0))
        {
            await MlflowErrors.WriteAsync(http.Response, "INVALID_PARAMETER_VALUE", 400, $"pageToken '{token}' is not one this API handed out.");
            return;
        }

        // What was queued before this request is readable by it.
        await writer.FlushAsync(http.RequestAborted);
        var user = query["user"].ToString();
        var page = await store.ListAsync(new AuditQuery(user.Length > 0 ? user : null, since, after, limit), http.RequestAborted);
        http.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(http.Response.Body);
        json.WriteStartObject();
        json.WriteStartArray("entries");
        foreach (var entry in page.Entries)
        {
            Write(json, entry);
        }

        json.WriteEndArray();
        if (page.NextAfter is { } next)
        {
            json.WriteString("next_page_token", next.ToString(CultureInfo.InvariantCulture));
        }

        json.WriteEndObject();
    }

    private static async Task VerifyAsync(HttpContext http, IAuditStore store, AuditWriter writer)
    {
        if (!await IsAdminAsync(http))
        {
            return;
        }

        await writer.FlushAsync(http.RequestAborted);
        var result = await AuditChain.VerifyAsync(store, http.RequestAborted);
        http.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(http.Response.Body);
        json.WriteStartObject();
        json.WriteBoolean("intact", result.Intact);
        json.WriteNumber("verified", result.Verified);
        if (result.BrokenAt is { } broken)
        {
            json.WriteNumber("broken_at", broken);
            json.WriteString("problem", result.Problem);
        }

        if (result.LastHash is { } last)
        {
            json.WriteString("last_hash", last);
        }

        json.WriteEndObject();
    }

    public static void Write(Utf8JsonWriter json, AuditEntry entry)
    {
        var record = entry.Record;
        json.WriteStartObject();
        json.WriteNumber("sequence", entry.Sequence);
        json.WriteString("time", record.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        json.WriteString("user", record.User);
        json.WriteString("access_key_id", record.AccessKeyId);
        json.WriteString("action", record.Action);
        json.WriteString("resource", record.Resource);
        json.WriteString("remote_ip", record.RemoteIp);
        json.WriteNumber("status", record.Status);
        json.WriteString("error_code", record.ErrorCode);
        json.WriteString("previous_hash", entry.PreviousHash);
        json.WriteString("hash", entry.Hash);
        json.WriteEndObject();
    }

    /// <summary>An ISO 8601 time or Unix milliseconds.</summary>
    public static DateTimeOffset? ParseTime(string text)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= 253402300799999)
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time : null;
    }

    private static async Task<bool> IsAdminAsync(HttpContext http)
    {
        if (http.Caller().IsAdmin)
        {
            return true;
        }

        await MlflowErrors.WriteAsync(http.Response, "PERMISSION_DENIED", 403, "Only an admin may read the audit log.");
        return false;
    }
}
