using System.Net;
using System.Text.Json;
using Kiln.Api.Tests.Infrastructure;
using Kiln.Core.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Api.Tests.Security.Permissions;

/// <summary>
/// MLflow's permission model over raw HTTP: each permission (and none stored, which is the default READ, and an
/// admin) against each operation on an experiment, a run, a registered model and a model version: read, update,
/// delete, manage permissions. Allowed calls answer 200; the others 403 PERMISSION_DENIED and change nothing.
/// </summary>
public sealed class PermissionMatrixTests(AuthServerFixture server) : IClassFixture<AuthServerFixture>
{
    public static TheoryData<string, string> Matrix()
    {
        var data = new TheoryData<string, string>();
        foreach (var permission in new[] { "READ", "EDIT", "MANAGE", "NO_PERMISSIONS", "default", "admin" })
        {
            foreach (var operation in new[] { "read", "update", "delete", "manage" })
            {
                data.Add(permission, operation);
            }
        }

        return data;
    }

    private static bool Allowed(string permission, string operation) => (permission, operation) switch
    {
        ("admin" or "MANAGE", _) => true,
        ("EDIT", "read" or "update") => true,
        ("READ" or "default", "read") => true,
        _ => false,
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Experiments_and_runs(string permission, string operation)
    {
        var admin = new MlflowClient(server.BaseAddress, server.Admin);
        var (user, client) = await UserAsync(permission, admin);
        var experimentId = (await admin.OkAsync("POST", "experiments/create", new { name = $"matrix-{Guid.NewGuid():N}" })).GetProperty("experiment_id").GetString()!;
        var runId = (await admin.OkAsync("POST", "runs/create", new { experiment_id = experimentId })).GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!;
        if (permission is not ("default" or "admin"))
        {
            await admin.OkAsync("POST", "experiments/permissions/create", new { experiment_id = experimentId, username = user, permission });
        }

        var allowed = Allowed(permission, operation);
        var calls = operation switch
        {
            "read" => new (string, string, object)[]
            {
                ("GET", "experiments/get", new { experiment_id = experimentId }),
                ("GET", "runs/get", new { run_id = runId }),
                ("GET", "metrics/get-history", new { run_id = runId, metric_key = "m" }),
            },
            "update" => [
                ("POST", "experiments/set-experiment-tag", new { experiment_id = experimentId, key = "k", value = "v" }),
                ("POST", "runs/log-metric", new { run_id = runId, key = "m", value = 1.0, timestamp = 1, step = 0 }),
                ("POST", "runs/create", new { experiment_id = experimentId }),
            ],
            "delete" => [
                ("POST", "runs/delete", new { run_id = runId }),
                ("POST", "experiments/delete", new { experiment_id = experimentId }),
            ],
            _ => [
                ("POST", "experiments/permissions/create", new { experiment_id = experimentId, username = server.Coder.User.Name, permission = "READ" }),
                ("GET", "experiments/permissions/get", new { experiment_id = experimentId, username = server.Coder.User.Name }),
                ("PATCH", "experiments/permissions/update", new { experiment_id = experimentId, username = server.Coder.User.Name, permission = "EDIT" }),
                ("DELETE", "experiments/permissions/delete", new { experiment_id = experimentId, username = server.Coder.User.Name }),
            ],
        };
        foreach (var (method, path, body) in calls)
        {
            await ExpectAsync(client, allowed, method, path, body);
        }

        // A refused call changed nothing.
        var experiment = (await admin.OkAsync("GET", "experiments/get", new { experiment_id = experimentId })).GetProperty("experiment");
        Assert.Equal(operation == "delete" && allowed ? "deleted" : "active", experiment.GetProperty("lifecycle_stage").GetString());
        Assert.Equal(operation == "update" && allowed, experiment.TryGetProperty("tags", out _));
        var (status, _) = await admin.CallAsync("GET", "experiments/permissions/get", new { experiment_id = experimentId, username = server.Coder.User.Name });
        Assert.Equal(HttpStatusCode.NotFound, status); // created and deleted by an allowed manager, never by a refused one
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Registered_models_and_versions(string permission, string operation)
    {
        var admin = new MlflowClient(server.BaseAddress, server.Admin);
        var (user, client) = await UserAsync(permission, admin);
        var model = $"matrix-model-{Guid.NewGuid():N}";
        await admin.OkAsync("POST", "registered-models/create", new { name = model });
        await admin.OkAsync("POST", "model-versions/create", new { name = model, source = "mlflow-artifacts:/0/x/artifacts/model" });
        if (permission is not ("default" or "admin"))
        {
            await admin.OkAsync("POST", "registered-models/permissions/create", new { name = model, username = user, permission });
        }

        var allowed = Allowed(permission, operation);
        var calls = operation switch
        {
            "read" => new (string, string, object)[]
            {
                ("GET", "registered-models/get", new { name = model }),
                ("GET", "model-versions/get", new { name = model, version = "1" }),
            },
            "update" => [
                ("POST", "registered-models/set-tag", new { name = model, key = "k", value = "v" }),
                ("PATCH", "model-versions/update", new { name = model, version = "1", description = "d" }),
                ("POST", "model-versions/create", new { name = model, source = "mlflow-artifacts:/0/y/artifacts/model" }),
            ],
            "delete" => [
                ("DELETE", "model-versions/delete", new { name = model, version = "1" }),
                ("DELETE", "registered-models/delete", new { name = model }),
            ],
            _ => [
                ("POST", "registered-models/permissions/create", new { name = model, username = server.Coder.User.Name, permission = "READ" }),
                ("GET", "registered-models/permissions/get", new { name = model, username = server.Coder.User.Name }),
                ("PATCH", "registered-models/permissions/update", new { name = model, username = server.Coder.User.Name, permission = "EDIT" }),
                ("DELETE", "registered-models/permissions/delete", new { name = model, username = server.Coder.User.Name }),
            ],
        };
        foreach (var (method, path, body) in calls)
        {
            await ExpectAsync(client, allowed, method, path, body);
        }

        var (status, json) = await admin.CallAsync("GET", "registered-models/get", new { name = model });
        Assert.Equal(operation == "delete" && allowed ? HttpStatusCode.NotFound : HttpStatusCode.OK, status);
        if (status == HttpStatusCode.OK)
        {
            Assert.Equal(operation == "update" && allowed, json.GetProperty("registered_model").TryGetProperty("tags", out _));
        }
    }

    [Fact]
    public async Task Searches_return_only_what_the_caller_may_read()
    {
        var admin = new MlflowClient(server.BaseAddress, server.Admin);
        var (user, client) = await UserAsync("READ", admin);
        var tag = Guid.NewGuid().ToString("N");
        var hidden = (await admin.OkAsync("POST", "experiments/create", new { name = $"hidden-{tag}" })).GetProperty("experiment_id").GetString()!;
        var shown = (await admin.OkAsync("POST", "experiments/create", new { name = $"shown-{tag}" })).GetProperty("experiment_id").GetString()!;
        await admin.OkAsync("POST", "experiments/permissions/create", new { experiment_id = hidden, username = user, permission = "NO_PERMISSIONS" });
        await admin.OkAsync("POST", "runs/create", new { experiment_id = hidden });
        await admin.OkAsync("POST", "runs/create", new { experiment_id = shown });
        await admin.OkAsync("POST", "registered-models/create", new { name = $"hidden-{tag}" });
        await admin.OkAsync("POST", "registered-models/create", new { name = $"shown-{tag}" });
        await admin.OkAsync("POST", "registered-models/permissions/create", new { name = $"hidden-{tag}", username = user, permission = "NO_PERMISSIONS" });

        var experiments = await client.OkAsync("POST", "experiments/search", new { filter = $"name LIKE '%{tag}'", max_results = 100 });
        Assert.Equal([shown], experiments.GetProperty("experiments").EnumerateArray().Select(e => e.GetProperty("experiment_id").GetString()));
        var runs = await client.OkAsync("POST", "runs/search", new { experiment_ids = new[] { hidden, shown } });
        Assert.Equal([shown], runs.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("info").GetProperty("experiment_id").GetString()));
        var models = await client.OkAsync("GET", "registered-models/search", new { filter = $"name LIKE '%{tag}'" });
        Assert.Equal([$"shown-{tag}"], models.GetProperty("registered_models").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.Equal(2, (await admin.OkAsync("POST", "experiments/search", new { filter = $"name LIKE '%{tag}'" })).GetProperty("experiments").GetArrayLength());
        await client.FailsAsync(HttpStatusCode.Forbidden, "PERMISSION_DENIED", "GET", "experiments/get-by-name", new { experiment_name = $"hidden-{tag}" });
    }

    [Fact]
    public async Task The_artifact_proxy_checks_the_experiment_its_path_starts_with()
    {
        var admin = new MlflowClient(server.BaseAddress, server.Admin);
        var (readerName, reader) = await UserAsync("READ", admin);
        var (hiddenName, hidden) = await UserAsync("NO_PERMISSIONS", admin);
        var experimentId = (await admin.OkAsync("POST", "experiments/create", new { name = $"artifacts-{Guid.NewGuid():N}" })).GetProperty("experiment_id").GetString()!;
        await admin.OkAsync("POST", "experiments/permissions/create", new { experiment_id = experimentId, username = readerName, permission = "READ" });
        await admin.OkAsync("POST", "experiments/permissions/create", new { experiment_id = experimentId, username = hiddenName, permission = "NO_PERMISSIONS" });
        var file = $"api/2.0/mlflow-artifacts/artifacts/{experimentId}/run1/artifacts/notes.txt";
        Assert.Equal(HttpStatusCode.OK, await admin.SendAsync("PUT", file, "hello"));

        Assert.Equal(HttpStatusCode.OK, await reader.SendAsync("GET", file));
        Assert.Equal(HttpStatusCode.OK, await reader.SendAsync("GET", $"api/2.0/mlflow-artifacts/artifacts?path={experimentId}/run1/artifacts"));
        Assert.Equal(HttpStatusCode.Forbidden, await reader.SendAsync("PUT", file, "changed"));
        Assert.Equal(HttpStatusCode.Forbidden, await reader.SendAsync("DELETE", file));
        Assert.Equal(HttpStatusCode.Forbidden, await hidden.SendAsync("GET", file));
        Assert.Equal(HttpStatusCode.Forbidden, await hidden.SendAsync("GET", $"api/2.0/mlflow-artifacts/artifacts?path={experimentId}/run1/artifacts"));
        Assert.Equal(HttpStatusCode.OK, await admin.SendAsync("GET", file));
    }

    [Fact]
    public async Task The_creator_of_an_experiment_or_model_manages_it_and_others_only_read_it()
    {
        var (_, creator) = await UserAsync("default", new MlflowClient(server.BaseAddress, server.Admin));
        var (_, other) = await UserAsync("default", new MlflowClient(server.BaseAddress, server.Admin));
        var experimentId = (await creator.OkAsync("POST", "experiments/create", new { name = $"mine-{Guid.NewGuid():N}" })).GetProperty("experiment_id").GetString()!;
        var granted = await creator.OkAsync("GET", "experiments/permissions/get", new { experiment_id = experimentId, username = creator.Name });
        Assert.Equal("MANAGE", granted.GetProperty("experiment_permission").GetProperty("permission").GetString());
        Assert.Equal(experimentId, granted.GetProperty("experiment_permission").GetProperty("experiment_id").GetString());

        await other.OkAsync("GET", "experiments/get", new { experiment_id = experimentId });
        await other.FailsAsync(HttpStatusCode.Forbidden, "PERMISSION_DENIED", "POST", "runs/create", new { experiment_id = experimentId });
        await creator.OkAsync("POST", "experiments/permissions/create", new { experiment_id = experimentId, username = other.Name, permission = "EDIT" });
        await other.OkAsync("POST", "runs/create", new { experiment_id = experimentId });

        var model = $"mine-{Guid.NewGuid():N}";
        await creator.OkAsync("POST", "registered-models/create", new { name = model });
        await other.FailsAsync(HttpStatusCode.Forbidden, "PERMISSION_DENIED", "POST", "registered-models/set-tag", new { name = model, key = "k", value = "v" });
        // Renaming keeps the creator's permission on the model.
        await creator.OkAsync("POST", "registered-models/rename", new { name = model, new_name = model + "-renamed" });
        var renamed = await creator.OkAsync("GET", "registered-models/permissions/get", new { name = model + "-renamed", username = creator.Name });
        Assert.Equal("MANAGE", renamed.GetProperty("registered_model_permission").GetProperty("permission").GetString());
        await creator.OkAsync("DELETE", "registered-models/delete", new { name = model + "-renamed" });
    }

    [Fact]
    public async Task Users_are_managed_by_admins_and_sign_in_with_their_password()
    {
        var admin = new MlflowClient(server.BaseAddress, server.Admin);
        var plain = new MlflowClient(server.BaseAddress, server.Reader);
        var name = $"api-user-{Guid.NewGuid():N}"[..30];
        const string Password = "correct horse battery";

        await plain.FailsAsync(HttpStatusCode.Forbidden, "PERMISSION_DENIED", "POST", "users/create", new { username = name, password = Password });
        await admin.FailsAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "POST", "users/create", new { username = name });
        await admin.FailsAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "POST", "users/create", new { username = name, password = "short" });
        var created = (await admin.OkAsync("POST", "users/create", new { username = name, password = Password })).GetProperty("user");
        Assert.Equal(name, created.GetProperty("username").GetString());
        Assert.False(created.GetProperty("is_admin").GetBoolean());
        Assert.Equal(JsonValueKind.Number, created.GetProperty("id").ValueKind);
        Assert.Equal(0, created.GetProperty("experiment_permissions").GetArrayLength());
        Assert.StartsWith("AKIA", created.GetProperty("access_key_id").GetString(), StringComparison.Ordinal);
        await admin.FailsAsync(HttpStatusCode.BadRequest, "RESOURCE_ALREADY_EXISTS", "POST", "users/create", new { username = name, password = Password + "!" });

        var user = new MlflowClient(server.BaseAddress, name, Password);
        var self = (await user.OkAsync("GET", "users/get", new { username = name })).GetProperty("user");
        Assert.Equal(created.GetProperty("id").GetInt64(), self.GetProperty("id").GetInt64());
        await user.FailsAsync(HttpStatusCode.Forbidden, "PERMISSION_DENIED", "GET", "users/get", new { username = server.Admin.User.Name });
        await user.FailsAsync(HttpStatusCode.Forbidden, "PERMISSION_DENIED", "PATCH", "users/update-admin", new { username = name, is_admin = true });
        await admin.FailsAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", "GET", "users/get", new { username = "nobody-here" });

        // Permissions show on the user; a wrong permission name, an unknown user and a duplicate are MLflow's errors.
        var experimentId = (await admin.OkAsync("POST", "experiments/create", new { name = $"users-{Guid.NewGuid():N}" })).GetProperty("experiment_id").GetString()!;
        await admin.FailsAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "POST", "experiments/permissions/create", new { experiment_id = experimentId, username = name, permission = "WRITE" });
        await admin.FailsAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", "POST", "experiments/permissions/create", new { experiment_id = experimentId, username = "nobody-here", permission = "READ" });
        await admin.FailsAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", "POST", "experiments/permissions/create", new { experiment_id = "999999", username = name, permission = "READ" });
        await admin.OkAsync("POST", "experiments/permissions/create", new { experiment_id = experimentId, username = name, permission = "EDIT" });
        await admin.FailsAsync(HttpStatusCode.BadRequest, "RESOURCE_ALREADY_EXISTS", "POST", "experiments/permissions/create", new { experiment_id = experimentId, username = name, permission = "READ" });
        var listed = (await admin.OkAsync("GET", "users/get", new { username = name })).GetProperty("user").GetProperty("experiment_permissions").EnumerateArray().Single();
        Assert.Equal(experimentId, listed.GetProperty("experiment_id").GetString());
        Assert.Equal("EDIT", listed.GetProperty("permission").GetString());
        Assert.Equal(created.GetProperty("id").GetInt64(), listed.GetProperty("user_id").GetInt64());

        // A new password replaces the old one, for SigV4 too (the key id stays; the signing key derived from the old
        // secret, remembered by the server, must not outlive it); an admin promoted can manage users; a deleted user
        // is refused.
        var keyId = created.GetProperty("access_key_id").GetString()!;
        await Infrastructure.Boto3.RunAsync(server.BaseAddress, "auth.py", "test_key_accepted", null, keyId, Password);
        await user.OkAsync("PATCH", "users/update-password", new { username = name, password = Password + " staple" });
        Assert.Equal(HttpStatusCode.Unauthorized, (await user.CallAsync("GET", "users/get", new { username = name })).Status);
        await Infrastructure.Boto3.RunAsync(server.BaseAddress, "auth.py", "test_secret_refused", null, keyId, Password);
        await Infrastructure.Boto3.RunAsync(server.BaseAddress, "auth.py", "test_key_accepted", null, keyId, Password + " staple");
        user = new MlflowClient(server.BaseAddress, name, Password + " staple");
        await admin.OkAsync("PATCH", "users/update-admin", new { username = name, is_admin = true });
        Assert.True((await user.OkAsync("GET", "users/get", new { username = server.Admin.User.Name })).GetProperty("user").GetProperty("is_admin").GetBoolean());
        await admin.OkAsync("DELETE", "users/delete", new { username = name });
        Assert.Equal(HttpStatusCode.Unauthorized, (await user.CallAsync("GET", "users/get", new { username = name })).Status);
        await admin.FailsAsync(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", "DELETE", "users/delete", new { username = name });
    }

    [Fact]
    public async Task A_permission_change_takes_effect_on_the_next_request()
    {
        var admin = new MlflowClient(server.BaseAddress, server.Admin);
        var (user, client) = await UserAsync("EDIT", admin);
        var experiment = (await admin.OkAsync("POST", "experiments/create", new { name = $"revoked-{Guid.NewGuid():N}" })).GetProperty("experiment_id").GetString()!;
        var model = $"revoked-{Guid.NewGuid():N}";
        await admin.OkAsync("POST", "registered-models/create", new { name = model });
        await admin.OkAsync("POST", "experiments/permissions/create", new { experiment_id = experiment, username = user, permission = "EDIT" });
        await admin.OkAsync("POST", "registered-models/permissions/create", new { name = model, username = user, permission = "EDIT" });
        await client.OkAsync("POST", "experiments/set-experiment-tag", new { experiment_id = experiment, key = "k", value = "v" });
        await client.OkAsync("GET", "registered-models/get", new { name = model });

        // Downgraded: the very next write is refused, reads still go through.
        await admin.OkAsync("PATCH", "experiments/permissions/update", new { experiment_id = experiment, username = user, permission = "READ" });
        await client.FailsAsync(HttpStatusCode.Forbidden, "PERMISSION_DENIED", "POST", "experiments/set-experiment-tag", new { experiment_id = experiment, key = "k", value = "w" });
        await client.OkAsync("GET", "experiments/get", new { experiment_id = experiment });

        // Revoked: the very next read is refused, and the experiment leaves the user's search at once.
        await admin.OkAsync("PATCH", "experiments/permissions/update", new { experiment_id = experiment, username = user, permission = "NO_PERMISSIONS" });
        await client.FailsAsync(HttpStatusCode.Forbidden, "PERMISSION_DENIED", "GET", "experiments/get", new { experiment_id = experiment });
        var search = await client.OkAsync("POST", "experiments/search", new { max_results = 1000 });
        Assert.DoesNotContain(experiment, search.GetProperty("experiments").EnumerateArray().Select(e => e.GetProperty("experiment_id").GetString()));
        await admin.OkAsync("PATCH", "registered-models/permissions/update", new { name = model, username = user, permission = "NO_PERMISSIONS" });
        await client.FailsAsync(HttpStatusCode.Forbidden, "PERMISSION_DENIED", "GET", "registered-models/get", new { name = model });

        // Given back: the next request goes through again (nothing remembered the refusal).
        await admin.OkAsync("PATCH", "experiments/permissions/update", new { experiment_id = experiment, username = user, permission = "EDIT" });
        await client.OkAsync("POST", "experiments/set-experiment-tag", new { experiment_id = experiment, key = "k", value = "x" });
        await admin.OkAsync("DELETE", "registered-models/permissions/delete", new { name = model, username = user });
        await client.OkAsync("GET", "registered-models/get", new { name = model });
    }

    private async Task<(string Name, MlflowClient Client)> UserAsync(string permission, MlflowClient admin)
    {
        if (permission == "admin")
        {
            return (server.Admin.User.Name, admin);
        }

        var users = server.Services.GetRequiredService<Users>();
        var user = await users.CreateAsync($"u{Guid.NewGuid():N}"[..20], isAdmin: false, canRunCode: false);
        return (user.User.Name, new MlflowClient(server.BaseAddress, user));
    }

    private static async Task ExpectAsync(MlflowClient client, bool allowed, string method, string path, object body)
    {
        if (allowed)
        {
            await client.OkAsync(method, path, body);
        }
        else
        {
            await client.FailsAsync(HttpStatusCode.Forbidden, "PERMISSION_DENIED", method, path, body);
        }
    }
}
