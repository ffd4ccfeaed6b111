using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Api.SageMaker;
using Kiln.Core.Common;
using Kiln.Core.FeatureStore;

namespace Kiln.Api.Native;

/// <summary>
/// <c>POST /api/kiln/feature-store/datasets</c>: builds a point-in-time-correct training set (see
/// <see cref="ITrainingDatasetBuilder"/>). Body: <c>{"events": "s3://…/events.csv", "event_time_column": "…",
/// "record_id_column": "…", "feature_groups": ["…"], "output": "s3://…/", "format": "csv"}</c>. Answers 201 with where the
/// file went, its rows and columns and its lineage artifact; 400 for a bad request, 404 for an unknown group or events file.
/// </summary>
internal static class FeatureStoreDatasetsApi
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static async Task<IResult> BuildAsync(HttpContext http, ITrainingDatasetBuilder builder)
    {
        DatasetBody? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<DatasetBody>(http.Request.Body, Json, http.RequestAborted);
        }
        catch (JsonException)
        {
            body = null;
        }

        if (body is null || body.Events is null || body.EventTimeColumn is null || body.RecordIdColumn is null || body.FeatureGroups is not { Count: > 0 } || body.Output is null)
        {
            return Results.Json(new { error_code = "INVALID_PARAMETER_VALUE", message = "The body must be JSON with events, event_time_column, record_id_column, feature_groups (a non-empty list) and output; format is csv (default) or parquet." }, statusCode: 400);
        }

        try
        {
            var result = await builder.BuildAsync(new DatasetRequest(body.Events, body.EventTimeColumn, body.RecordIdColumn, body.FeatureGroups, body.Output, body.Format ?? "csv", AwsCaller.From(http.Request).Region), http.RequestAborted);
            return Results.Json(new DatasetResponse(result.OutputUri, result.FileUri, result.Rows, result.Columns, result.ArtifactArn, result.ContentHash), Json, statusCode: 201);
        }
        catch (KilnException e) when (e.Code is ErrorCode.InvalidParameterValue or ErrorCode.ResourceDoesNotExist)
        {
            var notFound = e.Code == ErrorCode.ResourceDoesNotExist;
            return Results.Json(new { error_code = notFound ? "RESOURCE_DOES_NOT_EXIST" : "INVALID_PARAMETER_VALUE", message = e.Message }, statusCode: notFound ? 404 : 400);
        }
    }

    private sealed record DatasetBody(string? Events, string? EventTimeColumn, string? RecordIdColumn, List<string>? FeatureGroups, string? Output, string? Format);

    private sealed record DatasetResponse(string Output, string File, long Rows, IReadOnlyList<string> Columns, string ArtifactArn, string ContentHash);
}
