using System.Text.Json;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Microsoft.AspNetCore.StaticFiles;

namespace Kiln.Api.MLflow;

/// <summary>
/// MLflow's artifact proxy (mlflow_artifacts.proto): clients whose runs have <c>mlflow-artifacts:/…</c>
/// URIs upload, download, list and delete files through Kiln, which keeps them in its artifact store.
/// </summary>
internal static class MlflowArtifactsApi
{
    public const string Scheme = MlflowApi.ArtifactScheme;

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>The store-relative path behind an <c>mlflow-artifacts:/a/b</c> (or <c>mlflow-artifacts://host/a/b</c>) URI; null for other schemes.</summary>
    public static string? StorePath(string uri)
    {
        if (!uri.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = uri[Scheme.Length..];
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            var slash = rest.IndexOf('/', 2);
            rest = slash < 0 ? "" : rest[slash..];
        }

        return ArtifactPath.Normalize(rest.TrimStart('/'));
    }

    public static void WriteFileInfo(Utf8JsonWriter w, string path, ArtifactEntry entry)
    {
        w.WriteStartObject();
        w.WriteString("path", path);
        w.WriteBoolean("is_dir", entry.IsDirectory);
        if (entry.Size is { } size)
        {
            w.WriteNumber("file_size", size);
        }

        w.WriteEndObject();
    }

    /// <summary>
    /// Kestrel resolves dot segments (even percent-encoded ones) before routing, so an escape attempt
    /// would only miss the route. This refuses it explicitly, from the raw request target.
    /// </summary>
    public static IApplicationBuilder UseArtifactPathGuard(this IApplicationBuilder app) =>
        app.Use((http, next) =>
        {
            // Every request passes here: those outside the artifact proxy go on without an allocation.
            var raw = http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "";
            return raw.StartsWith(ProxyPrefix, StringComparison.Ordinal) ? GuardRawPathAsync(http, next, raw) : next(http);
        });

    private const string ProxyPrefix = "/api/2.0/mlflow-artifacts/";

    private static async Task GuardRawPathAsync(HttpContext http, RequestDelegate next, string raw)
    {
        var rawPath = raw.Split('?', 2)[0];
        try
        {
            ArtifactPath.Normalize(rawPath[ProxyPrefix.Length..]);
        }
        catch (KilnException e)
        {
            await MlflowErrors.WriteAsync(http.Response, e);
            return;
        }

        await next(http);
    }

    public static void Map(IEndpointRouteBuilder app)
    {
        const string Prefix = "/api/2.0/mlflow-artifacts/artifacts";
        app.MapGet(Prefix, List);
        app.MapGet(Prefix + "/{**path}", Download);
        app.MapPut(Prefix + "/{**path}", Upload);
        app.MapDelete(Prefix + "/{**path}", Delete);
        MlflowMultipartUploadApi.Map(app);

        // Anything else under the proxy answers as MLflow does, with a JSON error a client can decode.
        app.Map("/api/2.0/mlflow-artifacts/{**rest}", http => MlflowErrors.WriteAsync(
            http.Response, "ENDPOINT_NOT_FOUND", 404, $"No API endpoint at {http.Request.Method} {http.Request.Path}"));
    }

    private static async Task List(HttpContext http, IArtifactStore store)
    {
        await Guard(http, async () =>
        {
            var path = ArtifactPath.Normalize(http.Request.Query["path"].LastOrDefault());
            var entries = await store.ListAsync(path, http.RequestAborted) ?? [];
            await WriteJson(http, w =>
            {
                w.WriteStartObject();
                if (entries.Count > 0)
                {
                    w.WriteStartArray("files");
                    foreach (var entry in entries)
                    {
                        WriteFileInfo(w, entry.Path[(entry.Path.LastIndexOf('/') + 1)..], entry);
                    }

                    w.WriteEndArray();
                }

                w.WriteEndObject();
            });
        });
    }

    private static async Task Download(HttpContext http, IArtifactStore store, string path)
    {
        await Guard(http, async () =>
        {
            var normalized = ArtifactPath.Normalize(path);
            await using var stream = await store.OpenReadAsync(normalized, http.RequestAborted)
                ?? throw KilnException.NotFound($"File {path} does not exist");
            http.Response.ContentType = ContentTypes.TryGetContentType(normalized, out var type) ? type : "application/octet-stream";
            http.Response.ContentLength = stream.CanSeek ? stream.Length : null;
            await stream.CopyToAsync(http.Response.Body, http.RequestAborted);
        });
    }

    private static async Task Upload(HttpContext http, IArtifactStore store, string path)
    {
        await Guard(http, async () =>
        {
            var normalized = ArtifactPath.Normalize(path);
            if (normalized.Length == 0)
            {
                throw KilnException.InvalidParameter($"Invalid path: {path}");
            }

            // Artifacts can be models of many gigabytes: they stream to the store with no size limit.
            if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = null;
            }

            await store.WriteAsync(normalized, http.Request.Body, http.RequestAborted);
            await WriteJson(http, w =>
            {
                w.WriteStartObject();
                w.WriteEndObject();
            });
        });
    }

    private static async Task Delete(HttpContext http, IArtifactStore store, string path)
    {
        await Guard(http, async () =>
        {
            var normalized = ArtifactPath.Normalize(path);
            if (normalized.Length == 0 || !await store.DeleteAsync(normalized, http.RequestAborted))
            {
                throw KilnException.NotFound($"No such file or directory: '{path}'");
            }

            await WriteJson(http, w =>
            {
                w.WriteStartObject();
                w.WriteEndObject();
            });
        });
    }

    public static async Task Guard(HttpContext http, Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (KilnException e) when (!http.Response.HasStarted)
        {
            await MlflowErrors.WriteAsync(http.Response, e);
        }
    }

    public static async Task WriteJson(HttpContext http, Action<Utf8JsonWriter> write)
    {
        http.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(http.Response.Body);
        write(writer);
        await writer.FlushAsync(http.RequestAborted);
    }
}
