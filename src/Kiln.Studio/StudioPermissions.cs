using Kiln.Api.Security;
using Kiln.Api.Security.Permissions;
using Kiln.Core.Lineage;
using Kiln.Core.Registry;
using Kiln.Core.Security;
using Kiln.Core.Security.Permissions;
using Kiln.Core.Tracking;

namespace Kiln.Studio;

/// <summary>
/// MLflow's permissions as Studio applies them, the same <see cref="ResourcePermissions"/> the MLflow and SageMaker
/// APIs use: an experiment's runs (and their metrics, charts and artifacts) need READ on the experiment; a registered
/// model, alias a model package group, and its versions (model packages) need READ on the model. Lists leave out what
/// the signed-in user may not read; a page for something they may not read answers exactly as for something that does
/// not exist. Actions need the permission the API needs for the same change. Without <c>--auth</c> the caller is the
/// anonymous admin, who may do anything, so nothing changes.
/// </summary>
public sealed class StudioPermissions(IServiceProvider services)
{
    /// <summary>Who is asking: the session's (or basic/bearer) user under <c>--auth</c>, the anonymous admin otherwise; null when a request is missing under <c>--auth</c> (then nothing is allowed).</summary>
    public KilnCaller? CallerOf(HttpContext? http) =>
        http?.Features.Get<KilnCaller>() ?? (StudioSessions.AreOn(services) ? null : KilnCaller.Anonymous);

    /// <summary>Whether the caller may do <paramref name="action"/> on the resource.</summary>
    public async Task<bool> MayAsync(HttpContext? http, ResourceKind kind, string resource, ResourceAction action, CancellationToken ct = default)
    {
        var caller = CallerOf(http);
        if (caller is null)
        {
            return false;
        }

        if (caller.IsAdmin)
        {
            return true;
        }

        var permissions = services.GetService<ResourcePermissions>();
        return permissions is null || await permissions.AllowsAsync(caller, kind, resource, action, ct);
    }

    public Task<bool> MayReadExperimentAsync(HttpContext? http, string experimentId, CancellationToken ct = default) =>
        MayAsync(http, ResourceKind.Experiment, experimentId, ResourceAction.Read, ct);

    /// <summary>A run is read with its experiment's permission (as MLflow's GetRun is).</summary>
    public Task<bool> MayReadRunAsync(HttpContext? http, Run run, CancellationToken ct = default) =>
        MayReadExperimentAsync(http, run.Info.ExperimentId, ct);

    /// <summary>A registered model, which is also a model package group; its versions are its model packages.</summary>
    public Task<bool> MayReadModelAsync(HttpContext? http, string name, CancellationToken ct = default) =>
        MayAsync(http, ResourceKind.RegisteredModel, name, ResourceAction.Read, ct);

    /// <summary>The items of a list the caller may read (filtered as MLflow's and SageMaker's searches filter).</summary>
    public async Task<IReadOnlyList<T>> ReadableAsync<T>(HttpContext? http, IReadOnlyList<T> items, ResourceKind kind, Func<T, string> resourceOf, CancellationToken ct = default)
    {
        var caller = CallerOf(http);
        if (caller is null)
        {
            return [];
        }

        var permissions = services.GetService<ResourcePermissions>();
        return caller.IsAdmin || permissions is null ? items : await permissions.ReadableAsync(caller, items, kind, resourceOf, ct);
    }

    public Task<IReadOnlyList<Experiment>> ReadableExperimentsAsync(HttpContext? http, IReadOnlyList<Experiment> experiments, CancellationToken ct = default) =>
        ReadableAsync(http, experiments, ResourceKind.Experiment, experiment => experiment.ExperimentId, ct);

    public Task<IReadOnlyList<Run>> ReadableRunsAsync(HttpContext? http, IReadOnlyList<Run> runs, CancellationToken ct = default) =>
        ReadableAsync(http, runs, ResourceKind.Experiment, run => run.Info.ExperimentId, ct);

    /// <summary>Whether the caller may see a lineage entity (a model package needs READ on its model, a job's trial component on its experiment).</summary>
    public async Task<bool> MaySeeLineageAsync(HttpContext? http, string arn, CancellationToken ct = default) =>
        CallerOf(http) is { } caller && (services.GetService<LineagePermissions>() is not { } lineage || await lineage.MaySeeAsync(caller, arn, ct));

    public async Task<IReadOnlyList<LineageEntity>> VisibleLineageAsync(HttpContext? http, IReadOnlyList<LineageEntity> entities, CancellationToken ct = default) =>
        CallerOf(http) is not { } caller ? []
        : services.GetService<LineagePermissions>() is { } lineage ? await lineage.VisibleAsync(caller, entities, ct)
        : entities;

    /// <summary>The graph without what the caller may not see (and the edges touching it), as SageMaker's QueryLineage answers it.</summary>
    public async Task<LineageGraph> VisibleLineageAsync(HttpContext? http, LineageGraph graph, CancellationToken ct = default) =>
        CallerOf(http) is not { } caller ? new LineageGraph([], [])
        : services.GetService<LineagePermissions>() is { } lineage ? await lineage.VisibleAsync(caller, graph, ct)
        : graph;

    public Task<IReadOnlyList<RegisteredModel>> ReadableModelsAsync(HttpContext? http, IReadOnlyList<RegisteredModel> models, CancellationToken ct = default) =>
        ReadableAsync(http, models, ResourceKind.RegisteredModel, model => model.Name, ct);
}
