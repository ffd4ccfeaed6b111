using Kiln.Core.Security.Permissions;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>What every <see cref="IPermissionStore"/> promises. A binding supplies <see cref="CreateStore"/>, a fresh, empty store.</summary>
public abstract class PermissionStoreContract
{
    private IPermissionStore? _store;

    protected abstract IPermissionStore CreateStore();

    protected IPermissionStore Store => _store ??= CreateStore();

    [StoreFact]
    public async Task A_permission_is_kept_once_per_user_and_resource_and_updated_in_place()
    {
        var read = new ResourcePermission(ResourceKind.Experiment, "1", "alice", Permission.Read);
        Assert.True(await Store.CreateAsync(read));
        Assert.False(await Store.CreateAsync(read with { Permission = Permission.Manage }));
        Assert.Equal(read, await Store.GetAsync(ResourceKind.Experiment, "1", "alice"));

        // The same key in the other kind, another resource or another user is another permission.
        Assert.Null(await Store.GetAsync(ResourceKind.RegisteredModel, "1", "alice"));
        Assert.Null(await Store.GetAsync(ResourceKind.Experiment, "2", "alice"));
        Assert.Null(await Store.GetAsync(ResourceKind.Experiment, "1", "Alice"));

        Assert.True(await Store.UpdateAsync(read with { Permission = Permission.NoPermissions }));
        Assert.Equal(Permission.NoPermissions, (await Store.GetAsync(ResourceKind.Experiment, "1", "alice"))!.Permission);
        Assert.False(await Store.UpdateAsync(read with { UserName = "bob" }));
        Assert.Null(await Store.GetAsync(ResourceKind.Experiment, "1", "bob"));
    }

    [StoreFact]
    public async Task Every_permission_name_round_trips_and_a_user_lists_theirs()
    {
        var all = new[]
        {
            new ResourcePermission(ResourceKind.Experiment, "7", "carol", Permission.Edit),
            new ResourcePermission(ResourceKind.Experiment, "10", "carol", Permission.Manage),
            new ResourcePermission(ResourceKind.RegisteredModel, "model a", "carol", Permission.NoPermissions),
            new ResourcePermission(ResourceKind.RegisteredModel, "model b", "carol", Permission.Read),
            new ResourcePermission(ResourceKind.Experiment, "7", "dave", Permission.Read),
        };
        foreach (var permission in all)
        {
            Assert.True(await Store.CreateAsync(permission));
        }

        var carols = await Store.ListForUserAsync("carol");
        Assert.Equal(4, carols.Count);
        Assert.Equal(all.Take(4).ToHashSet(), carols.ToHashSet());
        Assert.Empty(await Store.ListForUserAsync("nobody"));
    }

    [StoreFact]
    public async Task Deleting_removes_one_permission_all_of_a_user_or_all_on_a_resource()
    {
        await Store.CreateAsync(new ResourcePermission(ResourceKind.Experiment, "1", "erin", Permission.Read));
        await Store.CreateAsync(new ResourcePermission(ResourceKind.Experiment, "2", "erin", Permission.Edit));
        await Store.CreateAsync(new ResourcePermission(ResourceKind.RegisteredModel, "m", "erin", Permission.Edit));
        await Store.CreateAsync(new ResourcePermission(ResourceKind.RegisteredModel, "m", "frank", Permission.Manage));
        await Store.CreateAsync(new ResourcePermission(ResourceKind.Experiment, "1", "frank", Permission.Manage));

        Assert.True(await Store.DeleteAsync(ResourceKind.Experiment, "1", "erin"));
        Assert.False(await Store.DeleteAsync(ResourceKind.Experiment, "1", "erin"));
        Assert.Null(await Store.GetAsync(ResourceKind.Experiment, "1", "erin"));
        Assert.NotNull(await Store.GetAsync(ResourceKind.Experiment, "1", "frank"));

        await Store.DeleteForResourceAsync(ResourceKind.RegisteredModel, "m");
        Assert.Null(await Store.GetAsync(ResourceKind.RegisteredModel, "m", "erin"));
        Assert.Null(await Store.GetAsync(ResourceKind.RegisteredModel, "m", "frank"));
        Assert.NotNull(await Store.GetAsync(ResourceKind.Experiment, "2", "erin"));

        await Store.DeleteForUserAsync("erin");
        Assert.Empty(await Store.ListForUserAsync("erin"));
        Assert.Single(await Store.ListForUserAsync("frank"));
    }

    [StoreFact]
    public async Task Renaming_a_resource_moves_its_permissions()
    {
        await Store.CreateAsync(new ResourcePermission(ResourceKind.RegisteredModel, "old", "gina", Permission.Manage));
        await Store.CreateAsync(new ResourcePermission(ResourceKind.RegisteredModel, "old", "hal", Permission.Read));
        await Store.CreateAsync(new ResourcePermission(ResourceKind.Experiment, "old", "gina", Permission.Read));

        await Store.RenameResourceAsync(ResourceKind.RegisteredModel, "old", "new");

        Assert.Null(await Store.GetAsync(ResourceKind.RegisteredModel, "old", "gina"));
        Assert.Equal(Permission.Manage, (await Store.GetAsync(ResourceKind.RegisteredModel, "new", "gina"))!.Permission);
        Assert.Equal(Permission.Read, (await Store.GetAsync(ResourceKind.RegisteredModel, "new", "hal"))!.Permission);
        Assert.NotNull(await Store.GetAsync(ResourceKind.Experiment, "old", "gina"));
    }
}
