using Kiln.Core.Lineage;
using Kiln.Storage.Postgres;
using Kiln.Storage.Postgres.Lineage;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Postgres;

[RequiresPostgres]
public sealed class PostgresLineageStoreTests(PostgresTestDatabase database) : LineageStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override ILineageStore CreateStore() => new PostgresLineageStore(_database);
}
