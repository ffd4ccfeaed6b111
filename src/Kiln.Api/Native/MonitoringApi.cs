using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Monitoring;
using Kiln.Core.Objects;

namespace Kiln.Api.Native;

/// <summary>Model Monitor beyond SageMaker's API: run a schedule now, and read its latest violations without S3 (what <c>kiln monitor</c> uses).</summary>
internal static class MonitoringApi
{
    public static async Task<IResult> RunNowAsync(string name, HttpContext http, MonitoringService monitoring)
    {
        try
        {
            var schedule = await monitoring.RunNowAsync(name, http.RequestAborted);
            return Results.Json(new { name = schedule.Name, expression = schedule.Schedule.Expression, runNowPending = schedule.RunNowPending });
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return Results.Json(new { error = e.Message }, statusCode: 404);
        }
        catch (KilnException e)
        {
            return Results.Json(new { error = e.Message }, statusCode: 400);
        }
    }

    /// <summary>The latest reported execution of the schedule and the violations its constraint_violations.json lists (empty when it lists none).</summary>
    public static async Task<IResult> ViolationsAsync(string name, HttpContext http, MonitoringService monitoring, ObjectStore objects)
    {
        MonitoringExecution? execution;
        try
        {
            execution = await monitoring.LatestReportedExecutionAsync(name, http.RequestAborted);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return Results.Json(new { error = e.Message }, statusCode: 404);
        }

        if (execution is null)
        {
            return Results.Json(new { error = $"No execution of monitoring schedule {name} has written reports yet." }, statusCode: 404);
        }

        var uri = $"{execution.ReportUri!.TrimEnd('/')}/constraint_violations.json";
        JsonElement violations;
        try
        {
            var (bucket, key) = Core.Artifacts.DataUris.S3Location(uri);
            var (_, content) = await objects.GetAsync(bucket, key, http.RequestAborted);
            await using (content)
            {
                using var document = await JsonDocument.ParseAsync(content, cancellationToken: http.RequestAborted);
                violations = document.RootElement.TryGetProperty("violations", out var list) ? list.Clone() : JsonSerializer.SerializeToElement(Array.Empty<object>());
            }
        }
        catch (ObjectStoreException)
        {
            // A failed analysis writes no report.
            violations = JsonSerializer.SerializeToElement(Array.Empty<object>());
        }

        return Results.Json(new
        {
            execution = execution.Name,
            status = execution.Status.ToString(),
            scheduledTime = execution.ScheduledTime,
            reportUri = uri,
            violations,
        });
    }
}
