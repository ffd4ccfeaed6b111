using Kiln.Core.Security;
using Kiln.Core.Security.Permissions;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Core.Tests.Security;

/// <summary>
/// The permission cache in front of the store: a repeated check costs no read for <see cref="Users.CacheFor"/>, a change
/// made through it applies at once, and a read that raced a change never keeps the value from before it.
/// </summary>
public sealed class CachedPermissionStoreTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
    private readonly InMemoryPermissions _inner = new();

    private static ResourcePermission Edit(string user) => new(ResourceKind.Experiment, "7", user, Permission.Edit);

    [Fact]
    public async Task A_repeated_check_is_answered_without_a_read_until_the_cache_time_has_passed()
    {
        var store = new CachedPermissionStore(_inner, _clock);
        await _inner.CreateAsync(Edit("ana"));

        Assert.Equal(Permission.Edit, (await store.GetAsync(ResourceKind.Experiment, "7", "ana"))?.Permission);
        Assert.Equal(Permission.Edit, (await store.GetAsync(ResourceKind.Experiment, "7", "ana"))?.Permission);
        Assert.Null(await store.GetAsync(ResourceKind.Experiment, "7", "bob"));
        Assert.Null(await store.GetAsync(ResourceKind.Experiment, "7", "bob"));
        Assert.Equal(2, _inner.Reads);

        // Changed behind the cache's back (another node): seen once the cache time is over, not before.
        await _inner.UpdateAsync(Edit("ana") with { Permission = Permission.NoPermissions });
        _clock.Advance(Users.CacheFor - TimeSpan.FromSeconds(1));
        Assert.Equal(Permission.Edit, (await store.GetAsync(ResourceKind.Experiment, "7", "ana"))?.Permission);
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(Permission.NoPermissions, (await store.GetAsync(ResourceKind.Experiment, "7", "ana"))?.Permission);
    }

    [Fact]
    public async Task Every_kind_of_change_through_the_cache_applies_at_once()
    {
        var store = new CachedPermissionStore(_inner, _clock);
        async Task<Permission?> Current() => (await store.GetAsync(ResourceKind.Experiment, "7", "ana"))?.Permission;

        Assert.Null(await Current());
        Assert.True(await store.CreateAsync(Edit("ana")));
        Assert.Equal(Permission.Edit, await Current());
        Assert.True(await store.UpdateAsync(Edit("ana") with { Permission = Permission.Read }));
        Assert.Equal(Permission.Read, await Current());
        Assert.True(await store.DeleteAsync(ResourceKind.Experiment, "7", "ana"));
        Assert.Null(await Current());

        await store.CreateAsync(Edit("ana"));
        Assert.Equal(Permission.Edit, await Current());
        await store.DeleteForUserAsync("ana");
        Assert.Null(await Current());

        await store.CreateAsync(Edit("ana"));
        Assert.Equal(Permission.Edit, await Current());
        await store.DeleteForResourceAsync(ResourceKind.Experiment, "7");
        Assert.Null(await Current());

        await store.CreateAsync(Edit("ana"));
        Assert.Equal(Permission.Edit, await Current());
        await store.RenameResourceAsync(ResourceKind.Experiment, "7", "8");
        Assert.Null(await Current());
        Assert.Equal(Permission.Edit, (await store.GetAsync(ResourceKind.Experiment, "8", "ana"))?.Permission);
    }

    [Fact]
    public async Task A_read_that_began_before_a_change_is_not_kept()
    {
        var store = new CachedPermissionStore(_inner, _clock);
        await _inner.CreateAsync(Edit("ana"));
        var readStarted = new TaskCompletionSource();
        var releaseRead = new TaskCompletionSource();
        _inner.BeforeRead = async () =>
        {
            _inner.BeforeRead = null;
            readStarted.SetResult();
            await releaseRead.Task;
        };

        // The slow read sees EDIT; the revocation lands while it is in flight; the read must not cache EDIT.
        var slowRead = store.GetAsync(ResourceKind.Experiment, "7", "ana");
        await readStarted.Task;
        await store.UpdateAsync(Edit("ana") with { Permission = Permission.NoPermissions });
        releaseRead.SetResult();
        Assert.Equal(Permission.Edit, (await slowRead)?.Permission);

        Assert.Equal(Permission.NoPermissions, (await store.GetAsync(ResourceKind.Experiment, "7", "ana"))?.Permission);
    }

    /// <summary>A permission store kept in a dictionary, counting its reads; a read can be held up after it has looked.</summary>
    private sealed class InMemoryPermissions : IPermissionStore
    {
        private readonly Dictionary<(ResourceKind, string, string), ResourcePermission> _items = [];

        public int Reads { get; private set; }

        public Func<Task>? BeforeRead { get; set; }

        public async Task<ResourcePermission?> GetAsync(ResourceKind kind, string resource, string userName, CancellationToken ct = default)
        {
            Reads++;
            var current = _items.GetValueOrDefault((kind, resource, userName));
            if (BeforeRead is { } hold)
            {
                await hold();
            }

            return current;
        }

        public Task<bool> CreateAsync(ResourcePermission permission, CancellationToken ct = default) =>
            Task.FromResult(_items.TryAdd((permission.Kind, permission.Resource, permission.UserName), permission));

        public Task<bool> UpdateAsync(ResourcePermission permission, CancellationToken ct = default)
        {
            var key = (permission.Kind, permission.Resource, permission.UserName);
            if (!_items.ContainsKey(key))
            {
                return Task.FromResult(false);
            }

            _items[key] = permission;
            return Task.FromResult(true);
        }

        public Task<bool> DeleteAsync(ResourceKind kind, string resource, string userName, CancellationToken ct = default) =>
            Task.FromResult(_items.Remove((kind, resource, userName)));

        public Task<IReadOnlyList<ResourcePermission>> ListForUserAsync(string userName, CancellationToken ct = default) =>
            Task.FromResult<IReadOnlyList<ResourcePermission>>(_items.Values.Where(p => p.UserName == userName).ToList());

        public Task DeleteForUserAsync(string userName, CancellationToken ct = default)
        {
            foreach (var key in _items.Keys.Where(key => key.Item3 == userName).ToList())
            {
                _items.Remove(key);
            }

            return Task.CompletedTask;
        }

        public Task DeleteForResourceAsync(ResourceKind kind, string resource, CancellationToken ct = default)
        {
            foreach (var key in _items.Keys.Where(key => key.Item1 == kind && key.Item2 == resource).ToList())
            {
                _items.Remove(key);
            }

            return Task.CompletedTask;
        }

        public Task RenameResourceAsync(ResourceKind kind, string resource, string newResource, CancellationToken ct = default)
        {
            foreach (var (key, permission) in _items.Where(item => item.Key.Item1 == kind && item.Key.Item2 == resource).ToList())
            {
                _items.Remove(key);
                _items[(kind, newResource, key.Item3)] = permission with { Resource = newResource };
            }

            return Task.CompletedTask;
        }
    }
}
