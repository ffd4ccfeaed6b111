using Kiln.Core.Common;
using Kiln.Core.Tracking;
using Kiln.Studio.Data;
using Microsoft.AspNetCore.StaticFiles;

namespace Kiln.Studio;

/// <summary>The bytes of a run's artifact, for image previews, the sandboxed HTML frame and downloads.</summary>
public static class StudioArtifacts
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static string Url(string runId, string path) =>
        $"/studio/runs/{Uri.EscapeDataString(runId)}/artifact?path={Uri.EscapeDataString(path)}";

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/studio/runs/{runId}/artifact", async (string runId, string? path, TrackingService tracking, RunArtifacts artifacts, StudioPermissions permissions, HttpContext http) =>
        {
            Run run;
            try
            {
                run = await tracking.GetRunAsync(runId, http.RequestAborted);
            }
            catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
            {
                return Results.NotFound();
            }

            if (!await permissions.MayReadRunAsync(http, run, http.RequestAborted))
            {
                return Results.NotFound();
            }

            var stream = string.IsNullOrEmpty(path) ? null : await artifacts.OpenAsync(run, path, http.RequestAborted);
            if (stream is null)
            {
                return Results.NotFound();
            }

            // Whatever a run logged, it never runs as Studio's own page: no script, no same-origin access.
            http.Response.Headers.ContentSecurityPolicy = "sandbox";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            return Results.Stream(stream, ContentTypes.TryGetContentType(path!, out var type) ? type : "application/octet-stream");
        });
}
