using System.Text.Json;
using Kiln.Api.MLflow;
using Kiln.Core.Common;
using Kiln.Core.Security;
using Kiln.Core.Security.Permissions;

namespace Kiln.Api.Security;

/// <summary>
/// Kiln's users and access keys over HTTP, for <c>kiln users … --server URL</c>: what the CLI does on a data folder,
/// done by a running server for an admin. <c>GET /api/kiln/users</c>, <c>POST /api/kiln/users</c> (<c>name</c>,
/// <c>admin</c>, <c>can_run_code</c>; the answer carries the new secret, once), <c>DELETE /api/kiln/users/{name}</c>
/// and <c>POST /api/kiln/users/{name}/rotate-key</c>. Anyone but an admin gets <c>403 PERMISSION_DENIED</c>; errors
/// are MLflow-style JSON (<c>error_code</c>, <c>message</c>) as on the rest of <c>/api/kiln</c>.
/// </summary>
public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/kiln/users", (HttpContext http, Users users) => AsAdminAsync(http, async json =>
        {
            var all = await users.ListAsync(http.RequestAborted);
            json.WriteStartObject();
            json.WriteStartArray("users");
            foreach (var user in all)
            {
                WriteUser(json, user);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }));
        app.MapPost("/api/kiln/users", (HttpContext http, Users users) => AsAdminAsync(http, async json =>
        {
            var request = await ReadCreateAsync(http);
            var created = await users.CreateAsync(request.Name, request.Admin, request.CanRunCode, http.RequestAborted);
            WriteCredentials(json, created);
        }));
        app.MapDelete("/api/kiln/users/{name}", (HttpContext http, string name, Users users, IPermissionStore permissions) => AsAdminAsync(http, async json =>
        {
            await users.DeleteAsync(name, http.RequestAborted);
            // A user created again under the name must not inherit the old one's permissions.
            await permissions.DeleteForUserAsync(name, http.RequestAborted);
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteEndObject();
        }));
        app.MapPost("/api/kiln/users/{name}/rotate-key", (HttpContext http, string name, Users users) => AsAdminAsync(http, async json =>
            WriteCredentials(json, await users.RotateKeyAsync(name, http.RequestAborted))));
        return app;
    }

    private sealed record CreateRequest(string Name, bool Admin, bool CanRunCode);

    private static async Task<CreateRequest> ReadCreateAsync(HttpContext http)
    {
        JsonElement body;
        try
        {
            body = (await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted)).RootElement;
        }
        catch (JsonException e)
        {
            throw KilnException.InvalidParameter($"The request body is not valid JSON: {e.Message}");
        }

        if (body.ValueKind != JsonValueKind.Object)
        {
            throw KilnException.InvalidParameter("The request body must be a JSON object with 'name' and optionally 'admin' and 'can_run_code'.");
        }

        var name = body.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
            ? n.GetString()!
            : throw KilnException.InvalidParameter("Missing value for required parameter 'name' (a string).");
        return new CreateRequest(name, Flag(body, "admin"), Flag(body, "can_run_code"));
    }

    private static bool Flag(JsonElement body, string name) =>
        !body.TryGetProperty(name, out var value) || value.ValueKind is JsonValueKind.Null
            ? false
            : value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw KilnException.InvalidParameter($"'{name}' must be true or false."),
            };

    private static async Task AsAdminAsync(HttpContext http, Func<Utf8JsonWriter, Task> write)
    {
        if (!http.Caller().IsAdmin)
        {
            await MlflowErrors.WriteAsync(http.Response, "PERMISSION_DENIED", 403, $"Permission denied: only an admin may manage users (user '{http.Caller().Name}' is not one).");
            return;
        }

        // Written to a buffer first: a refused call (a name taken, a user missing) answers with its error alone.
        using var buffer = new MemoryStream();
        try
        {
            await using (var json = new Utf8JsonWriter(buffer))
            {
                await write(json);
            }
        }
        catch (KilnException e)
        {
            await MlflowErrors.WriteAsync(http.Response, e);
            return;
        }

        http.Response.ContentType = "application/json";
        buffer.Position = 0;
        await buffer.CopyToAsync(http.Response.Body, http.RequestAborted);
    }

    private static void WriteUser(Utf8JsonWriter json, KilnUser user)
    {
        json.WriteStartObject();
        json.WriteString("name", user.Name);
        json.WriteBoolean("admin", user.IsAdmin);
        json.WriteBoolean("can_run_code", user.MayRunCode);
        json.WriteString("access_key_id", user.AccessKeyId);
        json.WriteNumber("created", user.Created.ToUnixTimeMilliseconds());
        json.WriteEndObject();
    }

    private static void WriteCredentials(Utf8JsonWriter json, UserCredentials credentials)
    {
        json.WriteStartObject();
        json.WriteString("name", credentials.User.Name);
        json.WriteBoolean("admin", credentials.User.IsAdmin);
        json.WriteBoolean("can_run_code", credentials.User.MayRunCode);
        json.WriteString("access_key_id", credentials.User.AccessKeyId);
        json.WriteString("secret_access_key", credentials.SecretAccessKey);
        json.WriteEndObject();
    }
}
