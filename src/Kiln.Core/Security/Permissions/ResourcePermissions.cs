using Kiln.Core.Common;

namespace Kiln.Core.Security.Permissions;

/// <summary>The permission a user has on a resource nobody gave them one on (<c>kiln server --default-permission</c>; MLflow's default is READ).</summary>
public sealed record PermissionSettings(Permission Default)
{
    public static readonly PermissionSettings MlflowDefault = new(Permission.Read);
}

/// <summary>
/// MLflow's permission rules (mlflow/server/auth): admins may do anything; anyone else has the permission stored for
/// them on the resource, or the default when none is stored. Whoever creates an experiment or a registered model is
/// given MANAGE on it. Without <c>--auth</c> the caller is the anonymous admin, so nothing is refused or stored.
/// </summary>
public sealed class ResourcePermissions(IPermissionStore store, PermissionSettings settings)
{
    public IPermissionStore Store => store;

    public Permission Default => settings.Default;

    public async ValueTask<Permission> EffectiveAsync(KilnCaller caller, ResourceKind kind, string resource, CancellationToken ct = default)
    {
        if (caller.IsAdmin)
        {
            return Permission.Manage;
        }

        var stored = await store.GetAsync(kind, resource, caller.Name, ct).ConfigureAwait(false);
        return stored?.Permission ?? settings.Default;
    }

    public async ValueTask<bool> AllowsAsync(KilnCaller caller, ResourceKind kind, string resource, ResourceAction action, CancellationToken ct = default) =>
        caller.IsAdmin || (await EffectiveAsync(caller, kind, resource, ct).ConfigureAwait(false)).Allows(action);

    /// <summary>Refuses with <see cref="ErrorCode.PermissionDenied"/> unless the caller may do <paramref name="action"/>.</summary>
    public async ValueTask DemandAsync(KilnCaller caller, ResourceKind kind, string resource, ResourceAction action, CancellationToken ct = default)
    {
        if (!await AllowsAsync(caller, kind, resource, action, ct).ConfigureAwait(false))
        {
            throw Denied(caller, kind, resource, action);
        }
    }

    public static KilnException Denied(KilnCaller caller, ResourceKind kind, string resource, ResourceAction action) =>
        new(ErrorCode.PermissionDenied, $"Permission denied: user '{caller.Name}' may not {ActionWord(action)} {KindWord(kind)} '{resource}'.");

    /// <summary>Gives the creator of a resource MANAGE on it (a signed-in user; the anonymous caller of a server without --auth gets nothing stored).</summary>
    public async Task GrantCreatorAsync(KilnCaller caller, ResourceKind kind, string resource, CancellationToken ct = default)
    {
        if (caller.AccessKeyId is null)
        {
            return;
        }

        var manage = new ResourcePermission(kind, resource, caller.Name, Permission.Manage);
        if (!await store.CreateAsync(manage, ct).ConfigureAwait(false))
        {
            await store.UpdateAsync(manage, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The items of a list the caller may read (search results are filtered, not refused, as MLflow does).</summary>
    public async Task<IReadOnlyList<T>> ReadableAsync<T>(KilnCaller caller, IReadOnlyList<T> items, ResourceKind kind, Func<T, string> resourceOf, CancellationToken ct = default)
    {
        if (caller.IsAdmin)
        {
            return items;
        }

        var verdicts = new Dictionary<string, bool>(StringComparer.Ordinal);
        var readable = new List<T>(items.Count);
        foreach (var item in items)
        {
            var resource = resourceOf(item);
            if (!verdicts.TryGetValue(resource, out var allowed))
            {
                allowed = verdicts[resource] = await AllowsAsync(caller, kind, resource, ResourceAction.Read, ct).ConfigureAwait(false);
            }

            if (allowed)
            {
                readable.Add(item);
            }
        }

        return readable;
    }

    private static string ActionWord(ResourceAction action) => action switch
    {
        ResourceAction.Read => "read",
        ResourceAction.Update => "update",
        ResourceAction.Delete => "delete",
        _ => "manage the permissions of",
    };

    private static string KindWord(ResourceKind kind) => kind == ResourceKind.Experiment ? "experiment" : "registered model";
}
