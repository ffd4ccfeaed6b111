using Kiln.Core.FeatureStore;
using Kiln.Storage.Postgres;
using Kiln.Storage.Postgres.FeatureStore;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Postgres;

[RequiresPostgres]
public sealed class PostgresFeatureGroupStoreTests(PostgresTestDatabase database) : FeatureGroupStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override IFeatureGroupStore CreateStore() => new PostgresFeatureGroupStore(_database);
}

[RequiresPostgres]
public sealed class PostgresOnlineRecordStoreTests(PostgresTestDatabase database) : OnlineRecordStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override IOnlineRecordStore CreateStore() => new PostgresOnlineRecordStore(_database);
}
