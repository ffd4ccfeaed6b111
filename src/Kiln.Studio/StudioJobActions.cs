using Kiln.Core.Common;
using Kiln.Studio.Data;
using Microsoft.AspNetCore.Antiforgery;

namespace Kiln.Studio;

/// <summary>
/// The Stop buttons of the job and tuning pages: form POSTs (with Studio's antiforgery token) handled by the same
/// services StopTrainingJob, StopProcessingJob, StopTransformJob and StopHyperParameterTuningJob use, answered with a
/// redirect back to the page (post/redirect/get), which says what happened.
/// </summary>
public static class StudioJobActions
{
    public static string StopUrl(string kind, string name) => $"/studio/jobs/{kind}/{Uri.EscapeDataString(name)}/stop";

    public static string StopTuningUrl(string name) => $"/studio/tuning/{Uri.EscapeDataString(name)}/stop";

    internal static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/studio/jobs/{kind}/{name}/stop", (string kind, string name, JobsQuery jobs, IAntiforgery antiforgery, HttpContext http) =>
            StopAsync(JobKinds.Link(kind, name), () => jobs.StopAsync(kind, name, http.RequestAborted), antiforgery, http));
        app.MapPost("/studio/tuning/{name}/stop", (string name, TuningQuery tuning, IAntiforgery antiforgery, HttpContext http) =>
            StopAsync($"/tuning/{Uri.EscapeDataString(name)}", () => tuning.StopAsync(name, http.RequestAborted), antiforgery, http));
    }

    private static async Task<IResult> StopAsync(string page, Func<Task> stop, IAntiforgery antiforgery, HttpContext http)
    {
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return Results.BadRequest("The form's antiforgery token is missing or invalid: reload the page and try again.");
        }

        try
        {
            await stop();
            return Results.Redirect(page + "?stop=requested");
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return Results.Redirect(page);
        }
        catch (KilnException e)
        {
            return Results.Redirect(page + "?stop=" + Uri.EscapeDataString(e.Message));
        }
    }
}
