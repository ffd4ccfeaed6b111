using Kiln.Core.Security.Permissions;
using Kiln.Storage.Postgres;
using Kiln.Storage.Postgres.Security;
using Kiln.Storage.Tests.Contracts;

namespace Kiln.Storage.Tests.Postgres;

[RequiresPostgres]
public sealed class PostgresPermissionStoreTests(PostgresTestDatabase database) : PermissionStoreContract, IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresDatabase _database = database.Open();

    protected override IPermissionStore CreateStore() => new PostgresPermissionStore(_database);
}
