using Kiln.Core.Security.Permissions;
using Npgsql;

namespace Kiln.Storage.Postgres.Security;

public sealed class PostgresPermissionStore(PostgresDatabase db) : IPermissionStore
{
    private const string Key = "kind = @kind AND resource = @resource AND user_name = @user";

    public Task<bool> CreateAsync(ResourcePermission permission, CancellationToken ct = default) =>
        db.WriteAsync(async session => await session.ExecuteAsync(
            "INSERT INTO resource_permissions (kind, resource, user_name, permission) VALUES (@kind, @resource, @user, @permission) ON CONFLICT DO NOTHING",
            Args(permission)).ConfigureAwait(false) == 1, ct);

    public Task<ResourcePermission?> GetAsync(ResourceKind kind, string resource, string userName, CancellationToken ct = default) =>
        db.ReadAsync(session => session.QuerySingleAsync(
            $"SELECT kind, resource, user_name, permission FROM resource_permissions WHERE {Key}",
            Read, ("kind", kind.ToString()), ("resource", resource), ("user", userName)), ct);

    public Task<bool> UpdateAsync(ResourcePermission permission, CancellationToken ct = default) =>
        db.WriteAsync(async session => await session.ExecuteAsync(
            $"UPDATE resource_permissions SET permission = @permission WHERE {Key}", Args(permission)).ConfigureAwait(false) == 1, ct);

    public Task<bool> DeleteAsync(ResourceKind kind, string resource, string userName, CancellationToken ct = default) =>
        db.WriteAsync(async session => await session.ExecuteAsync(
            $"DELETE FROM resource_permissions WHERE {Key}", ("kind", kind.ToString()), ("resource", resource), ("user", userName)).ConfigureAwait(false) == 1, ct);

    public async Task<IReadOnlyList<ResourcePermission>> ListForUserAsync(string userName, CancellationToken ct = default) =>
        await db.ReadAsync(session => session.QueryAsync(
            "SELECT kind, resource, user_name, permission FROM resource_permissions WHERE user_name = @user ORDER BY kind, resource",
            Read, ("user", userName)), ct).ConfigureAwait(false);

    public Task DeleteForUserAsync(string userName, CancellationToken ct = default) =>
        db.WriteAsync(session => session.ExecuteAsync("DELETE FROM resource_permissions WHERE user_name = @user", ("user", userName)), ct);

    public Task DeleteForResourceAsync(ResourceKind kind, string resource, CancellationToken ct = default) =>
        db.WriteAsync(session => session.ExecuteAsync(
            "DELETE FROM resource_permissions WHERE kind = @kind AND resource = @resource", ("kind", kind.ToString()), ("resource", resource)), ct);

    public Task RenameResourceAsync(ResourceKind kind, string resource, string newResource, CancellationToken ct = default) =>
        db.WriteAsync(session => session.ExecuteAsync(
            "UPDATE resource_permissions SET resource = @new WHERE kind = @kind AND resource = @resource",
            ("kind", kind.ToString()), ("resource", resource), ("new", newResource)), ct);

    private static (string, object?)[] Args(ResourcePermission permission) =>
        [("kind", permission.Kind.ToString()), ("resource", permission.Resource), ("user", permission.UserName), ("permission", permission.Permission.Name())];

    private static ResourcePermission Read(NpgsqlDataReader reader) =>
        new(Enum.Parse<ResourceKind>(reader.GetString(0)), reader.GetString(1), reader.GetString(2), PermissionNames.Parse(reader.GetString(3)));
}
