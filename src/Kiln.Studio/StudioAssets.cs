using System.Reflection;
using Microsoft.AspNetCore.StaticFiles;

namespace Kiln.Studio;

/// <summary>Serves the files of wwwroot/ (embedded in this assembly) at /studio/assets/.</summary>
public static class StudioAssets
{
    public const string Prefix = "/studio/assets/";

    private static readonly Assembly Assembly = typeof(StudioAssets).Assembly;
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>The URL of a file under wwwroot/, e.g. <c>Url("lib/echarts/echarts.min.js")</c>.</summary>
    public static string Url(string path) => Prefix + path;

    internal static void Map(IEndpointRouteBuilder app) =>
        app.MapGet(Prefix + "{**path}", (string path, HttpContext http) =>
        {
            var stream = Assembly.GetManifestResourceStream("studio/" + path);
            if (stream is null)
            {
                return Results.NotFound();
            }

            http.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Stream(stream, ContentTypes.TryGetContentType(path, out var type) ? type : "application/octet-stream");
        });
}
