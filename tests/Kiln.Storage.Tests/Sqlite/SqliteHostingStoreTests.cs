using Kiln.Core.Serving;
using Kiln.Storage.Sqlite;
using Kiln.Storage.Sqlite.Serving;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqliteHostedModelStoreTests : HostedModelStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IServingStore CreateStore() => new SqliteServingStore(_database.Database);

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteEndpointConfigStoreTests : EndpointConfigStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IServingStore CreateStore() => new SqliteServingStore(_database.Database);

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteEndpointStoreTests : EndpointStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IServingStore CreateStore() => new SqliteServingStore(_database.Database);

    public void Dispose() => _database.Dispose();
}

/// <summary>What a bandit learned and how its weights moved are still there when Kiln opens the same database again.</summary>
public sealed class SqliteBanditRestartTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kiln-storage-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Bandit_state_and_weight_history_survive_reopening_the_database()
    {
        var file = Path.Combine(_folder, "kiln.db");
        var time = DateTimeOffset.FromUnixTimeMilliseconds(1_780_000_000_000);
        using (var before = new SqliteDatabase(file))
        {
            var store = new SqliteServingStore(before);
            await store.AddEndpointAsync(new Endpoint { Name = "bandit", ConfigName = "bandit-config", Status = EndpointStatus.InService, CreationTime = time, LastModifiedTime = time });
            await store.SaveBanditStateAsync("bandit", "{\"learned\":true}");
            await store.AddBanditWeightsAsync("bandit", new BanditWeights(time, [new VariantWeight("a", 0.5), new VariantWeight("b", 0.5)]), keep: 100);
            await store.AddBanditWeightsAsync("bandit", new BanditWeights(time.AddSeconds(1), [new VariantWeight("a", 0.2), new VariantWeight("b", 0.8)]), keep: 100);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        using var after = new SqliteDatabase(file);
        var reopened = new SqliteServingStore(after);
        Assert.Equal("{\"learned\":true}", await reopened.LoadBanditStateAsync("bandit"));
        var history = await reopened.ListBanditWeightsAsync("bandit");
        Assert.Equal([time, time.AddSeconds(1)], history.Select(reading => reading.Time));
        Assert.Equal([new VariantWeight("a", 0.2), new VariantWeight("b", 0.8)], history[1].Variants);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
