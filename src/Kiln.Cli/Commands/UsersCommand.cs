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
/// the secrets key is still the data folder's, and every node must hold the same one.
/// </summary>
internal static class UsersCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "The server's data folder", DefaultValueFactory = _ => ".kiln", Recursive = true };
        var store = new Option<string>("--store") { Description = "The server's PostgreSQL metadata store (postgres://…), when it was started with one", Recursive = true };
        var name = new Argument<string>("name") { Description = "The user's name" };
        var admin = new Option<bool>("--admin") { Description = "May do everything, running code and managing users included" };
        var canRunCode = new Option<bool>("--can-run-code") { Description = "May start jobs that run a command (script mode, processing, custom containers)" };

        var create = new Command("create", "Create a user with a new access key; the secret is shown this once.") { name, admin, canRunCode };
        create.SetAction((result, ct) => RunAsync(result, dataDir, store, async (users, _) =>
            Print(result, await users.CreateAsync(result.GetValue(name)!, result.GetValue(admin), result.GetValue(canRunCode), ct))));

        var rotate = new Command("rotate-key", "Give a user a new access key; the old one stops working.") { name };
        rotate.SetAction((result, ct) => RunAsync(result, dataDir, store, async (users, _) => Print(result, await users.RotateKeyAsync(result.GetValue(name)!, ct))));

        var delete = new Command("delete", "Delete a user; their access key stops working.") { name };
        delete.SetAction((result, ct) => RunAsync(result, dataDir, store, async (users, permissions) =>
        {
            await users.DeleteAsync(result.GetValue(name)!, ct);
            // A user created again under the name must not inherit the old one's permissions.
            await permissions.DeleteForUserAsync(result.GetValue(name)!, ct);
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
        list.SetAction((result, ct) => RunAsync(result, dataDir, store, async (users, _) =>
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

        return new Command("users", "Manage the users and access keys of a server started with --auth.") { dataDir, store, create, list, delete, rotate };
    }

    private static async Task<int> RunAsync(ParseResult result, Option<string> dataDir, Option<string> store, Func<Users, IPermissionStore, Task> work)
    {
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
                return await RunAsync(() => work(new Users(new PostgresUserStore(postgres), secrets, TimeProvider.System), new PostgresPermissionStore(postgres)));
            }
        }

        using var database = new SqliteDatabase(Path.Combine(folder, "kiln.db"));
        try
        {
            return await RunAsync(() => work(new Users(new SqliteUserStore(database), secrets, TimeProvider.System), new SqlitePermissionStore(database)));
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
}
