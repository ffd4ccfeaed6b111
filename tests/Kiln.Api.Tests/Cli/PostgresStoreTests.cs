using System.Text;
using System.Text.Json;
using Kiln.Api.Tests.Infrastructure;
using Kiln.Storage.Postgres;
using Npgsql;
using Xunit.Abstractions;

namespace Kiln.Api.Tests.Cli;

/// <summary>
/// <c>kiln server --store postgres://…</c>: MLflow and SageMaker records, feature groups and online records, and users
/// (<c>kiln users --store</c>) go to PostgreSQL and are found again by a server started later with an empty data folder. Needs <c>KILN_TEST_POSTGRES</c> (.ci/run sets it); without a
/// reachable server the test says so and returns.
/// </summary>
public sealed class PostgresStoreTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kiln-tests", "postgres-" + Guid.NewGuid().ToString("N"));
    private readonly string _database = "kiln_test_" + Guid.NewGuid().ToString("N");
    private string? _server;

    [Fact]
    public async Task Records_written_through_mlflow_and_sagemaker_are_in_postgres_after_a_restart_on_an_empty_data_folder()
    {
        if (await CreateDatabaseAsync() is not { } store)
        {
            return;
        }

        var (created, createdOutput) = await KilnAsync("users", "create", "pg-user", "--json", "--store", store, "--data-dir", Path.Combine(_root, "first"));
        Assert.True(created == 0, createdOutput);

        string experimentId, runId;
        using (var first = await KilnProcess.StartAsync(Path.Combine(_root, "first"), null, "--store", store))
        {
            using var mlflow = new MlflowHttp(first.BaseAddress);
            using var sageMaker = new SageMakerHttp(first.BaseAddress);
            var health = JsonDocument.Parse(await mlflow.Http.GetStringAsync("health")).RootElement;
            Assert.Equal("postgres", health.GetProperty("metadata_store").GetString());

            experimentId = await mlflow.CreateExperimentAsync("on-postgres");
            runId = await mlflow.CreateRunAsync(experimentId);
            await mlflow.OkAsync(mlflow.PostAsync("runs/log-batch", new
            {
                run_id = runId,
                metrics = new[] { new { key = "auc", value = 0.93, timestamp = 1_000L, step = 1L } },
                @params = new[] { new { key = "depth", value = "4" } },
            }));
            await sageMaker.CallAsync("CreateModelPackageGroup", new { ModelPackageGroupName = "pg-group", ModelPackageGroupDescription = "kept in PostgreSQL" });
            await sageMaker.CallAsync("CreateContext", new { ContextName = "pg-context", ContextType = "Endpoint", Source = new { SourceUri = "s3://bucket/context" } });
            await sageMaker.CallAsync("CreateFeatureGroup", new
            {
                FeatureGroupName = "pg-features",
                RecordIdentifierFeatureName = "customer_id",
                EventTimeFeatureName = "event_time",
                FeatureDefinitions = new[] { new { FeatureName = "customer_id", FeatureType = "String" }, new { FeatureName = "event_time", FeatureType = "Fractional" } },
                OnlineStoreConfig = new { EnableOnlineStore = true },
            });
            await WaitCreatedAsync(sageMaker, "pg-features");
            var body = new
            {
                Record = new[] { new { FeatureName = "customer_id", ValueAsString = "c1" }, new { FeatureName = "event_time", ValueAsString = "1700000000.5" } },
            };
            var put = await sageMaker.Http.PutAsync("FeatureGroup/pg-features", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        using var second = await KilnProcess.StartAsync(Path.Combine(_root, "second"), null, "--store", store);
        using var restartedMlflow = new MlflowHttp(second.BaseAddress);
        using var restartedSageMaker = new SageMakerHttp(second.BaseAddress);
        var experiment = await restartedMlflow.OkAsync(restartedMlflow.GetAsync("experiments/get-by-name", ("experiment_name", "on-postgres")));
        Assert.Equal(experimentId, experiment.GetProperty("experiment").GetProperty("experiment_id").GetString());
        var run = (await restartedMlflow.OkAsync(restartedMlflow.GetAsync("runs/get", ("run_id", runId)))).GetProperty("run").GetProperty("data");
        Assert.Equal(0.93, run.GetProperty("metrics")[0].GetProperty("value").GetDouble());
        Assert.Equal("4", run.GetProperty("params")[0].GetProperty("value").GetString());
        var group = await restartedSageMaker.CallAsync("DescribeModelPackageGroup", new { ModelPackageGroupName = "pg-group" });
        Assert.Equal("kept in PostgreSQL", group["ModelPackageGroupDescription"]!.GetValue<string>());
        var context = await restartedSageMaker.CallAsync("DescribeContext", new { ContextName = "pg-context" });
        Assert.Equal("s3://bucket/context", context["Source"]!["SourceUri"]!.GetValue<string>());
        var features = await restartedSageMaker.CallAsync("DescribeFeatureGroup", new { FeatureGroupName = "pg-features" });
        Assert.Equal("Created", features["FeatureGroupStatus"]!.GetValue<string>());
        var record = JsonDocument.Parse(await restartedSageMaker.Http.GetStringAsync("FeatureGroup/pg-features?RecordIdentifierValueAsString=c1")).RootElement;
        Assert.Equal(["c1", "1700000000.5"], record.GetProperty("Record").EnumerateArray().Select(feature => feature.GetProperty("ValueAsString").GetString()));

        var (listed, users) = await KilnAsync("users", "list", "--json", "--store", store, "--data-dir", Path.Combine(_root, "second"));
        Assert.True(listed == 0, users);
        Assert.Equal(["pg-user"], JsonDocument.Parse(users).RootElement.GetProperty("users").EnumerateArray().Select(user => user.GetProperty("name").GetString()));
    }

    private static async Task WaitCreatedAsync(SageMakerHttp sageMaker, string group)
    {
        for (var i = 0; i < 100; i++)
        {
            var status = (await sageMaker.CallAsync("DescribeFeatureGroup", new { FeatureGroupName = group }))["FeatureGroupStatus"]!.GetValue<string>();
            if (status != "Creating")
            {
                Assert.Equal("Created", status);
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"Feature group {group} is still Creating");
    }

    /// <summary>Runs the CLI; Output is stdout unless the command failed, then stdout and stderr.</summary>
    private static async Task<(int ExitCode, string Output)> KilnAsync(params string[] arguments)
    {
        var (code, stdout, stderr) = await Repository.RunWithStreamsAsync("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "kiln.dll"), .. arguments], Repository.Root, TimeSpan.FromMinutes(2));
        return (code, code == 0 ? stdout : stdout + stderr);
    }

    /// <summary>A fresh database on the test server, as a <c>postgres://</c> URL; null (with a line saying why) when there is no server.</summary>
    private async Task<string?> CreateDatabaseAsync()
    {
        var value = Environment.GetEnvironmentVariable("KILN_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(value))
        {
            output.WriteLine("KILN_TEST_POSTGRES is not set (.ci/run starts PostgreSQL and sets it): nothing to test here.");
            return null;
        }

        var builder = new NpgsqlConnectionStringBuilder(PostgresConnectionString.Parse(value)) { Timeout = 5 };
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{_database}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException e)
        {
            output.WriteLine($"PostgreSQL at KILN_TEST_POSTGRES is unreachable ({e.Message}): nothing to test here.");
            return null;
        }

        _server = builder.ConnectionString;
        var credentials = Uri.EscapeDataString(builder.Username ?? "postgres") + (builder.Password is { Length: > 0 } password ? ":" + Uri.EscapeDataString(password) : "");
        return $"postgres://{credentials}@{builder.Host}:{builder.Port}/{_database}";
    }

    public void Dispose()
    {
        if (_server is not null)
        {
            NpgsqlConnection.ClearAllPools();
            using var connection = new NpgsqlConnection(_server);
            connection.Open();
            using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", connection);
            drop.ExecuteNonQuery();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
