using Kiln.Core.Security;
using Kiln.Storage.Postgres;
using Kiln.Storage.Postgres.Security;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Postgres;

[RequiresPostgres]
public sealed class PostgresUserStoreTests(PostgresTestDatabase database) : UserStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override IUserStore CreateStore() => new PostgresUserStore(_database);
}
