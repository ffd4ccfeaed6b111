using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Core.Pipelines;

namespace Kiln.Pipelines.Steps;

/// <summary>
/// A RegisterModel step registers into its model package group, and SageMaker Pipelines creates that group when
/// it does not exist yet (CreateModelPackage alone would refuse), so the first run of a pipeline needs no setup.
/// </summary>
internal static class RegisterModelStep
{
    private const string GroupArnMarker = ":model-package-group/";

    public static async Task EnsureGroupAsync(IPipelineOperations operations, JsonObject request, string caller, CancellationToken ct)
    {
        if (request["ModelPackageGroupName"] is not JsonValue value || !value.TryGetValue<string>(out var group) || group.Length == 0)
        {
            return;
        }

        var marker = group.IndexOf(GroupArnMarker, StringComparison.Ordinal);
        var name = marker >= 0 ? group[(marker + GroupArnMarker.Length)..] : group;
        try
        {
            await operations.InvokeAsync("CreateModelPackageGroup", JsonSerializer.SerializeToElement(new { ModelPackageGroupName = name }), caller, ct).ConfigureAwait(false);
        }
        catch (PipelineOperationException e) when (e.ErrorType == "ValidationException" && e.Message.Contains("already exists", StringComparison.Ordinal))
        {
        }
    }
}
