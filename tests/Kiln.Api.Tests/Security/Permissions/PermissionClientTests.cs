using System.Text.Json;
using Kiln.Api.Tests.Infrastructure;
using Kiln.Core.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Api.Tests.Security.Permissions;

/// <summary>Real clients under MLflow's permissions: the npm MLflow client and boto3 (SageMaker's experiments and model package groups).</summary>
public sealed class PermissionClientTests(AuthServerFixture server) : IClassFixture<AuthServerFixture>
{
    [Fact]
    public async Task Npm_mlflow_client_reads_with_READ_is_refused_writes_and_manages_its_own_experiment()
    {
        var folder = Repository.Path("tests", "clients", "mlflow-js");
        await Repository.EnsureNpmPackagesAsync(folder);
        var admin = new MlflowClient(server.BaseAddress, server.Admin);
        var user = await server.Services.GetRequiredService<Users>().CreateAsync($"js-{Guid.NewGuid():N}"[..16], isAdmin: false, canRunCode: false);
        var experimentId = (await admin.OkAsync("POST", "experiments/create", new { name = $"js-others-{Guid.NewGuid():N}" })).GetProperty("experiment_id").GetString()!;
        await admin.OkAsync("POST", "experiments/permissions/create", new { experiment_id = experimentId, username = user.User.Name, permission = "READ" });
        var endpoint = server.BaseAddress.ToString().TrimEnd('/');

        var signedIn = await RunNodeAsync(folder, [$"MLFLOW_TRACKING_USERNAME={user.User.Name}", $"MLFLOW_TRACKING_PASSWORD={user.SecretAccessKey}"], endpoint, experimentId);
        var own = signedIn.GetProperty("own").GetString()!;
        var permission = await admin.OkAsync("GET", "experiments/permissions/get", new { experiment_id = own, username = user.User.Name });
        Assert.Equal("MANAGE", permission.GetProperty("experiment_permission").GetProperty("permission").GetString());
        var others = (await admin.OkAsync("GET", "experiments/get", new { experiment_id = experimentId })).GetProperty("experiment");
        Assert.Equal("active", others.GetProperty("lifecycle_stage").GetString());
        Assert.False(others.TryGetProperty("tags", out var tags) && tags.GetArrayLength() > 0, "a refused tag was stored");

        await RunNodeAsync(folder, [], endpoint, experimentId);
    }

    [Fact]
    public async Task Boto3_sagemaker_experiments_and_model_package_groups_follow_the_same_permissions()
    {
        var users = server.Services.GetRequiredService<Users>();
        var owner = await users.CreateAsync($"sm-owner-{Guid.NewGuid():N}"[..20], isAdmin: false, canRunCode: false);
        var other = await users.CreateAsync($"sm-other-{Guid.NewGuid():N}"[..20], isAdmin: false, canRunCode: false);
        var prefix = $"perm-{Guid.NewGuid():N}"[..13];
        string[] keys = [owner.User.AccessKeyId, owner.SecretAccessKey, other.User.AccessKeyId, other.SecretAccessKey, prefix];
        await Infrastructure.Boto3.RunAsync(server.BaseAddress, "permissions.py", "test_owner_manages_and_others_only_read", null, keys);

        // The owner (MANAGE) hides its experiment and group from the other user through MLflow's API.
        var ownerMlflow = new MlflowClient(server.BaseAddress, owner);
        var experimentId = (await ownerMlflow.OkAsync("GET", "experiments/get-by-name", new { experiment_name = $"{prefix}-exp" })).GetProperty("experiment").GetProperty("experiment_id").GetString()!;
        await ownerMlflow.OkAsync("POST", "experiments/permissions/create", new { experiment_id = experimentId, username = other.User.Name, permission = "NO_PERMISSIONS" });
        await ownerMlflow.OkAsync("POST", "registered-models/permissions/create", new { name = $"{prefix}-group", username = other.User.Name, permission = "NO_PERMISSIONS" });
        await Infrastructure.Boto3.RunAsync(server.BaseAddress, "permissions.py", "test_no_permissions_hides", null, keys);
    }

    private static async Task<JsonElement> RunNodeAsync(string folder, string[] environment, string endpoint, string experimentId)
    {
        var (code, output) = await Repository.RunAsync("env", [.. environment, "node", "permissions.js", endpoint, experimentId], folder, TimeSpan.FromMinutes(2));
        var resultLine = output.Split('\n').LastOrDefault(line => line.StartsWith("RESULT ", StringComparison.Ordinal));
        Assert.True(code == 0 && resultLine is not null, $"node permissions.js failed ({code}):\n{output}");
        var result = JsonDocument.Parse(resultLine!["RESULT ".Length..]).RootElement.Clone();
        Assert.True(result.GetProperty("ok").GetBoolean(), output);
        return result;
    }
}
