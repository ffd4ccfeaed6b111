using System.Globalization;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Microsoft.AspNetCore.Http.Features;

namespace Kiln.Api.MLflow;

/// <summary>
/// MLflow's proxied multipart upload (mlflow_artifacts.proto: CreateMultipartUpload, CompleteMultipartUpload,
/// AbortMultipartUpload), used by clients with MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true. Where MLflow hands
/// out presigned cloud URLs for the parts, Kiln hands out URLs of its own part endpoint.
/// </summary>
internal static class MlflowMultipartUploadApi
{
    private const string Prefix = "/api/2.0/mlflow-artifacts/mpu";

    public static void Map(IEndpointRouteBuilder app)
    {
        foreach (var (action, handler) in new (string, MlflowHandler)[] { ("create", Create), ("complete", Complete), ("abort", Abort) })
        {
            var byMethod = new Dictionary<string, MlflowHandler>(StringComparer.OrdinalIgnoreCase) { ["POST"] = handler };
            // POST only: the GET-as-POST leniency of the tracking API must not open uploads.
            app.Map($"{Prefix}/{action}/{{**path}}", http => HttpMethods.IsPost(http.Request.Method)
                ? MlflowApi.DispatchAsync(http, byMethod)
                : MlflowErrors.WriteAsync(http.Response, "BAD_REQUEST", 405, $"The method {http.Request.Method} is not allowed for {http.Request.Path}; use POST."));
        }

        app.MapPut(Prefix + "/parts/{uploadId}/{partNumber}", UploadPart);
    }

    private static ArtifactUploads Uploads(MlflowCall call) => call.Http.RequestServices.GetRequiredService<ArtifactUploads>();

    /// <summary>MLflow stores the file under the route's folder with the client's file name (the basename of the local path in "path").</summary>
    private static string Target(MlflowCall call)
    {
        var folder = ArtifactPath.Normalize(call.Http.GetRouteValue("path") as string);
        var local = call.Request.String("path", required: true)!;
        var name = local[(local.LastIndexOfAny(['/', '\\']) + 1)..];
        if (name.Length == 0 || name is "." or "..")
        {
            throw KilnException.InvalidParameter($"Invalid path: {local} names no file");
        }

        return ArtifactPath.Normalize(ArtifactPath.Combine(folder, name));
    }

    private static async Task Create(MlflowCall call)
    {
        var upload = await Uploads(call).CreateAsync(Target(call), call.Request.Long("num_parts"), call.Aborted);
        var request = call.Http.Request;
        var partsUrl = $"{request.Scheme}://{request.Host}{request.PathBase}{Prefix}/parts/{upload.UploadId}/";
        var w = call.Json;
        w.WriteStartObject();
        w.WriteString("upload_id", upload.UploadId);
        w.WriteStartArray("credentials");
        for (var part = 1; part <= upload.PartCount; part++)
        {
            w.WriteStartObject();
            w.WriteString("url", partsUrl + part.ToString(CultureInfo.InvariantCulture));
            w.WriteNumber("part_number", part);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static async Task Complete(MlflowCall call)
    {
        var target = Target(call);
        var uploadId = call.Request.String("upload_id", required: true);
        var parts = call.Request.Objects("parts")
            .Select(part => (part.Long("part_number", required: true)!.Value, part.String("etag")))
            .ToList();
        await Uploads(call).CompleteAsync(uploadId, target, parts, call.Aborted);
        call.Empty();
    }

    private static async Task Abort(MlflowCall call)
    {
        var target = Target(call);
        await Uploads(call).AbortAsync(call.Request.String("upload_id", required: true), target, call.Aborted);
        call.Empty();
    }

    /// <summary>The URL handed out for each part: a PUT of the raw bytes, answered with the part's ETag header.</summary>
    private static async Task UploadPart(HttpContext http, ArtifactUploads uploads, string uploadId, string partNumber)
    {
        await MlflowArtifactsApi.Guard(http, async () =>
        {
            if (!long.TryParse(partNumber, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                throw KilnException.InvalidParameter($"Invalid part number {partNumber}: it must be a positive integer.");
            }

            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = null;
            }

            var part = await uploads.UploadPartAsync(uploadId, number, http.Request.Body, http.RequestAborted);
            http.Response.Headers.ETag = part.ETag;
            await MlflowArtifactsApi.WriteJson(http, w =>
            {
                w.WriteStartObject();
                w.WriteEndObject();
            });
        });
    }
}
