using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Security.Permissions;

/// <summary>
/// A permission store whose reads are remembered for <see cref="Users.CacheFor"/>: a non-admin's permission is checked
/// on every call, and reading it from the database each time doubled the cost of a small tracking call. Any write
/// through this store forgets everything at once; a change made by another node applies within that time, as for a
/// deleted or rotated access key.
/// </summary>
public sealed class CachedPermissionStore(IPermissionStore store, TimeProvider time) : IPermissionStore
{
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<(ResourceKind Kind, string Resource, string UserName), Cached> _cache = new();

    // Bumped by every write: a read that began before a write must not cache what it saw after the write forgot it.
    private long _generation;

    public async Task<ResourcePermission?> GetAsync(ResourceKind kind, string resource, string userName, CancellationToken ct = default)
    {
        var key = (kind, resource, userName);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Until > now)
        {
            return cached.Permission;
        }

        var generation = Interlocked.Read(ref _generation);
        var permission = await store.GetAsync(kind, resource, userName, ct).ConfigureAwait(false);
        if (_cache.Count >= MaxEntries)
        {
            _cache.Clear();
        }

        _cache[key] = new Cached(permission, now + Users.CacheFor);
        if (Interlocked.Read(ref _generation) != generation)
        {
            _cache.TryRemove(key, out _);
        }

        return permission;
    }

    public Task<bool> CreateAsync(ResourcePermission permission, CancellationToken ct = default) => WriteAsync(() => store.CreateAsync(permission, ct));

    public Task<bool> UpdateAsync(ResourcePermission permission, CancellationToken ct = default) => WriteAsync(() => store.UpdateAsync(permission, ct));

    public Task<bool> DeleteAsync(ResourceKind kind, string resource, string userName, CancellationToken ct = default) =>
        WriteAsync(() => store.DeleteAsync(kind, resource, userName, ct));

    public Task<IReadOnlyList<ResourcePermission>> ListForUserAsync(string userName, CancellationToken ct = default) => store.ListForUserAsync(userName, ct);

    public Task DeleteForUserAsync(string userName, CancellationToken ct = default) => WriteAsync(() => store.DeleteForUserAsync(userName, ct));

    public Task DeleteForResourceAsync(ResourceKind kind, string resource, CancellationToken ct = default) =>
        WriteAsync(() => store.DeleteForResourceAsync(kind, resource, ct));

    public Task RenameResourceAsync(ResourceKind kind, string resource, string newResource, CancellationToken ct = default) =>
        WriteAsync(() => store.RenameResourceAsync(kind, resource, newResource, ct));

    private async Task<T> WriteAsync<T>(Func<Task<T>> write)
    {
        try
        {
            return await write().ConfigureAwait(false);
        }
        finally
        {
            Forget();
        }
    }

    private async Task WriteAsync(Func<Task> write)
    {
        try
        {
            await write().ConfigureAwait(false);
        }
        finally
        {
            Forget();
        }
    }

    private void Forget()
    {
        Interlocked.Increment(ref _generation);
        _cache.Clear();
    }

    private sealed record Cached(ResourcePermission? Permission, DateTimeOffset Until);
}

public static class PermissionStoreServiceCollectionExtensions
{
    /// <summary>A metadata store's permission table as <see cref="IPermissionStore"/>, read through <see cref="CachedPermissionStore"/>.</summary>
    public static IServiceCollection AddCachedPermissionStore<TStore>(this IServiceCollection services)
        where TStore : class, IPermissionStore
    {
        services.AddSingleton<TStore>();
        return services.AddSingleton<IPermissionStore>(provider => new CachedPermissionStore(
            provider.GetRequiredService<TStore>(), provider.GetService<TimeProvider>() ?? TimeProvider.System));
    }
}
