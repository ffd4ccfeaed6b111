using Kiln.Api.Security;
using Kiln.Core.Common;
using Kiln.Core.Pipelines;
using Kiln.Core.Processing;
using Kiln.Core.Security;
using Kiln.Pipelines;
using Microsoft.AspNetCore.Antiforgery;

namespace Kiln.Studio.Forms;

/// <summary>
/// The execution page's Retry and Stop buttons: <c>POST /studio/pipeline-executions/{id}/retry</c> and <c>/stop</c>,
/// handled by the services behind RetryPipelineExecution and StopPipelineExecution, then back to the execution page
/// (with the service's message when it refuses). A retry runs the execution's steps again, so a signed-in user without
/// the code right may not retry an execution whose pipeline has a step that runs a command (as RetryPipelineExecution).
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

        PipelineExecution execution;
        try
        {
            execution = await pipelines.DescribeExecutionAsync(id, ct);
        }
        catch (KilnException e) when (e.Code == ErrorCode.ResourceDoesNotExist)
        {
            return Results.NotFound();
        }

        var page = $"/pipelines/{Uri.EscapeDataString(execution.PipelineName)}/executions/{Uri.EscapeDataString(id)}";
        if (action == "retry")
        {
            var caller = StudioSessions.AreOn(http.RequestServices) ? await StudioSessions.CallerAsync(http) : KilnCaller.Anonymous;
            if (caller is null)
            {
                return Results.Unauthorized();
            }

            var builtIns = http.RequestServices.GetRequiredService<IEnumerable<IBuiltInProcessor>>();
            if (!caller.CanRunCode && CodeExecutionPolicy.PipelineStepRunningCode(execution.DefinitionJson, builtIns) is { } step)
            {
                var refusal = CodeExecutionPolicy.Refusal(caller, $"pipeline '{execution.PipelineName}' (step '{step}')");
                return Results.Redirect($"{page}?error={Uri.EscapeDataString(refusal)}");
            }
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
