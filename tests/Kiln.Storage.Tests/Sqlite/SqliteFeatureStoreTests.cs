using Kiln.Core.FeatureStore;
using Kiln.Storage.Sqlite.FeatureStore;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Sqlite;

public sealed class SqliteFeatureGroupStoreTests : FeatureGroupStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IFeatureGroupStore CreateStore() => new SqliteFeatureGroupStore(_database.Database);

    public void Dispose() => _database.Dispose();
}

public sealed class SqliteOnlineRecordStoreTests : OnlineRecordStoreContract, IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    protected override IOnlineRecordStore CreateStore() => new SqliteOnlineRecordStore(_database.Database);

    public void Dispose() => _database.Dispose();
}
