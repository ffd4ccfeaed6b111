using System.Security.Cryptography;
using System.Text;
using Kiln.Api.MLflow;
using Kiln.Core.Common;
using Kiln.Core.Security;
using Kiln.Core.Security.Permissions;

namespace Kiln.Api.Security.Permissions;

/// <summary>
/// MLflow's authentication REST API (mlflow/server/auth, docs "auth/rest-api"): users and the permissions on
/// experiments and registered models. A user's password is the secret of their Kiln access key, so the user created
/// here signs in with basic auth, a bearer token or SigV4 (with the <c>access_key_id</c> the response adds).
/// Only admins create, delete and promote users; a user may read themself and change their own password; MANAGE on
/// an experiment or model (checked by <see cref="MlflowPermissionRules"/>) manages its permissions.
/// </summary>
internal static class MlflowAuthApi
{
    public static IEnumerable<MlflowRoute> Routes =>
    [
        new("POST", "users/create", CreateUser),
        new("GET", "users/get", GetUser),
        new("PATCH", "users/update-password", UpdatePassword),
        new("PATCH", "users/update-admin", UpdateAdmin),
        new("DELETE", "users/delete", DeleteUser),
        new("POST", "experiments/permissions/create", call => CreatePermission(call, ResourceKind.Experiment)),
        new("GET", "experiments/permissions/get", call => GetPermission(call, ResourceKind.Experiment)),
        new("PATCH", "experiments/permissions/update", call => UpdatePermission(call, ResourceKind.Experiment)),
        new("DELETE", "experiments/permissions/delete", call => DeletePermission(call, ResourceKind.Experiment)),
        new("POST", "registered-models/permissions/create", call => CreatePermission(call, ResourceKind.RegisteredModel)),
        new("GET", "registered-models/permissions/get", call => GetPermission(call, ResourceKind.RegisteredModel)),
        new("PATCH", "registered-models/permissions/update", call => UpdatePermission(call, ResourceKind.RegisteredModel)),
        new("DELETE", "registered-models/permissions/delete", call => DeletePermission(call, ResourceKind.RegisteredModel)),
    ];

    private static Users UsersOf(MlflowCall call) => call.Http.RequestServices.GetRequiredService<Users>();

    private static async Task CreateUser(MlflowCall call)
    {
        DemandAdmin(call);
        var name = call.Request.String("username", required: true)!;
        var password = call.Request.String("password", required: true)!;
        var created = await UsersOf(call).CreateWithSecretAsync(name, password, isAdmin: false, canRunCode: false, call.Aborted);
        await WriteUserAsync(call, created.User);
    }

    private static async Task GetUser(MlflowCall call)
    {
        var name = call.Request.String("username", required: true)!;
        DemandAdminOrSelf(call, name);
        var user = await UsersOf(call).FindByNameAsync(name, call.Aborted) ?? throw UserNotFound(name);
        await WriteUserAsync(call, user);
    }

    private static async Task UpdatePassword(MlflowCall call)
    {
        var name = call.Request.String("username", required: true)!;
        DemandAdminOrSelf(call, name);
        await UsersOf(call).SetSecretAsync(name, call.Request.String("password", required: true)!, call.Aborted);
        call.Empty();
    }

    private static async Task UpdateAdmin(MlflowCall call)
    {
        DemandAdmin(call);
        var name = call.Request.String("username", required: true)!;
        var isAdmin = call.Request.Bool("is_admin") ?? throw MlflowRequest.Missing("is_admin");
        await UsersOf(call).SetAdminAsync(name, isAdmin, call.Aborted);
        call.Empty();
    }

    private static async Task DeleteUser(MlflowCall call)
    {
        DemandAdmin(call);
        var name = call.Request.String("username", required: true)!;
        var users = UsersOf(call);
        if (await users.FindByNameAsync(name, call.Aborted) is null)
        {
            throw UserNotFound(name);
        }

        await users.DeleteAsync(name, call.Aborted);
        await call.Permissions.Store.DeleteForUserAsync(name, call.Aborted);
        call.Empty();
    }

    private static async Task CreatePermission(MlflowCall call, ResourceKind kind)
    {
        var (resource, name) = await TargetAsync(call, kind);
        var permission = PermissionNames.Parse(call.Request.String("permission", required: true));
        var created = new ResourcePermission(kind, resource, name, permission);
        if (!await call.Permissions.Store.CreateAsync(created, call.Aborted))
        {
            throw KilnException.AlreadyExists($"{Title(kind)} permission ({KeyName(kind)}={resource}, username={name}) already exists.");
        }

        WritePermission(call, created);
    }

    private static async Task GetPermission(MlflowCall call, ResourceKind kind)
    {
        var (resource, name) = await TargetAsync(call, kind);
        WritePermission(call, await call.Permissions.Store.GetAsync(kind, resource, name, call.Aborted) ?? throw PermissionNotFound(kind, resource, name));
    }

    private static async Task UpdatePermission(MlflowCall call, ResourceKind kind)
    {
        var (resource, name) = await TargetAsync(call, kind);
        var permission = PermissionNames.Parse(call.Request.String("permission", required: true));
        if (!await call.Permissions.Store.UpdateAsync(new ResourcePermission(kind, resource, name, permission), call.Aborted))
        {
            throw PermissionNotFound(kind, resource, name);
        }

        call.Empty();
    }

    private static async Task DeletePermission(MlflowCall call, ResourceKind kind)
    {
        var (resource, name) = await TargetAsync(call, kind);
        if (!await call.Permissions.Store.DeleteAsync(kind, resource, name, call.Aborted))
        {
            throw PermissionNotFound(kind, resource, name);
        }

        call.Empty();
    }

    /// <summary>The resource and user a permission call names; both must exist.</summary>
    private static async Task<(string Resource, string UserName)> TargetAsync(MlflowCall call, ResourceKind kind)
    {
        var resource = call.Request.String(KeyName(kind), required: true)!;
        var name = call.Request.String("username", required: true)!;
        if (kind == ResourceKind.Experiment)
        {
            await call.Tracking.GetExperimentAsync(resource, call.Aborted);
        }
        else
        {
            await call.Registry.GetRegisteredModelAsync(resource, call.Aborted);
        }

        if (await UsersOf(call).FindByNameAsync(name, call.Aborted) is null)
        {
            throw UserNotFound(name);
        }

        return (resource, name);
    }

    private static void DemandAdmin(MlflowCall call)
    {
        if (!call.Http.Caller().IsAdmin)
        {
            throw new KilnException(ErrorCode.PermissionDenied, $"Permission denied: only admins may call {call.Http.Request.Path}.");
        }
    }

    private static void DemandAdminOrSelf(MlflowCall call, string name)
    {
        var caller = call.Http.Caller();
        if (!caller.IsAdmin && caller.Name != name)
        {
            throw new KilnException(ErrorCode.PermissionDenied, $"Permission denied: user '{caller.Name}' may only call {call.Http.Request.Path} for themself.");
        }
    }

    private static KilnException UserNotFound(string name) => KilnException.NotFound($"User with username={name} not found");

    private static KilnException PermissionNotFound(ResourceKind kind, string resource, string name) =>
        KilnException.NotFound($"{Title(kind)} permission with {KeyName(kind)}={resource} and username={name} not found");

    private static string KeyName(ResourceKind kind) => kind == ResourceKind.Experiment ? "experiment_id" : "name";

    private static string Title(ResourceKind kind) => kind == ResourceKind.Experiment ? "Experiment" : "Registered model";

    /// <summary>
    /// MLflow numbers its users; Kiln names them. The number shown is derived from the name (stable, the same on
    /// every node), which is all clients use it for: telling users apart in the permission objects.
    /// </summary>
    private static long UserId(string name) => BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(name)), 0) & 0x7fffffff;

    private static async Task WriteUserAsync(MlflowCall call, KilnUser user)
    {
        var permissions = await call.Permissions.Store.ListForUserAsync(user.Name, call.Aborted);
        var json = call.Json;
        json.WriteStartObject();
        json.WriteStartObject("user");
        json.WriteNumber("id", UserId(user.Name));
        json.WriteString("username", user.Name);
        json.WriteBoolean("is_admin", user.IsAdmin);
        json.WriteString("access_key_id", user.AccessKeyId);
        json.WriteStartArray("experiment_permissions");
        foreach (var permission in permissions.Where(p => p.Kind == ResourceKind.Experiment))
        {
            WritePermissionObject(call, permission);
        }

        json.WriteEndArray();
        json.WriteStartArray("registered_model_permissions");
        foreach (var permission in permissions.Where(p => p.Kind == ResourceKind.RegisteredModel))
        {
            WritePermissionObject(call, permission);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WritePermission(MlflowCall call, ResourcePermission permission)
    {
        call.Json.WriteStartObject();
        call.Json.WritePropertyName(permission.Kind == ResourceKind.Experiment ? "experiment_permission" : "registered_model_permission");
        WritePermissionObject(call, permission);
        call.Json.WriteEndObject();
    }

    private static void WritePermissionObject(MlflowCall call, ResourcePermission permission)
    {
        call.Json.WriteStartObject();
        call.Json.WriteString(KeyName(permission.Kind), permission.Resource);
        call.Json.WriteNumber("user_id", UserId(permission.UserName));
        call.Json.WriteString("permission", permission.Permission.Name());
        call.Json.WriteEndObject();
    }
}
