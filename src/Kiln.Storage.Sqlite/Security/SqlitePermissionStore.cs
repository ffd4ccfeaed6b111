using Kiln.Core.Security.Permissions;
using Microsoft.Data.Sqlite;

namespace Kiln.Storage.Sqlite.Security;

public sealed class SqlitePermissionStore(SqliteDatabase db) : IPermissionStore
{
    private const string Key = "kind = $kind AND resource = $resource AND user_name = $user";

    public Task<bool> CreateAsync(ResourcePermission permission, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute(
            "INSERT INTO resource_permissions (kind, resource, user_name, permission) VALUES ($kind, $resource, $user, $permission) ON CONFLICT DO NOTHING",
            Args(permission)) == 1, ct);

    public Task<ResourcePermission?> GetAsync(ResourceKind kind, string resource, string userName, CancellationToken ct = default) =>
        Task.FromResult(db.Read(session => session.QuerySingle(
            $"SELECT kind, resource, user_name, permission FROM resource_permissions WHERE {Key}",
            Read, ("$kind", kind.ToString()), ("$resource", resource), ("$user", userName))));

    public Task<bool> UpdateAsync(ResourcePermission permission, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute($"UPDATE resource_permissions SET permission = $permission WHERE {Key}", Args(permission)) == 1, ct);

    public Task<bool> DeleteAsync(ResourceKind kind, string resource, string userName, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute(
            $"DELETE FROM resource_permissions WHERE {Key}", ("$kind", kind.ToString()), ("$resource", resource), ("$user", userName)) == 1, ct);

    public Task<IReadOnlyList<ResourcePermission>> ListForUserAsync(string userName, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<ResourcePermission>>(db.Read(session => session.Query(
            "SELECT kind, resource, user_name, permission FROM resource_permissions WHERE user_name = $user ORDER BY kind, resource",
            Read, ("$user", userName))));

    public Task DeleteForUserAsync(string userName, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute("DELETE FROM resource_permissions WHERE user_name = $user", ("$user", userName)), ct);

    public Task DeleteForResourceAsync(ResourceKind kind, string resource, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute(
            "DELETE FROM resource_permissions WHERE kind = $kind AND resource = $resource", ("$kind", kind.ToString()), ("$resource", resource)), ct);

    public Task RenameResourceAsync(ResourceKind kind, string resource, string newResource, CancellationToken ct = default) =>
        db.WriteAsync(session => session.Execute(
            "UPDATE resource_permissions SET resource = $new WHERE kind = $kind AND resource = $resource",
            ("$kind", kind.ToString()), ("$resource", resource), ("$new", newResource)), ct);

    private static (string, object?)[] Args(ResourcePermission permission) =>
        [("$kind", permission.Kind.ToString()), ("$resource", permission.Resource), ("$user", permission.UserName), ("$permission", permission.Permission.Name())];

    private static ResourcePermission Read(SqliteDataReader reader) =>
        new(Enum.Parse<ResourceKind>(reader.GetString(0)), reader.GetString(1), reader.GetString(2), PermissionNames.Parse(reader.GetString(3)));
}
