using Kiln.Core.Common;
using Kiln.Pipelines;
using Microsoft.AspNetCore.Antiforgery;

namespace Kiln.Studio.Forms;

/// <summary>
/// The execution page's Retry and Stop buttons: <c>POST /studio/pipeline-executions/{id}/retry</c> and <c>/stop</c>,
/// handled by the services behind RetryPipelineExecution and StopPipelineExecution, then back to the execution page
/// (with the service's message when it refuses).
/// </summary>
public static class PipelineExecutionForms
{
    public static string Action(string id, string action) => $"/studio/pipeline-executions/{Uri.EscapeDataString(id)}/{action}";

    internal static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/studio/pipeline-executions/{id}/retry", (string id, HttpContext http, IAntiforgery antiforgery, PipelineService pipelines, CancellationToken ct) =>
            PostAsync(id, "retry", http, antiforgery, pipelines, ct));
        app.MapPost("/studio/pipeline-executions/{id}/stop", (string id, HttpContext http, IAntiforgery antiforgery, PipelineService pipelines, CancellationToken ct) =>
            PostAsync(id, "stop", http, antiforgery, pipelines, ct));
    }

    private static async Task<IResult> PostAsync(string id, string action, HttpContext http, IAntiforgery antiforgery, PipelineService pipelines, CancellationToken ct)
    {
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return Results.BadRequest("The form expired; reload the page and try again.");
        }

        string page;
        try
        {
            var execution = await pipelines.DescribeExecutionAsync(id, ct);
            page = $"/pipelines/{Uri.EscapeDataString(execution.PipelineName)}/executions/{Uri.EscapeDataString(id)}";
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return Results.NotFound();
        }

        try
        {
            await (action == "retry" ? pipelines.RetryAsync(id, ct) : pipelines.StopAsync(id, ct));
        }
        catch (KilnException e)
        {
            return Results.Redirect($"{page}?error={Uri.EscapeDataString(e.Message)}");
        }

        return Results.Redirect($"{page}?done={action}");
    }
}
