namespace Kiln.Core.Security.Permissions;

/// <summary>
/// Where per-resource permissions are kept: at most one per (kind, resource, user). Users are named, not referenced,
/// so the permissions of a user kept in another store can live next to the resources they are about.
/// </summary>
public interface IPermissionStore
{
    /// <summary>Adds a permission; false if the user already has one on the resource.</summary>
    Task<bool> CreateAsync(ResourcePermission permission, CancellationToken ct = default);

    Task<ResourcePermission?> GetAsync(ResourceKind kind, string resource, string userName, CancellationToken ct = default);

    /// <summary>False if the user has no permission on the resource.</summary>
    Task<bool> UpdateAsync(ResourcePermission permission, CancellationToken ct = default);

    /// <summary>False if the user had no permission on the resource.</summary>
    Task<bool> DeleteAsync(ResourceKind kind, string resource, string userName, CancellationToken ct = default);

    /// <summary>A user's permissions, by kind then resource.</summary>
    Task<IReadOnlyList<ResourcePermission>> ListForUserAsync(string userName, CancellationToken ct = default);

    /// <summary>Forgets every permission of a user (the user was deleted).</summary>
    Task DeleteForUserAsync(string userName, CancellationToken ct = default);

    /// <summary>Forgets every permission on a resource (it was deleted).</summary>
    Task DeleteForResourceAsync(ResourceKind kind, string resource, CancellationToken ct = default);

    /// <summary>Moves every permission on a resource to its new name (a registered model was renamed).</summary>
    Task RenameResourceAsync(ResourceKind kind, string resource, string newResource, CancellationToken ct = default);
}
