using System.CommandLine;
using System.Text.Json.Nodes;
using Kiln.Core.Common;
using Kiln.Core.Security;
using Kiln.Core.Security.Permissions;
using Kiln.Storage.Postgres;
using Kiln.Storage.Postgres.Security;
using Kiln.Storage.Sqlite;
using Kiln.Storage.Sqlite.Security;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary>
/// <c>kiln users create|list|delete|rotate-key</c>: the users and access keys a server started with <c>--auth</c>
/// accepts, managed on its data folder (the server may be running: changes reach it within seconds). With
/// <c>--store postgres://…</c> the users are those in that database, as a server started with the same --store sees them;
/// the secrets key is still the data folder's, and every node must hold the same one. With <c>--server URL</c> the
/// running server does it (its <c>/api/kiln/users</c>), for an admin signed in with <c>KILN_USER</c>/<c>KILN_SECRET</c>.
/// </summary>
internal static class UsersCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "The server's data folder", DefaultValueFactory = _ => ".kiln", Recursive = true };
        var store = new Option<string>("--store") { Description = "The server's PostgreSQL metadata store (postgres://…), when it was started with one", Recursive = true };
        var server = new Option<string>("--server") { Description = "Ask this running server (http(s)://…) instead, as the admin in KILN_USER/KILN_SECRET", Recursive = true };
        var name = new Argument<string>("name") { Description = "The user's name" };
        var admin = new Option<bool>("--admin") { Description = "May do everything, running code and managing users included" };
        var canRunCode = new Option<bool>("--can-run-code") { Description = "May start jobs that run a command (script mode, processing, custom containers)" };

        var create = new Command("create", "Create a user with a new access key; the secret is shown this once.") { name, admin, canRunCode };
        create.SetAction((result, ct) => RunAsync(result, dataDir, store, server, async users =>
            Print(result, await users.CreateAsync(result.GetValue(name)!, result.GetValue(admin), result.GetValue(canRunCode), ct))));

        var rotate = new Command("rotate-key", "Give a user a new access key; the old one stops working.") { name };
        rotate.SetAction((result, ct) => RunAsync(result, dataDir, store, server, async users => Print(result, await users.RotateKeyAsync(result.GetValue(name)!, ct))));

        var delete = new Command("delete", "Delete a user; their access key stops working.") { name };
        delete.SetAction((result, ct) => RunAsync(result, dataDir, store, server, async users =>
        {
            await users.DeleteAsync(result.GetValue(name)!, ct);
            if (result.GetValue(CliOptions.Json))
            {
                Output.Json(new JsonObject { ["name"] = result.GetValue(name) });
            }
            else
            {
                AnsiConsole.MarkupLine($"Deleted user [bold]{Markup.Escape(result.GetValue(name)!)}[/].");
            }
        }));

        var list = new Command("list", "List users (without secrets).");
        list.SetAction((result, ct) => RunAsync(result, dataDir, store, server, async users =>
        {
            var all = await users.ListAsync(ct);
            if (result.GetValue(CliOptions.Json))
            {
                Output.Json(new JsonObject { ["users"] = new JsonArray([.. all.Select(user => (JsonNode)Describe(user))]) });
                return;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumns("Name", "Admin", "Can run code", "Access key id", "Created");
            foreach (var user in all)
            {
                table.AddRow($"[bold]{Markup.Escape(user.Name)}[/]", user.IsAdmin ? "yes" : "", user.MayRunCode ? "yes" : "", user.AccessKeyId, user.Created.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
        }));

        return new Command("users", "Manage the users and access keys of a server started with --auth.") { dataDir, store, server, create, list, delete, rotate };
    }

    private static async Task<int> RunAsync(ParseResult result, Option<string> dataDir, Option<string> store, Option<string> server, Func<IUserAdmin, Task> work)
    {
        if (result.GetValue(server) is { } address)
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                return Output.Fail($"--server must be an http(s) URL, got '{address}'.");
            }

            if (Credentials.FromEnvironment() is null)
            {
                return Output.Fail($"--server needs an admin's credentials: set {Credentials.UserVariable} and {Credentials.SecretVariable}.");
            }

            using var http = Credentials.Apply(new HttpClient { BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/") });
            try
            {
                return await RunAsync(() => work(new RemoteUserAdmin(http)));
            }
            catch (HttpRequestException e)
            {
                return Output.Fail($"Cannot reach Kiln at {address}: {e.Message}");
            }
        }

        var folder = Path.GetFullPath(result.GetValue(dataDir)!);
        var secrets = SecretBox.ForDataDirectory(folder);
        if (result.GetValue(store) is { } url)
        {
            PostgresDatabase postgres;
            try
            {
                postgres = new PostgresDatabase(url);
            }
            catch (Exception e) when (e is System.Data.Common.DbException or FormatException or ArgumentException or TimeoutException or System.Net.Sockets.SocketException)
            {
                return Output.Fail($"Cannot use the metadata store --store: {e.Message}");
            }

            using (postgres)
            {
                return await RunAsync(() => work(new LocalUserAdmin(new Users(new PostgresUserStore(postgres), secrets, TimeProvider.System), new PostgresPermissionStore(postgres))));
            }
        }

        using var database = new SqliteDatabase(Path.Combine(folder, "kiln.db"));
        try
        {
            return await RunAsync(() => work(new LocalUserAdmin(new Users(new SqliteUserStore(database), secrets, TimeProvider.System), new SqlitePermissionStore(database))));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }

    private static async Task<int> RunAsync(Func<Task> work)
    {
        try
        {
            await work();
            return 0;
        }
        catch (KilnException e)
        {
            return Output.Fail(e.Message);
        }
    }

    private static void Print(ParseResult result, UserCredentials credentials)
    {
        if (result.GetValue(CliOptions.Json))
        {
            Output.Json(new JsonObject
            {
                ["name"] = credentials.User.Name,
                ["access_key_id"] = credentials.User.AccessKeyId,
                ["secret_access_key"] = credentials.SecretAccessKey,
            });
            return;
        }

        AnsiConsole.MarkupLine($"User [bold]{Markup.Escape(credentials.User.Name)}[/]{(credentials.User.IsAdmin ? " (admin)" : "")}{(credentials.User.MayRunCode ? ", may run code" : "")}");
        Console.Out.WriteLine($"access key id:     {credentials.User.AccessKeyId}");
        Console.Out.WriteLine($"secret access key: {credentials.SecretAccessKey}");
        AnsiConsole.MarkupLine("[grey]The secret is shown only now. Use it as AWS_SECRET_ACCESS_KEY (SigV4), MLFLOW_TRACKING_PASSWORD with the name as MLFLOW_TRACKING_USERNAME, or MLFLOW_TRACKING_TOKEN.[/]");
    }

    private static JsonObject Describe(KilnUser user) => new()
    {
        ["name"] = user.Name,
        ["admin"] = user.IsAdmin,
        ["can_run_code"] = user.MayRunCode,
        ["access_key_id"] = user.AccessKeyId,
        ["created"] = user.Created.ToUnixTimeMilliseconds(),
    };

    /// <summary>What <c>kiln users</c> does, on a data folder or store (<see cref="LocalUserAdmin"/>) or through a server (<see cref="RemoteUserAdmin"/>).</summary>
    private interface IUserAdmin
    {
        Task<UserCredentials> CreateAsync(string name, bool isAdmin, bool canRunCode, CancellationToken ct);

        Task<IReadOnlyList<KilnUser>> ListAsync(CancellationToken ct);

        Task DeleteAsync(string name, CancellationToken ct);

        Task<UserCredentials> RotateKeyAsync(string name, CancellationToken ct);
    }

    private sealed class LocalUserAdmin(Users users, IPermissionStore permissions) : IUserAdmin
    {
        public Task<UserCredentials> CreateAsync(string name, bool isAdmin, bool canRunCode, CancellationToken ct) => users.CreateAsync(name, isAdmin, canRunCode, ct);

        public Task<IReadOnlyList<KilnUser>> ListAsync(CancellationToken ct) => users.ListAsync(ct);

        public async Task DeleteAsync(string name, CancellationToken ct)
        {
            await users.DeleteAsync(name, ct);
            // A user created again under the name must not inherit the old one's permissions.
            await permissions.DeleteForUserAsync(name, ct);
        }

        public Task<UserCredentials> RotateKeyAsync(string name, CancellationToken ct) => users.RotateKeyAsync(name, ct);
    }

    /// <summary>The server's <c>/api/kiln/users</c>; its refusals (not an admin, no such user) become <see cref="KilnException"/>s.</summary>
    private sealed class RemoteUserAdmin(HttpClient http) : IUserAdmin
    {
        public async Task<UserCredentials> CreateAsync(string name, bool isAdmin, bool canRunCode, CancellationToken ct) =>
            Credentials(await SendAsync(HttpMethod.Post, "api/kiln/users", new JsonObject { ["name"] = name, ["admin"] = isAdmin, ["can_run_code"] = canRunCode }, ct));

        public async Task<IReadOnlyList<KilnUser>> ListAsync(CancellationToken ct) =>
            [.. Output.Objects((await SendAsync(HttpMethod.Get, "api/kiln/users", null, ct))["users"]).Select(User)];

        public Task DeleteAsync(string name, CancellationToken ct) => SendAsync(HttpMethod.Delete, "api/kiln/users/" + Uri.EscapeDataString(name), null, ct);

        public async Task<UserCredentials> RotateKeyAsync(string name, CancellationToken ct) =>
            Credentials(await SendAsync(HttpMethod.Post, $"api/kiln/users/{Uri.EscapeDataString(name)}/rotate-key", null, ct));

        private static KilnUser User(JsonObject user) => new(
            user["name"]!.GetValue<string>(),
            user["admin"]?.GetValue<bool>() ?? false,
            user["can_run_code"]?.GetValue<bool>() ?? false,
            user["access_key_id"]!.GetValue<string>(),
            DateTimeOffset.FromUnixTimeMilliseconds(user["created"]?.GetValue<long>() ?? 0));

        private static UserCredentials Credentials(JsonObject body) => new(User(body), body["secret_access_key"]!.GetValue<string>());

        private async Task<JsonObject> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken ct)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
            }

            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            JsonObject? answer = null;
            try
            {
                answer = JsonNode.Parse(text) as JsonObject;
            }
            catch (System.Text.Json.JsonException)
            {
            }

            if (!response.IsSuccessStatusCode)
            {
                var code = answer?["error_code"]?.GetValue<string>() ?? ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                var message = answer?["message"]?.GetValue<string>() ?? text.Trim();
                throw new KilnException(Kiln.Core.Common.ErrorCode.Internal, $"The server refused ({(int)response.StatusCode} {code}): {message}");
            }

            return answer ?? throw new KilnException(Kiln.Core.Common.ErrorCode.Internal, $"The server answered {(int)response.StatusCode} without JSON: {text.Trim()}");
        }
    }
}
