using Kiln.Studio.Canvas;
using Kiln.Studio.Components;
using Kiln.Studio.Data;
using Kiln.Studio.Data.Endpoints;
using Kiln.Studio.Data.FeatureStore;
using Kiln.Studio.Data.Monitoring;
using Kiln.Studio.Data.Pipelines;
using Kiln.Studio.Forms;
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
        services.AddSingleton<StudioPermissions>();
        services.AddSingleton<RunningNowQuery>();
        services.AddSingleton<RunsTableQuery>();
        services.AddSingleton<RunArtifacts>();
        services.AddSingleton<RunLineage>();
        services.AddSingleton<JobsQuery>();
        services.AddSingleton<TuningQuery>();
        services.AddSingleton<LiveTopics>();
        services.AddSingleton<ILiveFingerprints>(provider => provider.GetRequiredService<LiveTopics>());
        services.AddSingleton<LivePolls>();
        services.AddSingleton<TrafficHistory>();
        services.AddSingleton<EndpointQuery>();
        services.AddSingleton<CaptureFiles>();
        services.AddSingleton<PipelineQuery>();
        services.AddSingleton<MonitoringQuery>();
        services.AddSingleton<FeatureStoreQuery>();
        services.AddSingleton<CanvasDatasets>();
        services.AddSingleton<CanvasPredictions>();
        return services;
    }

    /// <summary>What Studio's pages need in the request pipeline: Razor component endpoints refuse to run without antiforgery.</summary>
    public static IApplicationBuilder UseKilnStudio(this IApplicationBuilder app) => app.UseAntiforgery();

    /// <summary>
    /// Maps the pages, their assets and the live event stream.
    /// </summary>
    public static IEndpointRouteBuilder MapKilnStudio(this IEndpointRouteBuilder app)
    {
        // Razor components also answer POST (enhanced forms), but POST / is SageMaker's JSON endpoint: Studio's pages
        // are GET only (their forms use GET). A page that needs a form POST must live at a path no API uses.
        app.MapRazorComponents<App>().Finally(endpoint => endpoint.Metadata.Add(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head])));
        StudioAssets.Map(app);
        StudioEvents.Map(app);
        StudioArtifacts.Map(app);
        EndpointWeightsForm.Map(app);
        PipelineExecutionForms.Map(app);
        StudioApprovals.Map(app);
        StudioJobActions.Map(app);
        StudioLogin.Map(app);
        CanvasEndpoints.Map(app);
        return app;
    }
}
