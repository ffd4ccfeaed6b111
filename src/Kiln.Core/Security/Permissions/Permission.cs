using Kiln.Core.Common;

namespace Kiln.Core.Security.Permissions;

/// <summary>
/// MLflow's permissions on one experiment or registered model (mlflow/server/auth/permissions.py): each allows what
/// the one before it does and more. <see cref="NoPermissions"/> allows nothing, even where the default would.
/// </summary>
public enum Permission
{
    NoPermissions,
    Read,
    Edit,
    Manage,
}

/// <summary>What a call does to a resource; each permission allows a set of these.</summary>
public enum ResourceAction
{
    Read,
    Update,
    Delete,
    Manage,
}

/// <summary>The two kinds of resource MLflow's permissions are kept on.</summary>
public enum ResourceKind
{
    /// <summary>Keyed by experiment id; runs, trials and trial components belong to one.</summary>
    Experiment,

    /// <summary>Keyed by name; versions, aliases and SageMaker model package groups belong to one.</summary>
    RegisteredModel,
}

/// <summary>One user's permission on one resource.</summary>
public sealed record ResourcePermission(ResourceKind Kind, string Resource, string UserName, Permission Permission);

public static class PermissionNames
{
    /// <summary>The names MLflow uses on the wire, in its order.</summary>
    public static readonly IReadOnlyList<string> All = ["READ", "EDIT", "MANAGE", "NO_PERMISSIONS"];

    public static string Name(this Permission permission) => permission switch
    {
        Permission.Read => "READ",
        Permission.Edit => "EDIT",
        Permission.Manage => "MANAGE",
        _ => "NO_PERMISSIONS",
    };

    public static bool TryParse(string? name, out Permission permission)
    {
        (var ok, permission) = name switch
        {
            "READ" => (true, Permission.Read),
            "EDIT" => (true, Permission.Edit),
            "MANAGE" => (true, Permission.Manage),
            "NO_PERMISSIONS" => (true, Permission.NoPermissions),
            _ => (false, Permission.NoPermissions),
        };
        return ok;
    }

    /// <summary>The permission named <paramref name="name"/>, or MLflow's INVALID_PARAMETER_VALUE.</summary>
    public static Permission Parse(string? name) => TryParse(name, out var permission)
        ? permission
        : throw KilnException.InvalidParameter($"Invalid permission '{name}'. Valid permissions are: ({string.Join(", ", All.Select(p => $"'{p}'"))})");

    /// <summary>READ reads; EDIT also updates; MANAGE also deletes and manages the resource's permissions.</summary>
    public static bool Allows(this Permission permission, ResourceAction action) => action switch
    {
        ResourceAction.Read => permission >= Permission.Read,
        ResourceAction.Update => permission >= Permission.Edit,
        _ => permission == Permission.Manage,
    };
}
