using Kiln.Core.Registry;
using Kiln.Storage.Postgres;
using Kiln.Storage.Postgres.Registry;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Postgres;

[RequiresPostgres]
public sealed class PostgresModelPackageStoreTests(PostgresTestDatabase database) : ModelPackageStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override IModelPackageStore CreateStore() => new PostgresModelPackageStore(_database);
}
