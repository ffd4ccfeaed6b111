using Kiln.Studio.Canvas;
using Kiln.Studio.Components;
using Kiln.Studio.Data;
using Kiln.Studio.Live;
using Microsoft.AspNetCore.Routing;

namespace Kiln.Studio;

/// <summary>
/// Kiln Studio: the web UI at the base URL. Razor components rendered on the server (static SSR, no circuits), which
/// read Kiln's domain services in process; small scripts draw charts and refresh live regions over server-sent events.
/// </summary>
public static class StudioServiceCollectionExtensions
{
    public static IServiceCollection AddKilnStudio(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddSingleton<RunningNowQuery>();
        services.AddSingleton<RunsTableQuery>();
        services.AddSingleton<RunArtifacts>();
        services.AddSingleton<LiveTopics>();
        services.AddSingleton<CanvasDatasets>();
        services.AddSingleton<CanvasPredictions>();
        return services;
    }

    /// <summary>
    /// Maps the pages, their assets and the live event stream. Pages yield to every API route of the same
    /// path and method (Razor components answer GET and POST, and POST / is SageMaker's JSON endpoint).
    /// </summary>
    public static IEndpointRouteBuilder MapKilnStudio(this IEndpointRouteBuilder app)
    {
        app.MapRazorComponents<App>().Add(endpoint => ((RouteEndpointBuilder)endpoint).Order = 1);
        StudioAssets.Map(app);
        StudioEvents.Map(app);
        StudioArtifacts.Map(app);
        CanvasEndpoints.Map(app);
        return app;
    }
}
