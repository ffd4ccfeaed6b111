using Kiln.Api.MLflow;
using Kiln.Core.Artifacts;
using Kiln.Core.Common;
using Kiln.Core.Security.Permissions;

namespace Kiln.Api.Security.Permissions;

/// <summary>
/// MLflow's permissions on its artifact proxy: artifacts of <c>mlflow-artifacts:/EXPERIMENT_ID/RUN_ID/artifacts/…</c>
/// belong to the experiment the path starts with, as MLflow's auth app reads it. Downloading and listing need read,
/// uploading update, deleting delete.
/// </summary>
internal static class ArtifactProxyPermissions
{
    private const string Prefix = "/api/2.0/mlflow-artifacts/";

    public static IApplicationBuilder UseArtifactProxyPermissions(this IApplicationBuilder app) =>
        app.Use((http, next) =>
            http.Request.Path.StartsWithSegments("/api/2.0/mlflow-artifacts", StringComparison.Ordinal) && !http.Caller().IsAdmin
                ? CheckAsync(http, next)
                : next(http));

    private static async Task CheckAsync(HttpContext http, RequestDelegate next)
    {
        var rest = http.Request.Path.Value![Prefix.Length..];
        var path = rest switch
        {
            "artifacts" => http.Request.Query["path"].LastOrDefault() ?? "",
            _ when rest.StartsWith("artifacts/", StringComparison.Ordinal) => rest["artifacts/".Length..],
            // A part upload names its upload, which was checked when it was created.
            _ when rest.StartsWith("mpu/parts/", StringComparison.Ordinal) => null,
            _ when rest.StartsWith("mpu/", StringComparison.Ordinal) && rest.IndexOf('/', "mpu/".Length) is > 0 and var slash => rest[(slash + 1)..],
            _ => null,
        };
        var action = http.Request.Method switch
        {
            "GET" or "HEAD" => ResourceAction.Read,
            "DELETE" => ResourceAction.Delete,
            _ => ResourceAction.Update,
        };
        try
        {
            var experimentId = path is null ? "" : ArtifactPath.Normalize(path).Split('/', 2)[0];
            if (experimentId.Length > 0)
            {
                var permissions = http.RequestServices.GetRequiredService<ResourcePermissions>();
                await permissions.DemandAsync(http.Caller(), ResourceKind.Experiment, experimentId, action, http.RequestAborted);
            }
        }
        catch (KilnException e)
        {
            await MlflowErrors.WriteAsync(http.Response, e);
            return;
        }

        await next(http);
    }
}
